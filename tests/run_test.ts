import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertInstanceOf,
  assertLess,
  assertStringIncludes,
} from "@std/assert";
import { delay } from "@std/async/delay";
import { type GatherEvent, type Job, job, pool, run } from "../mod.ts";
import { peakConcurrency } from "./_cli.ts";
import { liveProcesses, uniqueSleep } from "./_processes.ts";

function collect() {
  const events: GatherEvent[] = [];
  return { events, onEvent: (event: GatherEvent) => events.push(event) };
}

const sleeper = (ms: number) => async (ctx: { signal: AbortSignal }) =>
  await delay(ms, { signal: ctx.signal });
const outcome = (report: Awaited<ReturnType<typeof run>>, name: string) =>
  report.jobs.find((job) => job.name === name)!;

Deno.test("run() hands each job's result to its dependents, typed", async () => {
  const names = job(async () => {
    await delay(1);
    return ["a", "b", "c"];
  });
  const count = job({ deps: [names] }, (ctx) => ctx.result(names).length);
  const double = job(
    { deps: [count, "names"] },
    (ctx) => ctx.result(count) * 2 + (ctx.result("names") as string[]).length,
  );
  const report = await run({ names, count, double });
  assertEquals(report.status, "ok");
  assertEquals(outcome(report, "double").result, 9);
  // Durations in hundredths of a millisecond, as in the events.
  for (const ms of [report.durationMs, ...report.jobs.map((j) => j.durationMs)]) {
    assertEquals(ms, Math.round(ms * 100) / 100);
  }
});

Deno.test("run() runs a shared dependency once", async () => {
  let runs = 0;
  const shared = job(() => ++runs);
  const left = job({ deps: [shared] }, () => {});
  const right = job({ deps: [shared] }, () => {});
  await run({ shared, left, right }, { concurrency: 4 });
  assertEquals(runs, 1);
});

Deno.test("run() never exceeds the global limit and reaches it", async () => {
  const jobs: Record<string, Job<unknown>> = {};
  for (let i = 0; i < 12; i++) jobs[`j${i}`] = job(sleeper(25));
  const { events, onEvent } = collect();
  const report = await run(jobs, { concurrency: 3, onEvent });
  assertEquals(report.counts.ok, 12);
  assertEquals(peakConcurrency(events), 3);
});

Deno.test("run() never exceeds a pool's limit while other jobs use the free slots", async () => {
  const net = pool("net", 2);
  const jobs: Record<string, Job<unknown>> = {};
  for (let i = 0; i < 8; i++) jobs[`net${i}`] = job({ pool: net }, sleeper(30));
  for (let i = 0; i < 4; i++) jobs[`cpu${i}`] = job(sleeper(30));
  const { events, onEvent } = collect();
  await run(jobs, { concurrency: 6, onEvent });
  assertEquals(peakConcurrency(events, (name) => name.startsWith("net")), 2);
  assertEquals(peakConcurrency(events), 6);
});

Deno.test("run() starts the job on the longest remaining path first", async () => {
  const order: string[] = [];
  const mark = (name: string) => () => void order.push(name);
  const short = job(mark("short"));
  const head = job(mark("head"));
  const middle = job({ deps: [head] }, mark("middle"));
  const tail = job({ deps: [middle] }, mark("tail"));
  await run({ short, head, middle, tail }, { concurrency: 1 });
  assertEquals(order[0], "head");
});

Deno.test("run() fails fast: aborts running jobs' signals, skips dependents, starts nothing new", async () => {
  let slowSignal: AbortSignal | undefined;
  const fails = job(async () => {
    await delay(40);
    throw new Error("lint found 3 problems");
  });
  const slow = job(async (ctx) => {
    slowSignal = ctx.signal;
    await delay(5_000, { signal: ctx.signal });
  });
  const after = job({ deps: [fails] }, () => {});
  const queued = job({ deps: [slow] }, () => {});
  const started = performance.now();
  const report = await run({ fails, slow, after, queued }, { concurrency: 4 });
  assertLess(performance.now() - started, 2_000);
  assertEquals(report.status, "failed");
  assertEquals(slowSignal?.aborted, true);
  assertEquals(outcome(report, "fails").status, "failed");
  assertEquals(outcome(report, "slow").status, "cancelled");
  assertEquals(outcome(report, "after").status, "skipped");
  assertEquals(outcome(report, "queued").status, "cancelled");
  assertEquals(outcome(report, "queued").started, false);
  assertEquals(report.errors[0]?.message, "lint found 3 problems");
});

Deno.test("run() with onFailure continue runs the independent branch to the end", async () => {
  const fails = job(() => Promise.reject(new Error("broken")));
  const dependent = job({ deps: [fails] }, () => {});
  const independent = job(async () => {
    await delay(60);
    return "done";
  });
  const later = job({ deps: [independent] }, () => "later");
  const report = await run({ fails, dependent, independent, later }, { onFailure: "continue" });
  assertEquals(report.status, "failed");
  assertEquals(outcome(report, "dependent").status, "skipped");
  assertEquals(outcome(report, "later").result, "later");
});

Deno.test("run() with onFailure finish lets running jobs end but starts nothing new", async () => {
  const fails = job(() => Promise.reject(new Error("broken")));
  const running = job(async (ctx) => {
    await delay(50);
    return ctx.signal.aborted ? "aborted" : "finished";
  });
  const next = job({ deps: [running] }, () => {});
  const report = await run({ fails, running, next }, { onFailure: "finish", concurrency: 2 });
  assertEquals(outcome(report, "running").result, "finished");
  assertEquals(outcome(report, "next").status, "cancelled");
});

Deno.test("run() times out a job: aborts its signal and fails it with a timeout error", async () => {
  let signal: AbortSignal | undefined;
  const hangs = job({ timeout: "80ms" }, async (ctx) => {
    signal = ctx.signal;
    await delay(10_000, { signal: ctx.signal });
  });
  const started = performance.now();
  const report = await run({ hangs });
  const elapsed = performance.now() - started;
  assertGreaterOrEqual(elapsed, 75);
  assertLess(elapsed, 1_000);
  assertEquals(signal?.aborted, true);
  assertEquals(outcome(report, "hangs").status, "failed");
  assertEquals((outcome(report, "hangs").error as { code?: string }).code, "TIMEOUT");
});

Deno.test("run() applies the default timeout to jobs that set none", async () => {
  const hangs = job(async (ctx) => await delay(10_000, { signal: ctx.signal }));
  const report = await run({ hangs }, { timeout: "50ms" });
  assertStringIncludes(outcome(report, "hangs").error!.message, "timed out after 50ms");
});

Deno.test("run() retries a failing job with backoff and reports each retry", async () => {
  let calls = 0;
  const flaky = job({ retries: 3, retryDelay: "10ms" }, (ctx) => {
    calls++;
    if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`);
    return "third time lucky";
  });
  const { events, onEvent } = collect();
  const report = await run({ flaky }, { onEvent });
  assertEquals(calls, 3);
  assertEquals(outcome(report, "flaky").result, "third time lucky");
  assertEquals(outcome(report, "flaky").attempts, 3);
  assertEquals(events.filter((e) => e.type === "job:retry").length, 2);
  assertEquals(events.filter((e) => e.type === "job:start").length, 1);
});

Deno.test("run() fails a job whose retries run out with its last error", async () => {
  const broken = job({ retries: 1, retryDelay: 0 }, (ctx) => {
    throw new Error(`attempt ${ctx.attempt}`);
  });
  const report = await run({ broken });
  assertEquals(outcome(report, "broken").error?.message, "attempt 2");
});

Deno.test("run() handles sync throws, non-Error throws and plain return values", async () => {
  const syncThrow = job((): never => {
    throw new TypeError("sync");
  });
  const stringThrow = job(() => Promise.reject("just a string"));
  const plain = job(() => 42);
  const report = await run({ syncThrow, stringThrow, plain }, { onFailure: "continue" });
  assertInstanceOf(outcome(report, "syncThrow").error, TypeError);
  assertEquals(
    outcome(report, "stringThrow").error?.message,
    'Non-Error value thrown: "just a string"',
  );
  assertEquals(outcome(report, "plain").result, 42);
  assertEquals(report.errors.length, 2);
});

Deno.test("run() gathers every failure under keep-going, first one first", async () => {
  const first = job(() => Promise.reject(new Error("first")));
  const second = job(async () => {
    await delay(20);
    throw new Error("second");
  });
  const report = await run({ first, second }, { onFailure: "continue" });
  assertEquals(report.errors.map((e) => e.message), ["first", "second"]);
});

Deno.test("run() is cancelled by its signal and reports which jobs never started", async () => {
  const controller = new AbortController();
  const running = job(async (ctx) => await delay(5_000, { signal: ctx.signal }));
  const waiting = job({ deps: [running] }, () => {});
  setTimeout(() => controller.abort(new Error("stop")), 30);
  const { events, onEvent } = collect();
  const report = await run({ running, waiting }, { signal: controller.signal, onEvent });
  assertEquals(report.status, "cancelled");
  assertEquals(outcome(report, "running").status, "cancelled");
  assertEquals(outcome(report, "waiting").started, false);
  assert(events.some((e) => e.type === "run:cancel"));
  assertEquals(events.at(-1)?.type, "run:end");
});

Deno.test("run() stops waiting for a job that ignores cancellation after the grace period", async () => {
  const controller = new AbortController();
  const stubborn = job(async () => await delay(1_500)); // never looks at ctx.signal
  setTimeout(() => controller.abort(), 20);
  const started = performance.now();
  const report = await run({ stubborn }, { signal: controller.signal, grace: "150ms" });
  const elapsed = performance.now() - started;
  assertLess(elapsed, 1_000);
  assertGreaterOrEqual(elapsed, 150);
  assertEquals(outcome(report, "stubborn").ignoredCancellation, true);
  await delay(1_500); // let the stubborn timer end before the test's leak check
});

Deno.test("ctx.result() refuses a job that is not a dependency", async () => {
  const other = job(() => 1);
  const asks = job((ctx) => ctx.result(other));
  const report = await run({ other, asks }, { onFailure: "continue", concurrency: 1 });
  assertStringIncludes(outcome(report, "asks").error!.message, "not in its deps");
});

Deno.test("run() rejects an unnamed job in an array", () => {
  let error: unknown;
  try {
    run([job(() => 1)]);
  } catch (e) {
    error = e;
  }
  assertInstanceOf(error, TypeError);
});

Deno.test("run() names ctx.exec work a job left running as ctx.exec, not ctx.sh", async () => {
  const seconds = uniqueSleep();
  const events: GatherEvent[] = [];
  const hasty = job((ctx) => void ctx.exec("sleep", [String(seconds)]));
  await run({ hasty }, { onEvent: (e) => events.push(e) });
  const pending = events.find((e) => e.type === "diagnostic" && e.kind === "pending-work");
  assertStringIncludes(
    pending?.type === "diagnostic" ? pending.message : "",
    `ctx.exec "sleep ${seconds}"`,
  );
});

Deno.test("run() with diagnostics fails the job whose timer callback threw, and only it", async () => {
  const original = globalThis.setTimeout;
  const throws = job(async (ctx) => {
    setTimeout(() => {
      throw new Error("from a timer");
    }, 10);
    await delay(5_000, { signal: ctx.signal });
  });
  const calm = job(async (ctx) => {
    await delay(100, { signal: ctx.signal });
    return "calm";
  });
  const { events, onEvent } = collect();
  const report = await run({ throws, calm }, {
    diagnostics: { stalls: false },
    onFailure: "continue",
    onEvent,
  });
  assertEquals(outcome(report, "throws").status, "failed");
  assertEquals(outcome(report, "throws").error?.message, "from a timer");
  assertEquals(outcome(report, "calm").result, "calm");
  assertEquals(report.diagnostics.map((d) => [d.kind, d.job]), [["uncaught-error", "throws"]]);
  assertEquals(events.filter((e) => e.type === "job:end").length, 2);
  assertEquals(events.at(-1)?.type, "run:end");
  assertEquals(globalThis.setTimeout, original); // the wrapper is gone
});

Deno.test("run() without diagnostics leaves timers and uncaught exceptions to the program", async () => {
  const original = globalThis.setTimeout;
  const looks = job(() => globalThis.setTimeout === original);
  assertEquals(outcome(await run({ looks }), "looks").result, true);
  // Nothing of gather's catches the exception: Deno ends the program, as it would without gather.
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/embed.ts`;
    await Deno.writeTextFile(
      script,
      `import { job, run } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
const throws = job(async () => {
  setTimeout(() => { throw new Error("from a timer"); }, 10);
  await new Promise((resolve) => setTimeout(resolve, 200));
});
await run({ throws });
console.log("run() returned");
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 1);
    assertStringIncludes(stderr, "Uncaught Error: from a timer");
    assertEquals(new TextDecoder().decode(output.stdout), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run() rejects with the error its onEvent threw, and stops its jobs, instead of hanging", async () => {
  const seconds = uniqueSleep();
  const quick = job(async () => await delay(10));
  const slow = job(async (ctx) => await ctx.sh`sleep ${seconds}`);
  const onEvent = (event: GatherEvent) => {
    if (event.type === "job:end") throw new Error("onEvent broke");
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise((resolve) => timer = setTimeout(() => resolve("hung"), 10_000));
  const outcome = await Promise.race([
    run({ quick, slow }, { diagnostics: { stalls: false }, onEvent, grace: "200ms" }).then(
      () => "resolved",
      (error: Error) => error.message,
    ),
    hung,
  ]);
  clearTimeout(timer);
  assertEquals(outcome, "onEvent broke");
  assertEquals(await liveProcesses(String(seconds)), []);
});

Deno.test("run(): event times never go back in the stream, even when a job's code moves Date.now", async () => {
  const realNow = Date.now;
  // A job that fakes the clock (as a test framework's fake timers do) while it logs.
  const skewed = job((ctx) => {
    Date.now = () => realNow() - 3_600_000;
    try {
      ctx.log("an hour behind");
    } finally {
      Date.now = realNow;
    }
    ctx.log("on time");
  });
  const { events, onEvent } = collect();
  const report = await run({ skewed }, { onEvent });
  assertEquals(report.status, "ok");
  const times = events.map((event) => event.time);
  assertEquals(times, [...times].sort((a, b) => a - b), JSON.stringify(events));
  const start = events.find((event) => event.type === "job:start")!;
  const behind = events.find((event) =>
    event.type === "job:log" && event.line === "an hour behind"
  )!;
  assertEquals(behind.time, start.time, "held at the time of the event before it");
});
