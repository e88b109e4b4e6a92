/**
 * The scheduler on a fake runner and a fake clock: limits, order, failure
 * policies and cancellation, checked exactly, with no wall-clock time.
 */

import { assert, assertEquals } from "@std/assert";
import { buildGraph } from "../src/engine/graph.ts";
import { schedule, type ScheduleOptions } from "../src/engine/scheduler.ts";
import type { GatherEvent } from "../src/events.ts";
import { job, pool } from "../src/job.ts";
import { resolveJobs } from "../src/load/resolve.ts";
import type { Job } from "../src/types.ts";
import { dryRun } from "../src/cli/inspect.ts";
import { drive, FakeClock, type FakeJob, FakeRunner } from "./_fake.ts";

interface Case {
  jobs: Record<string, Job<unknown>>;
  targets?: string[];
  plan: Record<string, FakeJob>;
  options?: Omit<ScheduleOptions, "runner" | "clock" | "onEvent">;
  weights?: Record<string, number>;
  graceMs?: number;
  /** Things to do at given virtual times (abort a signal, say). */
  at?: [number, () => void][];
}

async function simulate(c: Case) {
  const clock = new FakeClock();
  const runner = new FakeRunner(clock, (name) => c.plan[name] ?? { ms: 10 }, c.graceMs);
  for (const [at, fire] of c.at ?? []) runner.at(at, fire);
  const { specs } = resolveJobs(Object.entries(c.jobs), "test");
  const graph = buildGraph(specs, c.targets ?? Object.keys(c.jobs), {
    ...(c.weights ? { weights: new Map(Object.entries(c.weights)) } : {}),
  });
  const events: GatherEvent[] = [];
  const result = await drive(
    runner,
    schedule(graph, { ...c.options, runner, clock, onEvent: (e) => events.push(e) }),
  );
  const outcome = (name: string) => result.jobs.find((j) => j.name === name)!;
  const startAt = (name: string) => runner.starts.find((s) => s.name === name)?.at;
  return { result, events, runner, clock, outcome, startAt };
}

const noop = () => {};
const independent = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`j${i}`, job(noop)]));

Deno.test("schedule() runs at most `concurrency` jobs at once, and keeps every slot busy", async () => {
  const { runner, clock, startAt } = await simulate({
    jobs: independent(10),
    plan: {},
    options: { concurrency: 3 },
  });
  assertEquals(runner.peak, 3);
  assertEquals(clock.time, 40); // ceil(10 / 3) rounds of 10 ms: never an idle slot
  assertEquals(
    Array.from({ length: 10 }, (_, i) => startAt(`j${i}`)),
    [0, 0, 0, 10, 10, 10, 20, 20, 20, 30],
  );
});

Deno.test("schedule() holds a pool to its limit without holding back other jobs", async () => {
  const net = pool("net", 2);
  const jobs: Record<string, Job<unknown>> = {};
  for (let i = 0; i < 6; i++) jobs[`fetch${i}`] = job({ pool: net }, noop);
  for (let i = 0; i < 3; i++) jobs[`cpu${i}`] = job(noop);
  const { runner, startAt } = await simulate({ jobs, plan: {}, options: { concurrency: 4 } });
  assertEquals(runner.peakByPool.get("net"), 2);
  assertEquals(runner.peak, 4);
  // Two fetches fill the pool; the other two slots go to cpu jobs, not to waiting fetches.
  assertEquals([0, 1, 2].map((i) => startAt(`cpu${i}`)), [0, 0, 10]);
  assertEquals([0, 1, 2, 3, 4, 5].map((i) => startAt(`fetch${i}`)), [0, 0, 10, 10, 20, 20]);
});

Deno.test("schedule() starts the job on the longest remaining path first", async () => {
  const a = job(noop);
  const b = job({ deps: [a] }, noop);
  const c = job({ deps: [b] }, noop);
  const { runner } = await simulate({
    jobs: { x: job(noop), y: job(noop), a, b, c },
    plan: {},
    options: { concurrency: 1 },
  });
  // a heads a chain of three, so it goes first, then b (two left); then c, x and y tie at one
  // job each and go in graph order.
  assertEquals(runner.starts.map((s) => s.name), ["a", "b", "x", "y", "c"]);
});

Deno.test("schedule() weighs paths by remembered durations when it has them", async () => {
  const { runner, clock } = await simulate({
    jobs: { quick1: job(noop), quick2: job(noop), long: job(noop) },
    plan: { long: { ms: 100 } },
    weights: { quick1: 10, quick2: 10, long: 100 },
    options: { concurrency: 1 },
  });
  assertEquals(runner.starts.map((s) => s.name), ["long", "quick1", "quick2"]);
  assertEquals(clock.time, 120);
});

const failing = () => {
  const a = job(noop);
  return {
    a,
    b: job(noop),
    c: job(noop),
    d: job({ deps: [a] }, noop),
    e: job(noop),
  };
};

Deno.test("schedule() on failure, abort: cancels running jobs at once and starts nothing new", async () => {
  const { result, outcome, startAt } = await simulate({
    jobs: failing(),
    plan: { a: { ms: 5, fail: true }, b: { ms: 20 }, c: { ms: 30 } },
    options: { concurrency: 3 },
  });
  assertEquals(result.status, "failed");
  assertEquals(outcome("b").status, "cancelled");
  assertEquals(outcome("b").durationMs, 5);
  assertEquals(outcome("c").durationMs, 5);
  assertEquals(outcome("d").status, "skipped");
  assertEquals(outcome("e").status, "cancelled");
  assertEquals(outcome("e").started, false);
  assertEquals(startAt("e"), undefined);
  assertEquals(result.errors.map((e) => e.message), ["a broke"]);
});

Deno.test("schedule() on failure, finish: lets running jobs end and starts nothing new", async () => {
  const { outcome, clock } = await simulate({
    jobs: failing(),
    plan: { a: { ms: 5, fail: true }, b: { ms: 20 }, c: { ms: 30 } },
    options: { concurrency: 3, onFailure: "finish" },
  });
  assertEquals([outcome("b").status, outcome("c").status], ["ok", "ok"]);
  assertEquals(outcome("c").durationMs, 30);
  assertEquals(outcome("e").started, false);
  assertEquals(clock.time, 30);
});

Deno.test("schedule() on failure, continue: runs everything that does not depend on it", async () => {
  const { outcome, startAt, result } = await simulate({
    jobs: failing(),
    plan: { a: { ms: 5, fail: true }, b: { ms: 20 }, c: { ms: 30 } },
    options: { concurrency: 3, onFailure: "continue" },
  });
  assertEquals(startAt("e"), 5); // takes the failed job's slot at once
  assertEquals(outcome("e").status, "ok");
  assertEquals(outcome("d").status, "skipped");
  assertEquals(outcome("d").reason, 'dependency "a" failed');
  assertEquals(result.counts, { total: 5, ok: 3, failed: 1, cancelled: 0, skipped: 1, cached: 0 });
});

Deno.test("schedule() on cancellation: stops running jobs, gives up on one that ignores it at the force signal", async () => {
  const interrupt = new AbortController();
  const force = new AbortController();
  const { result, outcome, events } = await simulate({
    jobs: { fast: job(noop), deaf: job(noop), later: job(noop) },
    plan: { fast: { ms: 50 }, deaf: { ms: 50, ignoresCancel: true } },
    options: { concurrency: 2, signal: interrupt.signal, forceSignal: force.signal },
    graceMs: 1000,
    at: [[7, () => interrupt.abort(new Error("interrupted by SIGINT"))], [9, () => force.abort()]],
  });
  assertEquals(result.status, "cancelled");
  assertEquals(outcome("fast").durationMs, 7);
  assertEquals(outcome("deaf").durationMs, 9);
  assertEquals(outcome("deaf").ignoredCancellation, true);
  assertEquals(outcome("later").started, false);
  const cancel = events.find((e) => e.type === "run:cancel");
  assertEquals(cancel?.type === "run:cancel" && cancel.reason, "interrupted by SIGINT");
  // Every job ends exactly once; run:start first, run:end last.
  assertEquals(events[0]?.type, "run:start");
  assertEquals(events.at(-1)?.type, "run:end");
  const ends = events.filter((e) => e.type === "job:end").map((e) => e.type === "job:end" && e.job);
  assertEquals(ends.toSorted(), ["deaf", "fast", "later"]);
});

Deno.test("schedule() starts a job's dependents when it is ready, before it ends", async () => {
  const server = job(noop);
  const client = job({ deps: [server] }, noop);
  const { startAt, runner, outcome } = await simulate({
    jobs: { server, client },
    plan: { server: { ms: 100, readyAfter: 5, result: 8080 } },
    options: { concurrency: 2 },
  });
  assertEquals(startAt("client"), 5);
  assertEquals(runner.starts.find((s) => s.name === "client")?.deps.get("server"), 8080);
  assertEquals(outcome("server").status, "ok");
});

Deno.test("schedule() takes a ready service's slot back: -j 1 runs a service and its dependents", async () => {
  const server = job({ service: true }, noop);
  const { startAt, events } = await simulate({
    jobs: { server, a: job({ deps: [server] }, noop), b: job({ deps: [server] }, noop) },
    plan: { server: { ms: 1000, readyAfter: 5, result: 8080 }, a: { ms: 10 }, b: { ms: 10 } },
    options: { concurrency: 1 },
  });
  assertEquals([startAt("a"), startAt("b")], [5, 15]); // one after the other: the limit holds
  const ready = events.find((e) => e.type === "job:ready");
  assertEquals(ready?.type === "job:ready" && [ready.probe, ready.durationMs, ready.value], [
    "ctx.ready()",
    5,
    8080,
  ]);
});

Deno.test("schedule() stops a service once its last dependent ends, and keeps it with keepServices", async () => {
  const server = job({ service: true }, noop);
  const jobs = { server, a: job({ deps: [server] }, noop), other: job(noop) };
  const plan = {
    server: { ms: 1000, readyAfter: 5 },
    a: { ms: 20 },
    other: { ms: 100 },
  };
  const stopped = await simulate({ jobs, plan, options: { concurrency: 4 } });
  // Stopped when "a" ended at 25, while "other" still ran: not at the end of the run.
  assertEquals(stopped.runner.ends.find((e) => e.name === "server")?.at, 25);
  const controller = new AbortController();
  const kept = await simulate({
    jobs,
    plan,
    options: { concurrency: 4, keepServices: true, signal: controller.signal },
    at: [[500, () => controller.abort()]],
  });
  assertEquals(kept.runner.ends.find((e) => e.name === "server")?.at, 500); // until cancelled
});

Deno.test("schedule() summarises the longest chain of durations, not the last job to end", async () => {
  // A 1 s job and a 50 ms one feed a link; the short one is queued late behind a filler.
  const long = job(noop);
  const short = job(noop);
  const link = job({ deps: [long, short] }, noop);
  const { result } = await simulate({
    jobs: { long, filler: job(noop), short, link },
    plan: { long: { ms: 1000 }, filler: { ms: 990 }, short: { ms: 50 }, link: { ms: 4 } },
    options: { concurrency: 2 },
  });
  assertEquals(result.summary.criticalPath.map((j) => j.name), ["long", "link"]);
  assertEquals(result.summary.slowest.map((j) => j.name), ["long", "filler", "short", "link"]);
});

Deno.test("--dry-run is the real scheduler on the dry runner: limits and pools hold", async () => {
  const net = pool("net", 1);
  const a = job({ pool: net }, noop);
  const { specs } = resolveJobs(
    [["a", a], ["b", job({ pool: net }, noop)], ["c", job(noop)], ["d", job({ deps: [a] }, noop)]],
    "x",
  );
  const text = await dryRun(buildGraph(specs, ["a", "b", "c", "d"]), 4);
  const lines = text.trim().split("\n");
  assertEquals(lines.length, 4);
  assert(lines.includes("step 1  a  (pool net)"), text);
  assert(lines.includes("step 1  c"), text);
  assert(lines.includes("step 2  b  (pool net)") && lines.includes("step 2  d"), text);
});
