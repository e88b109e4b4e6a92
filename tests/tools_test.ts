import {
  assert,
  assertEquals,
  assertGreater,
  assertLess,
  assertLessOrEqual,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { delay } from "@std/async/delay";
import { type GatherEvent, job, Queue, QueueClosedError, run } from "../mod.ts";
import { FIXTURES } from "./_cli.ts";
import { liveProcesses } from "./_processes.ts";

const WORK = new URL(`file://${FIXTURES}work.ts`);
const outcome = (report: Awaited<ReturnType<typeof run>>, name: string) =>
  report.jobs.find((j) => j.name === name)!;

Deno.test("ctx.spawn: the job waits for its children and gets their results", async () => {
  const finished: number[] = [];
  const parent = job(async (ctx) => {
    for (const ms of [60, 20, 40]) {
      ctx.spawn(async (signal) => {
        await delay(ms, { signal });
        finished.push(ms);
      });
    }
    return await ctx.spawn(() => "direct");
  });
  const report = await run({ parent });
  assertEquals(outcome(report, "parent").result, "direct");
  assertEquals(finished.toSorted(), [20, 40, 60]); // all settled before the job ended
});

Deno.test("ctx.spawn: a child's failure fails the job and aborts its siblings", async () => {
  let siblingAborted = false;
  const parent = job(async (ctx) => {
    ctx.spawn(async (signal) => {
      try {
        await delay(5_000, { signal });
      } catch (error) {
        siblingAborted = signal.aborted;
        throw error;
      }
    });
    ctx.spawn(async () => {
      await delay(30);
      throw new Error("child broke");
    });
    await delay(5_000, { signal: ctx.signal });
  });
  const started = performance.now();
  const report = await run({ parent });
  assertLess(performance.now() - started, 2_000);
  assertEquals(outcome(report, "parent").status, "failed");
  assertEquals(outcome(report, "parent").error?.message, "child broke");
  assert(siblingAborted);
});

Deno.test("ctx.spawn: cancellation reaches the children", async () => {
  const controller = new AbortController();
  const aborted: boolean[] = [];
  const parent = job((ctx) => {
    for (let i = 0; i < 3; i++) {
      ctx.spawn(async (signal) => {
        await delay(5_000, { signal }).catch(() => aborted.push(signal.aborted));
      });
    }
  });
  setTimeout(() => controller.abort(), 50);
  const report = await run({ parent }, { signal: controller.signal });
  assertEquals(aborted, [true, true, true]);
  assertEquals(report.status, "cancelled");
});

Deno.test("ctx.map: keeps at most `concurrency` items in flight, in order, with progress events", async () => {
  let inFlight = 0;
  let peak = 0;
  const events: GatherEvent[] = [];
  const mapper = job(async (ctx) =>
    await ctx.map(Array.from({ length: 20 }, (_, i) => i), async (i) => {
      peak = Math.max(peak, ++inFlight);
      await delay(5 + (i % 3) * 5);
      inFlight--;
      return i * 2;
    }, { concurrency: 3 })
  );
  const report = await run({ mapper }, { onEvent: (e) => events.push(e) });
  assertEquals(outcome(report, "mapper").result, Array.from({ length: 20 }, (_, i) => i * 2));
  assertEquals(peak, 3);
  const progress = events.filter((e) => e.type === "job:progress");
  assertEquals(progress.length, 21);
  assertEquals(progress.at(-1), { ...progress.at(-1)!, done: 20, total: 20 });
});

Deno.test("ctx.map: stops starting items after the first failure, and on cancellation", async () => {
  let started = 0;
  const failing = job(async (ctx) =>
    await ctx.map(Array.from({ length: 50 }, (_, i) => i), async (i) => {
      started++;
      await delay(10);
      if (i === 2) throw new Error(`item ${i} failed`);
      return i;
    }, { concurrency: 2 })
  );
  const report = await run({ failing });
  assertEquals(outcome(report, "failing").error?.message, "item 2 failed");
  assertLessOrEqual(started, 6);

  const controller = new AbortController();
  let startedAfterCancel = 0;
  let cancelled = false;
  const long = job(async (ctx) =>
    await ctx.map(Array.from({ length: 50 }, (_, i) => i), async (_, signal) => {
      if (cancelled) startedAfterCancel++;
      await delay(20, { signal });
    }, { concurrency: 2 })
  );
  setTimeout(() => {
    cancelled = true;
    controller.abort();
  }, 50);
  const cancelledReport = await run({ long }, { signal: controller.signal });
  assertEquals(outcome(cancelledReport, "long").status, "cancelled");
  assertEquals(startedAfterCancel, 0);
});

Deno.test("ctx.offload: runs an exported function in a worker and returns its result", async () => {
  const cpu = job(async (ctx) => await ctx.offload<number>(WORK, "fib", 20));
  const fails = job(async (ctx) => await ctx.offload(WORK, "fails"));
  const report = await run({ cpu, fails }, { onFailure: "continue" });
  assertEquals(outcome(report, "cpu").result, 6765);
  assertEquals(outcome(report, "fails").error?.message, "offloaded work failed");
  assertEquals(outcome(report, "fails").error?.name, "RangeError");
});

Deno.test("ctx.offload: keeps the event loop free while the worker computes", async () => {
  let ticks = 0;
  const cpu = job(async (ctx) => await ctx.offload<number>(WORK, "spin", 400, "free"));
  const ticker = job(async () => {
    const end = performance.now() + 400;
    while (performance.now() < end) {
      await delay(10);
      ticks++;
    }
  });
  await run({ cpu, ticker }, { concurrency: 2 });
  assertGreater(ticks, 15); // a blocked loop would have ticked about once
});

Deno.test("ctx.offload: cancellation terminates the worker", async () => {
  const controller = new AbortController();
  const slowJob = job(async (ctx) => await ctx.offload(WORK, "slow", 10_000));
  setTimeout(() => controller.abort(), 100);
  const started = performance.now();
  const report = await run({ slowJob }, { signal: controller.signal });
  assertLess(performance.now() - started, 1_000);
  assertEquals(outcome(report, "slowJob").status, "cancelled");
});

Deno.test("ctx.offload with isolate process: cancellation kills a computation mid-loop", async () => {
  const marker = `marker-${crypto.randomUUID()}`;
  const controller = new AbortController();
  const spinner = job(async (ctx) =>
    await ctx.offloadWith({ isolate: "process" }, WORK, "spin", 30_000, marker)
  );
  const done = job(async (ctx) => await ctx.offloadWith({ isolate: "process" }, WORK, "fib", 15));
  const finished = await run({ done });
  assertEquals(outcome(finished, "done").result, 610);
  setTimeout(() => controller.abort(), 1_000);
  const started = performance.now();
  const report = await run({ spinner }, { signal: controller.signal });
  assertLess(performance.now() - started, 3_000);
  assertEquals(outcome(report, "spinner").status, "cancelled");
  assertEquals(await liveProcesses(marker), []);
});

Deno.test("ctx.offload: rejects a relative module URL with a clear message", async () => {
  const bad = job(async (ctx) => await ctx.offload("./work.ts", "fib", 1));
  const report = await run({ bad });
  assertStringIncludes(
    outcome(report, "bad").error!.message,
    "is not an absolute URL; use new URL",
  );
});

Deno.test("Queue: put waits while full, get waits while empty (back-pressure)", async () => {
  const queue = new Queue<number>(2);
  await queue.put(1);
  await queue.put(2);
  let thirdPut = false;
  const putting = queue.put(3).then(() => (thirdPut = true));
  await delay(20);
  assertEquals(thirdPut, false); // full: the producer waits
  assertEquals(await queue.get(), 1);
  await putting;
  assertEquals(thirdPut, true);
  assertEquals(await queue.get(), 2);
  assertEquals(await queue.get(), 3);
  let got: number | undefined = -1;
  const getting = queue.get().then((value) => (got = value));
  await delay(20);
  assertEquals(got, -1); // empty: the consumer waits
  await queue.put(4);
  await getting;
  assertEquals(got, 4);
});

Deno.test("Queue: close lets consumers drain, refuses producers, and waits abort with the signal", async () => {
  const queue = new Queue<string>(3);
  await queue.put("a");
  await queue.put("b");
  queue.close();
  await assertRejects(() => queue.put("c"), QueueClosedError);
  const drained: string[] = [];
  for await (const item of queue) drained.push(item);
  assertEquals(drained, ["a", "b"]);
  assertEquals(await queue.get(), undefined);

  const empty = new Queue<string>(1);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop waiting")), 20);
  await assertRejects(() => empty.get({ signal: controller.signal }), Error, "stop waiting");
});

Deno.test("Queue: producer and consumer jobs hold back-pressure across jobs", async () => {
  const queue = new Queue<number>(4);
  let maxQueued = 0;
  const producer = job(async (ctx) => {
    for (let i = 0; i < 40; i++) {
      await queue.put(i, { signal: ctx.signal });
      maxQueued = Math.max(maxQueued, queue.size);
    }
    queue.close();
  });
  const consumer = job(async (ctx) => {
    let sum = 0;
    for await (const item of queue) {
      await delay(1, { signal: ctx.signal });
      sum += item;
    }
    return sum;
  });
  const report = await run({ producer, consumer }, { concurrency: 2 });
  assertEquals(outcome(report, "consumer").result, 780);
  assertLessOrEqual(maxQueued, 4);
});
