import { assertEquals, assertStringIncludes } from "@std/assert";
import type { GatherEvent } from "../src/events.ts";
import { Output } from "../src/reporters/output.ts";
import { palette } from "../src/reporters/palette.ts";
import { PlainReporter } from "../src/reporters/plain.ts";
import { renderFrame } from "../src/reporters/_tty_frame.ts";
import { endLines } from "../src/reporters/_tty_lines.ts";
import { RunRecord } from "../src/reporters/record.ts";
import { TtyReporter } from "../src/reporters/tty.ts";

const time = 1_000;

/**
 * A live display at 80 columns on a clock the test sets, and its next frame
 * as text (escape codes taken out, each redraw's `\r` a line break).
 */
function liveDisplay(now: () => number): { reporter: TtyReporter; frame: () => string } {
  let screen = "";
  const output = new Output({
    writeSync: (b) => (screen += new TextDecoder().decode(b), b.length),
  });
  let tick = () => {};
  const reporter = new TtyReporter({
    output,
    palette: palette(false),
    size: () => ({ columns: 80, rows: 10 }),
    now,
    ticker: (fn) => (tick = fn, () => {}),
  });
  const frame = () => {
    screen = "";
    tick();
    // deno-lint-ignore no-control-regex
    return screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "\n");
  };
  return { reporter, frame };
}

Deno.test("plain reporter: a worker taking a job, and the worker on its end line", () => {
  let text = "";
  const output = new Output({ writeSync: (p) => (text += new TextDecoder().decode(p), p.length) });
  const reporter = new PlainReporter({ output, palette: palette(false) });
  const events: GatherEvent[] = [
    { type: "run:start", time, jobs: [{ name: "lint", deps: [] }], concurrency: 4 },
    { type: "job:start", time, job: "lint", attempt: 1 },
    { type: "job:queued", time, job: "lint" },
    { type: "job:worker", time, job: "lint", worker: "ci-1", delivery: 1 },
    { type: "job:worker", time, job: "lint", worker: "ci-2", delivery: 2 },
    {
      type: "job:end",
      time,
      job: "lint",
      status: "ok",
      started: true,
      durationMs: 1200,
      attempt: 1,
      cache: "miss",
      worker: "ci-2",
    },
  ];
  for (const event of events) reporter.handle(event);
  output.flush();
  const lines = text.split("\n");
  assertEquals(lines.slice(1, 6), [
    "lint │ ▶ start",
    "lint │ … queued for a worker",
    "lint │ → on ci-1",
    "lint │ → on ci-2 (delivery 2)",
    "lint │ ✔ ok 1s 200ms on ci-2",
  ]);
});

Deno.test("live display: the worker in a running job's row and on its end line", () => {
  const p = palette(false);
  const frame = renderFrame(
    {
      now: 2_000,
      start: 0,
      total: 1,
      done: 0,
      failed: 0,
      running: 1,
      jobs: [{ name: "lint", start: 0, line: "checking", worker: "ci-1" }],
      nameWidth: 4,
    },
    { columns: 80, rows: 24 },
    p,
  );
  assertStringIncludes(frame[0]!.text, "on ci-1  checking");
  const end = endLines(
    {
      type: "job:end",
      time,
      job: "lint",
      status: "ok",
      started: true,
      durationMs: 1200,
      attempt: 1,
      cache: "miss",
      worker: "ci-1",
    },
    undefined,
    { palette: p },
  );
  assertEquals(end, [{ text: "✔ lint 1.2s on ci-1" }]);
});

Deno.test("a job that failed or was cancelled on a worker names the worker too, in both reporters", () => {
  const p = palette(false);
  const ended = (status: "failed" | "cancelled") => ({
    type: "job:end" as const,
    time,
    job: "lint",
    status,
    started: true,
    durationMs: 1200,
    attempt: 1,
    cache: "miss" as const,
    worker: "ci-1",
    ...(status === "failed" ? { error: { name: "Error", message: "2 problems" } } : {}),
  });
  assertEquals(endLines(ended("failed"), undefined, { palette: p })[0], {
    text: "✖ lint 1.2s on ci-1",
  });
  assertEquals(endLines(ended("cancelled"), undefined, { palette: p }), [
    { text: "⊘ lint 1.2s on ci-1 cancelled" },
  ]);
  for (const status of ["failed", "cancelled"] as const) {
    let text = "";
    const output = new Output({
      writeSync: (b) => (text += new TextDecoder().decode(b), b.length),
    });
    const reporter = new PlainReporter({ output, palette: p });
    reporter.handle({
      type: "run:start",
      time,
      jobs: [{ name: "lint", deps: [] }],
      concurrency: 4,
    });
    reporter.handle({ type: "job:start", time, job: "lint", attempt: 1 });
    reporter.handle(ended(status));
    output.flush();
    const end = text.split("\n").find((line) => line.includes("✖") || line.includes("⊘"));
    assertStringIncludes(
      end ?? text,
      status === "failed"
        ? "✖ failed 1s 200ms on ci-1: 2 problems"
        : "⊘ cancelled 1s 200ms on ci-1",
    );
  }
});

Deno.test("record: a queued job is not running until a worker claims it, and starts then", () => {
  const record = new RunRecord();
  record.add({ type: "run:start", time, jobs: [{ name: "lint", deps: [] }], concurrency: 4 });
  record.add({ type: "job:start", time, job: "lint", attempt: 1 });
  assertEquals([[...record.running], [...record.queued]], [["lint"], []]);
  record.add({ type: "job:queued", time: time + 10, job: "lint" });
  assertEquals([[...record.running], [...record.queued]], [[], ["lint"]]);
  record.add({ type: "job:worker", time: time + 500, job: "lint", worker: "ci-1", delivery: 1 });
  assertEquals([[...record.running], [...record.queued]], [["lint"], []]);
  assertEquals(record.job("lint")?.start, time + 500);
  // A second delivery (the first worker went silent) does not restart its time.
  record.add({ type: "job:worker", time: time + 900, job: "lint", worker: "ci-2", delivery: 2 });
  assertEquals(record.job("lint")?.start, time + 500);
});

Deno.test("live display: a job waiting for a worker shows dim as queued, without a spinner or a time, until claimed", () => {
  let now = 5_000;
  const { reporter, frame } = liveDisplay(() => now);
  const jobs = [{ name: "build", deps: [] }, { name: "lint", deps: [] }];
  reporter.handle({ type: "run:start", time: 0, jobs, concurrency: 2 });
  for (const job of ["build", "lint"]) {
    reporter.handle({ type: "job:start", time: 0, job, attempt: 1 });
  }
  reporter.handle({ type: "job:queued", time: 100, job: "lint" });
  reporter.handle({ type: "job:queued", time: 100, job: "build" });
  reporter.handle({ type: "job:worker", time: 1_000, job: "build", worker: "ci-1", delivery: 1 });
  let shown = frame();
  assertStringIncludes(shown, "build   4.0s  on ci-1"); // timed from its claim, not its start
  assertStringIncludes(shown, "· lint  queued");
  assertStringIncludes(shown, "0/2 done · 1 running · 1 queued");
  now = 6_000;
  reporter.handle({ type: "job:worker", time: 5_500, job: "lint", worker: "ci-2", delivery: 1 });
  shown = frame();
  assertStringIncludes(shown, "lint    0.5s  on ci-2");
  assertEquals(shown.includes("queued"), false, shown);
  reporter.close();
});

Deno.test("live display: a job its worker gave back shows queued again, without a time, until the next worker claims it", () => {
  let now = 5_000;
  const { reporter, frame } = liveDisplay(() => now);
  reporter.handle({ type: "run:start", time: 0, jobs: [{ name: "cc", deps: [] }], concurrency: 2 });
  reporter.handle({ type: "job:start", time: 0, job: "cc", attempt: 1 });
  reporter.handle({ type: "job:queued", time: 100, job: "cc" });
  reporter.handle({ type: "job:worker", time: 1_000, job: "cc", worker: "w1", delivery: 1 });
  assertStringIncludes(frame(), "on w1");
  reporter.handle({ type: "job:queued", time: 4_000, job: "cc" }); // w1 was stopped: given back
  now = 20_000;
  const shown = frame();
  assertStringIncludes(shown, "· cc queued");
  assertStringIncludes(shown, "0/1 done · 0 running · 1 queued");
  assertEquals(shown.includes("w1"), false, shown);
  reporter.close();
});

Deno.test("a warning a worker sent names the worker, in both reporters", () => {
  const warning: GatherEvent = {
    type: "warning",
    time,
    job: "writer",
    message: "removed what it was writing when it was stopped: build/half.txt",
    worker: "w1",
  };
  let text = "";
  const output = new Output({ writeSync: (b) => (text += new TextDecoder().decode(b), b.length) });
  const plain = new PlainReporter({ output, palette: palette(false) });
  plain.handle({ type: "run:start", time, jobs: [{ name: "writer", deps: [] }], concurrency: 1 });
  plain.handle(warning);
  output.flush();
  assertStringIncludes(text, "build/half.txt (on w1)");
  text = "";
  const tty = new TtyReporter({
    output,
    palette: palette(false),
    size: () => ({ columns: 120, rows: 10 }),
    now: () => time,
    ticker: () => () => {},
  });
  tty.handle({ type: "run:start", time, jobs: [{ name: "writer", deps: [] }], concurrency: 1 });
  tty.handle(warning);
  tty.close();
  output.flush();
  assertStringIncludes(text, "build/half.txt (on w1)");
});

Deno.test("plain reporter, distributed run: a queued job never says ▶ start; one that runs here says it with its first line", () => {
  let text = "";
  const output = new Output({ writeSync: (b) => (text += new TextDecoder().decode(b), b.length) });
  const reporter = new PlainReporter({ output, palette: palette(false) });
  const jobs = [{ name: "cc", deps: [] }, { name: "deploy", deps: [] }];
  const events: GatherEvent[] = [
    { type: "run:start", time, jobs, concurrency: 4, workQueue: true },
    { type: "job:start", time, job: "cc", attempt: 1 },
    { type: "job:cache", time, job: "cc", status: "miss", key: "k" },
    { type: "job:queued", time, job: "cc" },
    { type: "job:start", time, job: "deploy", attempt: 1 },
    { type: "job:log", time, job: "deploy", stream: "stdout", line: "deploying" },
    { type: "run:cancel", time, reason: "interrupted by SIGINT" },
    {
      type: "job:end",
      time,
      job: "cc",
      status: "cancelled",
      started: true,
      durationMs: 0,
      attempt: 0,
      cache: "miss",
    },
  ];
  for (const event of events) reporter.handle(event);
  output.flush();
  const lines = text.split("\n");
  assertEquals(lines.filter((line) => line.startsWith("cc ")).slice(0, 2), [
    "cc     │ … queued for a worker",
    "cc     │ ⊘ not started",
  ]);
  assertEquals(lines.filter((line) => line.startsWith("deploy")), [
    "deploy │ ▶ start",
    "deploy │ deploying",
  ]);
});
