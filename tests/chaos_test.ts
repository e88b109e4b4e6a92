/**
 * The chaos suite: random job graphs (async sleeps, subprocess trees, CPU
 * spins, jobs that ignore cancellation, random failures, processes started
 * without ctx.sh) run through the real
 * CLI, with SIGINT, SIGTERM, SIGHUP or SIGQUIT sent at random moments or
 * not at all; some commands start processes that leave their process group. After each
 * run it checks the exit code, the completeness of the event stream, that no
 * process of the run is alive, that no job started after cancellation, and
 * that the run ended within the grace period plus a small bound.
 *
 * GATHER_CHAOS_RUNS sets the number of runs (default 12), GATHER_CHAOS_SEED the seed.
 */
import { assert, assertEquals, assertLess } from "@std/assert";
import type { GatherEvent, JobEndEvent } from "../src/events.ts";
import { mulberry32 } from "../bench/prng.ts";
import { ROOT } from "./_cli.ts";
import { LiveGather } from "./_live.ts";
import { liveProcesses } from "./_processes.ts";

const RUNS = Number(Deno.env.get("GATHER_CHAOS_RUNS") ?? 12);
const SEED = Number(Deno.env.get("GATHER_CHAOS_SEED") ?? 20261126);
const GRACE_MS = 800;
const BOUND_MS = 1_500;

type Kind =
  | "sleep"
  | "stubborn"
  | "tree"
  | "spin"
  | "fail"
  | "failsh"
  | "log"
  | "throws"
  | RawKind
  | EscapeKind;
/** Processes started without ctx.sh: one left running, one awaited whatever ctx.signal says. */
type RawKind = "raw" | "rawwait";
/** Commands that start a process outside their group: one lets go of the output, one keeps it. */
type EscapeKind = "daemon" | "holder";
type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT";
const EXIT_CODES: Record<StopSignal, number> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
  SIGQUIT: 131,
};

interface Scenario {
  source: string;
  tag: string;
  args: string[];
  signal: StopSignal | undefined;
  signalDelayMs: number;
  kinds: Kind[];
  deps: number[][];
}

function scenario(rand: () => number, run: number): Scenario {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const between = (lo: number, hi: number) => Math.floor(lo + rand() * (hi - lo));
  const tag = String(10_000 + run * 7 + between(0, 7)).padStart(5, "0") +
    String(SEED % 1000).padStart(3, "0");
  const sleepArg = (ms: number) =>
    `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}${tag}`;
  const n = between(3, 11);
  const kinds: Kind[] = [];
  const deps: number[][] = [];
  const lines = [
    `import { delay } from "@std/async/delay";`,
    `import { job } from ${JSON.stringify(`${ROOT}mod.ts`)};`,
    `import { EventEmitter } from "node:events";`,
  ];
  for (let i = 0; i < n; i++) {
    const kind: Kind = rand() < 0.1 ? "throws" : pick(
      [
        ...["sleep", "sleep", "stubborn", "tree", "tree", "spin", "fail", "failsh", "log"] as const,
        ...["daemon", "holder"] as const,
        ...["raw", "rawwait"] as const,
      ],
    );
    kinds.push(kind);
    const mine = [
      ...new Set(Array.from({ length: between(0, Math.min(i, 3) + 1) }, () => between(0, i))),
    ]
      .filter((d) => d < i);
    deps.push(mine);
    const ms = between(20, 500);
    const body = {
      sleep: `await delay(${ms}, { signal: ctx.signal });`,
      stubborn: `await delay(${rand() < 0.25 ? 1_500 : ms});`,
      tree: `await ctx.sh\`sh -c \${${
        JSON.stringify(`sleep ${sleepArg(ms)} & sleep ${sleepArg(ms + 40)}; wait`)
      }}\`;`,
      spin: `const until = performance.now() + ${
        between(5, 60)
      }; while (performance.now() < until) { /* spin */ }`,
      fail: `await delay(${ms}, { signal: ctx.signal }); throw new Error("chaos failure ${i}");`,
      failsh: `await ctx.sh\`sh -c \${${JSON.stringify(`sleep ${sleepArg(ms)}; exit 3`)}}\`;`,
      log:
        `for (let k = 0; k < 50; k++) { ctx.log("line", k); await delay(2, { signal: ctx.signal }); }`,
      ...escapeBodies(sleepArg, ms),
      ...rawBodies(sleepArg, ms),
      // A callback that throws and nothing catches it: in a timer, a microtask, an emitter handler.
      throws: [
        `setTimeout(() => { throw new Error("chaos callback ${i}"); }, ${ms});`,
        `await delay(${ms}, { signal: ctx.signal }); queueMicrotask(() => { throw new Error("chaos callback ${i}"); });`,
        `const e = new EventEmitter(); e.on("error", (error) => { throw error; }); setTimeout(() => e.emit("error", new Error("chaos callback ${i}")), ${ms});`,
      ][i % 3] + ` await delay(5_000, { signal: ctx.signal });`,
    }[kind];
    lines.push(
      `export const j${i} = job({ deps: [${
        mine.map((d) => `j${d}`).join(", ")
      }] }, async (ctx) => { ${body} });`,
    );
  }
  const policy = pick(["abort", "abort", "finish", "continue"] as const);
  const signal = pick([undefined, "SIGINT", "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const);
  return {
    source: lines.join("\n") + "\n",
    tag,
    args: ["-j", String(between(1, 5)), "--on-failure", policy, "--grace", `${GRACE_MS}ms`],
    signal,
    signalDelayMs: between(0, 700),
    kinds,
    deps,
  };
}

/** The bodies of the escaping kinds: a daemon beside a running command, and a holder of its output. */
function escapeBodies(sleepArg: (ms: number) => string, ms: number): Record<EscapeKind, string> {
  const sh = (script: string) => `await ctx.sh\`sh -c \${${JSON.stringify(script)}}\`;`;
  return {
    daemon: sh(`setsid sleep ${sleepArg(ms + 900)} > /dev/null 2>&1 & sleep ${sleepArg(ms)}; wait`),
    holder: sh(`setsid sleep ${sleepArg(ms + 900)} & echo started`),
  };
}

/** The bodies of the raw kinds: `Deno.Command` without ctx.sh, left running, or awaited. */
function rawBodies(sleepArg: (ms: number) => string, ms: number): Record<RawKind, string> {
  const sleep = (arg: string) =>
    `new Deno.Command("sleep", { args: [${
      JSON.stringify(arg)
    }], stdout: "null", stderr: "null" }).spawn()`;
  return {
    raw: `${sleep(sleepArg(ms + 2_000))};`,
    rawwait: `await ${sleep(sleepArg(ms))}.status;`,
  };
}

function ends(events: GatherEvent[]): Map<string, JobEndEvent> {
  return new Map(
    events.filter((e): e is JobEndEvent => e.type === "job:end").map((e) => [e.job, e]),
  );
}

Deno.test(`chaos: ${RUNS} random runs with random signals keep every promise (seed ${SEED})`, async () => {
  const rand = mulberry32(SEED);
  const dir = await Deno.makeTempDir({ prefix: "gather-chaos-" });
  const findings: string[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const s = scenario(rand, run);
      const file = `${dir}/chaos_${run}.ts`;
      await Deno.writeTextFile(file, s.source);
      const label = `run ${run} (${s.args.join(" ")}, ${
        s.signal ?? "no signal"
      } at +${s.signalDelayMs}ms)`;
      const startedAt = performance.now();
      const live = new LiveGather(["-f", file, ...s.args]);
      let sentAt: number | undefined;
      if (s.signal) {
        await live.waitFor((events) => events.length > 0);
        await new Promise((resolve) => setTimeout(resolve, s.signalDelayMs));
        sentAt = performance.now();
        try {
          live.kill(s.signal);
        } catch {
          sentAt = undefined; // it had already exited
        }
      }
      const result = await live.result();
      const { events } = result;

      // The event stream is complete and well-formed.
      assertEquals(live.stdoutLines.length, events.length, `${label}: non-JSON output on stdout`);
      assertEquals(events[0]?.type, "run:start", label);
      assertEquals(events.at(-1)?.type, "run:end", label);
      const byJob = ends(events);
      const names = Array.from({ length: s.kinds.length }, (_, i) => `j${i}`);
      for (const name of names) {
        assertEquals(
          events.filter((e) => e.type === "job:end" && e.job === name).length,
          1,
          `${label}: ${name}`,
        );
      }
      for (const e of events) {
        if (e.type === "job:start") {
          assert(byJob.get(e.job)?.started, `${label}: ${e.job} started but its end says not`);
        }
      }

      // No job started after cancellation, or after a fail-fast failure.
      const cancelAt = events.findIndex((e) => e.type === "run:cancel");
      if (cancelAt >= 0) {
        assertEquals(
          events.slice(cancelAt).filter((e) => e.type === "job:start").length,
          0,
          `${label}: started after cancel`,
        );
      }
      if (s.args.includes("abort")) {
        const firstFail = events.findIndex((e) => e.type === "job:end" && e.status === "failed");
        if (firstFail >= 0) {
          assertEquals(
            events.slice(firstFail).filter((e) => e.type === "job:start").length,
            0,
            `${label}: started after failure`,
          );
        }
      }

      // Statuses agree with the graph: ok jobs had ok deps; skipped jobs had a failed or skipped dep.
      s.deps.forEach((deps, i) => {
        const mine = byJob.get(`j${i}`)!;
        const depStatus = deps.map((d) => byJob.get(`j${d}`)!.status);
        if (mine.status === "ok" || mine.started) {
          assert(depStatus.every((st) => st === "ok"), `${label}: j${i} ran without its deps ok`);
        }
        if (mine.status === "skipped") {
          assert(
            depStatus.some((st) => st === "failed" || st === "skipped"),
            `${label}: j${i} skipped for no reason`,
          );
        }
      });

      // Only jobs that fail on purpose fail; a callback that throws fails its own job, nothing else.
      s.kinds.forEach((kind, i) => {
        const mine = byJob.get(`j${i}`)!;
        if (mine.status !== "failed") return;
        assert(["fail", "failsh", "throws"].includes(kind), `${label}: j${i} (${kind}) failed`);
        if (kind === "throws") {
          assertEquals(mine.error?.message, `chaos callback ${i}`, `${label}: j${i}`);
        }
      });

      // The exit code matches what happened.
      const failed = [...byJob.values()].some((e) => e.status === "failed");
      const normal = failed ? 1 : 0;
      if (cancelAt >= 0) {
        assertEquals(result.code, EXIT_CODES[s.signal ?? "SIGINT"], `${label}: exit code`);
      } else if (result.signal !== null) {
        // The signal arrived after the run was over, while gather was exiting.
        assertEquals(result.signal, s.signal, label);
      } else {
        assertEquals(result.code, normal, `${label}: exit code`);
      }
      const runEnd = events.at(-1) as Extract<GatherEvent, { type: "run:end" }>;
      assertEquals(runEnd.status, cancelAt >= 0 ? "cancelled" : failed ? "failed" : "ok", label);

      // It ended in time, and left nothing behind.
      if (sentAt !== undefined && cancelAt >= 0) {
        assertLess(result.exitedAt - sentAt, GRACE_MS + BOUND_MS, `${label}: too slow to stop`);
      }
      assertLess(result.exitedAt - startedAt, 20_000, label);
      const left = await liveProcesses(s.tag);
      assertEquals(left, [], `${label}: processes left alive`);

      const statuses = [...byJob.values()].map((e) => e.status[0]).join("");
      findings.push(
        `${label}: exit ${result.code}${
          result.signal ? `/${result.signal}` : ""
        }, jobs ${statuses}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    if (Deno.env.get("GATHER_CHAOS_VERBOSE")) {
      await Deno.stderr.write(new TextEncoder().encode(findings.join("\n") + "\n"));
    }
  }
});
