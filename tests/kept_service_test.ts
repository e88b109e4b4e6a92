/**
 * Watch mode keeps a service running from one run to the next: the run that
 * did not start it again says it is `still running`, not `ready 0.0s`, in
 * the live display and the plain reporter (its summary counts it as cached).
 */
import { assert, assertMatch, assertStringIncludes } from "@std/assert";
import type { GatherEvent, JobReadyEvent } from "../src/events.ts";
import { Output } from "../src/reporters/output.ts";
import { palette } from "../src/reporters/palette.ts";
import { PlainReporter } from "../src/reporters/plain.ts";
import type { Reporter } from "../src/reporters/reporter.ts";
import { TtyReporter } from "../src/reporters/tty.ts";

// deno-lint-ignore no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Run 2 of a watch session: `check` kept its result, `api` kept running, `e2e` runs. */
function secondRun(reporter: Reporter, ready: Partial<JobReadyEvent>, settle = true): void {
  const names = ["check", "api", "e2e"];
  const events: GatherEvent[] = [
    { type: "run:start", time: 0, jobs: names.map((name) => ({ name, deps: [] })), concurrency: 3 },
    { type: "job:start", time: 0, job: "check", attempt: 1 },
    {
      type: "job:end",
      time: 0,
      job: "check",
      status: "ok",
      started: true,
      durationMs: 0,
      attempt: 0,
      cache: "hit",
    },
    { type: "job:start", time: 0, job: "api", attempt: 1 },
    {
      type: "job:ready",
      time: 0,
      job: "api",
      probe: "line /listening/",
      durationMs: 0,
      value: 18793,
      ...ready,
    },
    { type: "job:start", time: 0, job: "e2e", attempt: 1 },
  ];
  for (const event of events) reporter.handle(event);
  if (!settle) return;
  for (const job of ["e2e", "api"]) {
    reporter.handle({
      type: "job:end",
      time: 400,
      job,
      status: "ok",
      started: true,
      durationMs: job === "api" ? 0 : 400,
      attempt: job === "api" ? 0 : 1,
      cache: job === "api" ? "hit" : "off",
      ...(job === "api" ? { running: true } : {}),
    });
  }
  reporter.handle({
    type: "run:end",
    time: 400,
    status: "ok",
    durationMs: 400,
    counts: { total: 3, ok: 3, failed: 0, cancelled: 0, skipped: 0, cached: 2 },
  });
  reporter.close();
}

function capture(): { output: Output; text: () => string } {
  let text = "";
  const output = new Output({
    writeSync: (p) => (text += new TextDecoder().decode(p), p.length),
  });
  return { output, text: () => (output.flush(), text.replace(ESCAPES, "")) };
}

Deno.test("PlainReporter says a service kept from an earlier run is still running, not ready in 0ms", () => {
  const kept = capture();
  secondRun(new PlainReporter({ output: kept.output, palette: palette(false) }), { kept: true });
  const lines = kept.text().split("\n");
  assert(lines.includes("api   │ ● still running (line /listening/ → 18793)"), kept.text());
  assert(!lines.some((line) => line.includes("ready")), kept.text());
  assertStringIncludes(kept.text(), "3 ok (2 cached)");
  // A service started by this run is ready, with how long that took.
  const started = capture();
  secondRun(new PlainReporter({ output: started.output, palette: palette(false) }), {
    durationMs: 212,
  });
  assert(started.text().split("\n").includes("api   │ ● ready 212ms (line /listening/ → 18793)"));
});

Deno.test("TtyReporter says a service kept from an earlier run is still running, above the block and in its row", () => {
  const tty = (ready: Partial<JobReadyEvent>) => {
    const { output, text } = capture();
    let tick = () => {};
    const reporter = new TtyReporter({
      output,
      palette: palette(false),
      size: () => ({ columns: 80, rows: 24 }),
      now: () => 300,
      ticker: (fn) => (tick = fn, () => {}),
    });
    secondRun(reporter, ready, false); // the run goes on: e2e runs, api is in the block
    tick();
    return { live: text(), reporter };
  };
  const kept = tty({ kept: true });
  assertStringIncludes(kept.live, "● api still running (18793)");
  assertMatch(kept.live, /^● api +still running$/m); // the service's row in the block
  assert(!kept.live.includes("ready"), kept.live);
  kept.reporter.close();
  const started = tty({ durationMs: 1_200 });
  assertStringIncludes(started.live, "● api ready 1.2s (18793)");
  assertMatch(started.live, /^● api +ready 1\.2s$/m);
  started.reporter.close();
});
