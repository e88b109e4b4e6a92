import {
  assert,
  assertEquals,
  assertGreater,
  assertLess,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import type { DiagnosticEvent, GatherEvent, JobEndEvent } from "../src/events.ts";
import { Diagnostics } from "../src/diagnostics/diagnostics.ts";
import { blameStall } from "../src/diagnostics/stall_blame.ts";
import { JobScope } from "../src/engine/scope.ts";
import type { CpuClock, CpuSample } from "../src/diagnostics/cpu_time.ts";
import { assertComplete, FIXTURES, gather, parseEvents, ROOT } from "./_cli.ts";
import { LiveGather, logged } from "./_live.ts";
import { liveProcesses, uniqueSleep } from "./_processes.ts";

const diagnostics = (events: GatherEvent[]) =>
  events.filter((e): e is DiagnosticEvent => e.type === "diagnostic");
const end = (events: GatherEvent[], job: string) =>
  events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === job);

async function runStalls(scenario: string, extra: string[] = []) {
  const bigFile = await Deno.makeTempFile();
  try {
    await Deno.writeFile(bigFile, new Uint8Array(4 * 1024 * 1024));
    const { code, stdout, stderr } = await gather(
      ["-f", `${FIXTURES}stalls.ts`, "-j", "4", "--reporter", "json", ...extra],
      { env: { SCENARIO: scenario, BIG_FILE: bigFile } },
    );
    assertEquals(code, 0, stderr);
    return parseEvents(stdout);
  } finally {
    await Deno.remove(bigFile);
  }
}

for (
  const scenario of ["loop", "readFileSync", "timer", "shared", "native", "prologue", "immediate"]
) {
  Deno.test(`diagnostics: a ${scenario} stall is blamed on the blocking job, not its three neighbours`, async () => {
    const events = await runStalls(scenario);
    const stalls = diagnostics(events).filter((d) => d.kind === "stall");
    assert(stalls.length >= 1, `no stall reported:\n${JSON.stringify(diagnostics(events))}`);
    for (const stall of stalls) {
      assertEquals(stall.job, "blocker", JSON.stringify(stall));
      assertGreater(stall.durationMs!, 200);
      assertLess(stall.durationMs!, 700);
    }
    const [first] = stalls;
    assertStringIncludes(first!.hint, "ctx.offload");
    if (scenario === "readFileSync") {
      assertStringIncludes(first!.hint, "use the async readFile() instead of readFileSync()");
    }
    if (scenario === "loop" || scenario === "shared" || scenario === "immediate") {
      assertMatch(first!.site ?? "", /^tests\/fixtures\/stalls\.ts:\d+/);
    }
    if (scenario === "shared") assertStringIncludes(first!.message, "shared ← blocker");
    if (scenario === "prologue") {
      assertStringIncludes(first!.message, "before its function returned");
      // No profiler ran (the neighbours only run commands): the line the blocker's function starts on.
      const fixture = await Deno.readTextFile(`${FIXTURES}stalls.ts`);
      const line = fixture.split("\n").indexOf("  ? job((ctx) => {") + 1;
      assertEquals(first!.site, `tests/fixtures/stalls.ts:${line}`);
    }
    // The run itself is unaffected: every job ends ok.
    for (const job of ["blocker", "neighbour1", "neighbour2", "neighbour3"]) {
      assertEquals(end(events, job)?.status, "ok");
    }
    const runEnd = events.at(-1)!;
    assertEquals(runEnd.type, "run:end");
  });
}

Deno.test("diagnostics: the profiler starts only once a job may run code of its own later", async () => {
  const scope = new JobScope();
  const watcher = new Diagnostics({ emit: () => {}, scope, fnOf: () => undefined });
  await watcher.start();
  try {
    // Jobs that returned what ctx.sh returned, or a plain value, run nothing more.
    const code = watcher.instrument;
    code.jobReturned!("command", 1, false);
    code.batchStarted!();
    assertEquals(watcher.profiling, false);
    code.jobReturned!("async", 1, true);
    assertEquals(watcher.profiling, false); // not before every job of the batch has started
    code.batchStarted!();
    assertEquals(watcher.profiling, true);
  } finally {
    await watcher.stop();
  }
  // Once stopped, a job that returns no longer arms the profiler.
  watcher.instrument.jobReturned!("late", 1, true);
  watcher.instrument.batchStarted!();
  assertEquals(watcher.profiling, false);
});

Deno.test("diagnostics: --no-diagnostics reports no stall, --stall-threshold raises the bar", async () => {
  assertEquals(diagnostics(await runStalls("loop", ["--no-diagnostics"])).length, 0);
  assertEquals(diagnostics(await runStalls("loop", ["--stall-threshold", "2s"])).length, 0);
});

Deno.test("diagnostics: an orphan rejection is blamed on the job that created it, and the run survives", async () => {
  const { code, stdout } = await gather([
    "-f",
    `${FIXTURES}mistakes.ts`,
    "orphanDuring",
    "orphanAfter",
    "bystander",
    "-j",
    "3",
    "--no-history",
    "--reporter",
    "json",
  ]);
  assertEquals(code, 0);
  const events = parseEvents(stdout);
  const rejections = diagnostics(events).filter((d) => d.kind === "unhandled-rejection");
  const byJob = Object.fromEntries(rejections.map((d) => [d.job, d]));
  assertStringIncludes(byJob.orphanDuring!.message, "rejected while the job ran");
  assertStringIncludes(byJob.orphanAfter!.message, "rejected after the job ended");
  assertMatch(byJob.orphanDuring!.site!, /mistakes\.ts:\d+$/);
  assertEquals(end(events, "orphanDuring")?.status, "ok");
  assertEquals(end(events, "bystander")?.status, "ok");
  // The late rejection came after its job ended, and still before run:end.
  const lateAt = events.findIndex((e) => e.type === "diagnostic" && e.job === "orphanAfter");
  assertGreater(lateAt, events.indexOf(end(events, "orphanAfter")!));
});

Deno.test("diagnostics: a job that returns while its command runs is reported, and the command stopped", async () => {
  const mark = uniqueSleep();
  const { code, stdout } = await gather(
    ["-f", `${FIXTURES}mistakes.ts`, "forgetful", "--reporter", "json"],
    { env: { MARK: mark } },
  );
  assertEquals(code, 0);
  const [pending] = diagnostics(parseEvents(stdout)).filter((d) => d.kind === "pending-work");
  assertEquals(pending?.job, "forgetful");
  assertStringIncludes(pending!.message, `ctx.sh "sleep ${mark}"`);
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("diagnostics: a job that ignores its cancellation is named, with the fix", async () => {
  const { code, stdout, stderr } = await gather([
    "-f",
    `${FIXTURES}mistakes.ts`,
    "deaf",
    "--grace",
    "100ms",
  ]);
  assertEquals(code, 1);
  assertEquals(stdout, "");
  assertStringIncludes(stderr, "ignored-cancellation");
  assertStringIncludes(stderr, "pass ctx.signal on to fetch, ctx.sh, delay");
});

Deno.test("diagnostics: --strict makes diagnostics fail the run", async () => {
  const relaxed = await gather(["-f", `${FIXTURES}mistakes.ts`, "orphanDuring"]);
  assertEquals(relaxed.code, 0);
  const strict = await gather(["-f", `${FIXTURES}mistakes.ts`, "orphanDuring", "--strict"]);
  assertEquals(strict.code, 1);
  assertStringIncludes(strict.stderr, "gather: --strict: 1 diagnostic fails the run");
  assertStringIncludes(strict.stderr, "⚠ 1 diagnostic:");
  assertStringIncludes(strict.stderr, "✖ failed: 1 ok of 1 job");
  // Scripts reading the events see the same outcome as the exit code.
  const json = await gather([
    "-f",
    `${FIXTURES}mistakes.ts`,
    "orphanDuring",
    "--strict",
    "--reporter",
    "json",
  ]);
  assertEquals(json.code, 1);
  const end = parseEvents(json.stdout).find((e) => e.type === "run:end");
  assert(end?.type === "run:end");
  assertEquals(end.status, "failed");
  assertEquals(end.firstFailure, "--strict: 1 diagnostic fails the run");
  const plainEnd = parseEvents(
    (await gather(["-f", `${FIXTURES}mistakes.ts`, "orphanDuring", "--reporter", "json"])).stdout,
  ).find((e) => e.type === "run:end");
  assert(plainEnd?.type === "run:end");
  assertEquals(plainEnd.status, "ok");
});

Deno.test("tasks/pitfalls.ts: gather names each mistake, by job, with its line and the fix", async () => {
  const { code, stdout } = await gather([
    "-f",
    "tasks/pitfalls.ts",
    "-k",
    "-j",
    "8",
    "--grace",
    "500ms",
    "--reporter",
    "json",
  ]);
  assertEquals(code, 1); // deaf times out
  const found = diagnostics(parseEvents(stdout));
  const source = (await Deno.readTextFile("tasks/pitfalls.ts")).split("\n");
  // The lines of a job's function: from its `export const` to the next line that closes it.
  const span = (name: string) => {
    const first = source.findIndex((line) => line.startsWith(`export const ${name} = job(`)) + 1;
    const last = source.findIndex((line, i) => i >= first && /^\)?\}?\);$/.test(line)) + 1;
    return [first, last] as const;
  };
  const siteLine = (d: DiagnosticEvent) =>
    Number(d.site?.match(/^tasks\/pitfalls\.ts:(\d+)$/)?.[1]);
  for (const name of ["spin", "readSync"]) {
    const stall = found.find((d) => d.kind === "stall" && d.job === name);
    assert(stall, `no stall blamed on ${name}:\n${JSON.stringify(found, null, 1)}`);
    const [first, last] = span(name);
    const line = siteLine(stall);
    assert(
      line >= first && line <= last,
      `${name}: site ${stall.site} outside lines ${first}-${last}`,
    );
  }
  const orphan = found.find((d) => d.kind === "unhandled-rejection");
  assertEquals(orphan?.job, "orphan");
  // The site is where the error was made, inside the promise nobody awaited.
  const thrown =
    source.findIndex((l) => l.includes(`throw new Error("could not save the cache")`)) + 1;
  assertEquals(orphan?.site, `tasks/pitfalls.ts:${thrown}`);
  assertEquals(found.find((d) => d.kind === "ignored-cancellation")?.job, "deaf");
  assert(!found.some((d) => d.job === "ticker"), "the innocent ticker was blamed");
});

Deno.test("tasks/fixed.ts: the same work done right raises no diagnostic", async () => {
  const { code, stdout, stderr } = await gather([
    "-f",
    "tasks/fixed.ts",
    "-j",
    "8",
    "--reporter",
    "json",
  ]);
  assertEquals(code, 0, stderr);
  const events = parseEvents(stdout);
  assertEquals(diagnostics(events), []);
  assert(
    events.some((e) =>
      e.type === "job:log" && e.job === "awaited" && e.line.startsWith("cache not saved")
    ),
  );
});

Deno.test("diagnostics: the site of a stall is the TypeScript line, in a folder whose path has spaces", async () => {
  const dir = await Deno.makeTempDir({ prefix: "with spaces " });
  try {
    // Types before the loop shift the emitted JavaScript's lines against the source's.
    await Deno.writeTextFile(
      `${dir}/tasks.ts`,
      `import { job } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};

interface Budget {
  ms: number;
  label: string;
}

const budget: Budget = { ms: 400, label: "spin" };

export const spin = job(async () => {
  await Promise.resolve();
  const until = process.cpuUsage().user / 1000 + budget.ms; // CPU time: load stretches it
  while (process.cpuUsage().user / 1000 < until) for (let i = 0; i < 1e5; i++) Math.sqrt(i); // line 13
});

export const neighbour = job(() => new Promise((resolve) => setTimeout(resolve, 1000)));
`,
    );
    const { code, stdout, stderr } = await gather(
      ["-f", "tasks.ts", "--reporter", "json", "--no-logs"],
      { cwd: dir },
    );
    assertEquals(code, 0, stderr);
    const stall = diagnostics(parseEvents(stdout)).find((d) => d.kind === "stall");
    assertEquals(stall?.job, "spin", JSON.stringify(diagnostics(parseEvents(stdout))));
    assertEquals(stall?.site, "tasks.ts:13");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --- a stall is time the loop was held by code, not time the process did not run ---

/** Block the loop for 300 ms while `clock` says how the thread spent it. */
async function gapWith(
  clock: FakeCpu,
  spent: Spent,
): Promise<DiagnosticEvent[]> {
  const events: DiagnosticEvent[] = [];
  const watcher = new Diagnostics({
    emit: (e) => e.type === "diagnostic" && events.push(e),
    scope: new JobScope(),
    fnOf: () => undefined,
    cpu: clock,
  });
  await watcher.start();
  await new Promise((resolve) => setTimeout(resolve, 120));
  const start = performance.now();
  while (performance.now() - start < 300) continue; // a gap of 300 ms for the lag monitor
  clock.spend(spent);
  await new Promise((resolve) => setTimeout(resolve, 120));
  await watcher.stop();
  return events;
}

/** How a gap went: the loop's thread ran, waited for a CPU; the other threads waited; a stop. */
interface Spent {
  runMs?: number;
  waitMs?: number;
  othersWaitMs?: number;
  resumed?: boolean;
}

/**
 * A CPU clock the test controls. Outside the gaps it is told about, the
 * thread is said to have waited for a CPU all along, so that a machine loaded
 * by other tests adds no stall of its own.
 */
class FakeCpu implements CpuClock {
  #runMs = 0;
  #waitMs = 0;
  #othersWaitMs = 0;
  #toldMs = 0;
  #start = performance.now();
  #sampledAt = performance.now();
  #resumedAt = -Infinity;
  sample(): CpuSample {
    this.#sampledAt = performance.now();
    const untold = this.#sampledAt - this.#start - this.#toldMs;
    return { runMs: this.#runMs, waitMs: this.#waitMs + untold, othersWaitMs: this.#othersWaitMs };
  }
  resumedAfter(time: number): boolean {
    return this.#resumedAt > time;
  }
  /** Everything since the last sample (the gap and the idle time before it) went as told. */
  spend(spent: Spent): void {
    this.#toldMs += performance.now() - this.#sampledAt;
    this.#runMs += spent.runMs ?? 0;
    this.#waitMs += spent.waitMs ?? 0;
    this.#othersWaitMs += spent.othersWaitMs ?? 0;
    if (spent.resumed) this.#resumedAt = performance.now();
  }
}

Deno.test("Diagnostics: a gap the loop's thread spent running is a stall", async () => {
  const stalls = await gapWith(new FakeCpu(), { runMs: 300 });
  assertEquals(stalls.length, 1, JSON.stringify(stalls));
  assertGreater(stalls[0]!.durationMs!, 250);
});

Deno.test("Diagnostics: a gap the loop's thread spent waiting for a CPU is not a stall", async () => {
  assertEquals(await gapWith(new FakeCpu(), { runMs: 20, waitMs: 280 }), []);
});

Deno.test("Diagnostics: a gap the loop spent blocked while gather's other threads waited for a CPU is not a stall", async () => {
  // The loop waited on a thread (a worker starting, an I/O thread) that waited for a CPU.
  assertEquals(await gapWith(new FakeCpu(), { runMs: 5, othersWaitMs: 200 }), []);
});

Deno.test("Diagnostics: a gap in which the process was stopped and continued is not a stall", async () => {
  // Neither running nor waiting: a call that blocks (a stall), or a stop (none).
  const blocked = await gapWith(new FakeCpu(), { runMs: 5 });
  assertEquals(blocked.length, 1, "a call that blocks is a stall");
  assertEquals(await gapWith(new FakeCpu(), { runMs: 5, resumed: true }), []);
});

Deno.test("diagnostics: stopping gather (SIGSTOP, then SIGCONT) is not a stall, even with --strict", async () => {
  const run = new LiveGather(["-f", `${FIXTURES}pausable.ts`, "--strict", "--no-logs"]);
  await run.waitFor(logged("ticker", "tick 5"));
  run.kill("SIGSTOP");
  await new Promise((resolve) => setTimeout(resolve, 600));
  run.kill("SIGCONT");
  const { code, events, stderr } = await run.result();
  assertEquals(diagnostics(events), [], stderr);
  assertEquals(code, 0, stderr);
  const ticks = events.filter((e) => e.type === "job:log" && e.job === "ticker");
  assertEquals(ticks.length, 8); // the run went on as if nothing happened
});

/** The first CPU this process may run on. */
function firstCpu(): string {
  const status = Deno.readTextFileSync("/proc/self/status");
  return status.match(/^Cpus_allowed_list:\s*(\d+)/m)?.[1] ?? "0";
}

Deno.test({
  name: "tasks/fixed.ts on a loaded CPU raises no diagnostic: waiting for a CPU is not a stall",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const cpu = firstCpu();
    // Two busy processes on the CPU gather is pinned to: it gets a third of it.
    const hogs = [1, 2].map(() =>
      new Deno.Command("taskset", {
        args: ["-c", cpu, "sh", "-c", "while :; do :; done"],
        stdout: "null",
        stderr: "null",
      }).spawn()
    );
    try {
      const args = ["-f", "tasks/fixed.ts", "-j", "8", "--reporter", "json", "--strict"];
      const out = await new Deno.Command("taskset", {
        args: ["-c", cpu, Deno.execPath(), "run", "-A", `${ROOT}main.ts`, "--no-logs", ...args],
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      const events = parseEvents(new TextDecoder().decode(out.stdout));
      assertEquals(diagnostics(events), [], stderr);
      assertEquals(out.code, 0, stderr);
    } finally {
      for (const hog of hogs) {
        hog.kill("SIGKILL");
        await hog.status;
      }
    }
  },
});

const THROWERS = [
  "timer",
  "interval",
  "immediate",
  "microtask",
  "emitter",
  "nextTick",
  "listener",
  "syncListener",
  "oddValue",
  "deaf",
];

Deno.test("diagnostics: an exception a job's callback throws fails that job alone, under --keep-going", async () => {
  const { code, stdout, stderr } = await gather(
    ["-f", `${FIXTURES}uncaught.ts`, "-k", "-j", "20", "--reporter", "json"],
    { env: { OUTSIDE: "1", MARK: `0.6${String(Math.random()).slice(2, 7)}` } },
  );
  assertEquals(code, 1, stderr);
  assertEquals(stderr, "");
  const events = parseEvents(stdout);
  assertComplete(events);
  for (const job of THROWERS) {
    const ended = end(events, job);
    assertEquals(ended?.status, "failed", job);
    const [diagnostic] = diagnostics(events).filter((d) => d.job === job);
    assertEquals(diagnostic?.kind, "uncaught-error", job);
    assertStringIncludes(diagnostic!.message, "failed it", job);
    if (job !== "oddValue") assertMatch(diagnostic!.site ?? "", /uncaught\.ts:\d+$/, job);
    // The diagnostic (where and why) comes before the job's end.
    assertLess(events.indexOf(diagnostic!), events.indexOf(ended!), job);
  }
  assertEquals(end(events, "timer")?.error?.message, "thrown in a timer");
  assertEquals(
    end(events, "emitter")?.error?.message,
    "the emitter's error handler rethrew: socket hung up",
  );
  assertStringIncludes(end(events, "oddValue")!.error!.message, "Non-Error value thrown");
  assertEquals(end(events, "downstream")?.status, "skipped");
  // The innocent jobs are untouched; a callback that throws after its job ended is only reported.
  assertEquals(end(events, "bystander")?.status, "ok");
  assertEquals(end(events, "afterEnd")?.status, "ok");
  const late = diagnostics(events).find((d) => d.job === "afterEnd");
  assertStringIncludes(late!.message, "after it ended: Error: thrown after the job ended");
  const outside = diagnostics(events).find((d) => d.kind === "uncaught-error" && !d.job);
  assertStringIncludes(outside!.message, "outside every job");
});

Deno.test("diagnostics: an exception in a job's timer fails the run fast and leaves no process behind", async () => {
  const mark = uniqueSleep();
  const { code, stdout, stderr } = await gather(
    ["-f", `${FIXTURES}uncaught.ts`, "timer", "bystander", "--reporter", "json"],
    { env: { MARK: mark } },
  );
  assertEquals(code, 1, stderr);
  const events = parseEvents(stdout);
  assertComplete(events);
  assertEquals(end(events, "timer")?.status, "failed");
  assertEquals(end(events, "bystander")?.status, "cancelled");
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("diagnostics: --no-diagnostics still fails the job whose callback threw", async () => {
  const { code, stdout } = await gather(
    ["-f", `${FIXTURES}uncaught.ts`, "timer", "microtask", "-k", "--no-diagnostics"].concat(
      ["--reporter", "json"],
    ),
  );
  assertEquals(code, 1);
  const events = parseEvents(stdout);
  assertComplete(events);
  assertEquals(end(events, "timer")?.error?.message, "thrown in a timer");
  assertEquals(end(events, "microtask")?.error?.message, "thrown in a microtask");
});

Deno.test("blameStall: a job whose time is all in a native call is placed at its loop, from the same function's ticks elsewhere in the profile", () => {
  const frame = (name: string, line: number, url = "file:///t.ts", scriptId = "7") => ({
    functionName: name,
    scriptId,
    url,
    lineNumber: line,
    columnNumber: 0,
  });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", -1), children: [2, 4] },
      // the job's loop, reached one way: all its time in the native callee, no ticks of its own
      { id: 2, callFrame: frame("spinJob", 10), children: [3] },
      { id: 3, callFrame: frame("op_cpu_usage", -1, "", "0") },
      // the same function reached another way (after an await), with ticks on line 13
      { id: 4, callFrame: frame("(microtask)", -1, "", "0"), children: [5] },
      { id: 5, callFrame: frame("spinJob", 10), positionTicks: [{ line: 13, ticks: 2 }] },
    ],
    startTime: 0,
    endTime: 5000,
    samples: [3, 3, 3, 5, 5],
    timeDeltas: [1000, 1000, 1000, 1000, 1000],
  };
  const ranges = [{
    jobs: ["spin"],
    scriptId: "7",
    startLine: 10,
    startColumn: 0,
    endLine: 20,
    endColumn: 1,
  }];
  const blame = blameStall(profile, 0, 5000, ranges, { ownUrlPrefix: "file:///gather/" });
  assertEquals(blame.culprits[0]?.jobs, ["spin"]);
  assertEquals(blame.culprits[0]?.site?.line, 13);
});

Deno.test("diagnostics: a stall in the run's last job, right before the run ends, is still reported (CLI and run())", async () => {
  const { code, stdout, stderr } = await gather([
    "-f",
    `${FIXTURES}last_job_stalls.ts`,
    "--reporter",
    "json",
  ]);
  assertEquals(code, 0, stderr);
  const stalls = diagnostics(parseEvents(stdout)).filter((d) => d.kind === "stall");
  assertEquals(stalls.map((d) => d.job), ["last"], JSON.stringify(stalls));
  assertGreater(stalls[0]!.durationMs!, 200);

  const { run } = await import("../mod.ts");
  const { names, last } = await import("./fixtures/last_job_stalls.ts");
  const report = await run({ names, last }, { diagnostics: true });
  assertEquals(report.status, "ok");
  assertEquals(report.diagnostics.filter((d) => d.kind === "stall").map((d) => d.job), ["last"]);
});

Deno.test("diagnostics: jobs that block before their functions return are each blamed, with the line their function starts on", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // a and b spin in the same batch, before the profiler starts (c's await asks for it).
    const tasks = `import { job } from ${
      JSON.stringify(new URL("../mod.ts", import.meta.url).href)
    };
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const spin = (ms: number) => {
  const end = cpuMs() + ms; // CPU time: load stretches it
  while (cpuMs() < end) Math.sqrt(end);
};
export const a = job(() => { spin(300); });
export const b = job(() => { spin(300); });
export const c = job(async () => { await new Promise((r) => setTimeout(r, 1000)); });
`;
    await Deno.writeTextFile(`${dir}/t.ts`, tasks);
    const { code, stdout, stderr } = await gather(
      ["-f", "t.ts", "-j", "4", "--reporter", "json", "--no-history"],
      { cwd: dir },
    );
    assertEquals(code, 0, stderr);
    const stalls = diagnostics(parseEvents(stdout)).filter((d) => d.kind === "stall");
    const text = JSON.stringify(stalls);
    assertEquals(stalls.map((d) => d.job).sort(), ["a", "b"], text);
    const lineOf = (name: string) =>
      tasks.split("\n").findIndex((line) => line.startsWith(`export const ${name} =`)) + 1;
    for (const stall of stalls) {
      assertStringIncludes(stall.message, "before its function returned");
      assertEquals(stall.site, `t.ts:${lineOf(stall.job!)}`, text);
      assertGreater(stall.durationMs!, 100, text);
      assertLess(stall.durationMs!, 1_000, text);
    }
    // Each for its own time, not the whole gap (a loaded machine shifts the split between them).
    const [first, second] = stalls.map((d) => d.durationMs!);
    assertLess(Math.max(first!, second!) / (first! + second!), 0.8, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
