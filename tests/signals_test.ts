import { assert, assertEquals, assertLess, assertMatch, assertStringIncludes } from "@std/assert";
import type { GatherEvent, JobEndEvent } from "../src/events.ts";
import { assertComplete, FIXTURES, gather, parseEvents } from "./_cli.ts";
import { LiveGather, logged } from "./_live.ts";
import { liveProcesses, uniqueSleep } from "./_processes.ts";

const SIGNALS = `${FIXTURES}signals.ts`;
const end = (events: GatherEvent[], job: string) =>
  events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === job);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`gather on ${signal}: cancels running jobs, ends the rest, kills the tree, exits ${signal === "SIGINT" ? 130 : 143}`, async () => {
    const mark = uniqueSleep();
    const run = new LiveGather(["-f", SIGNALS, "-j", "2", "quick", "tree", "later"], {
      env: { MARK: mark },
    });
    await run.waitFor(logged("tree", "tree started"));
    await run.waitFor((events) => end(events, "quick") !== undefined);
    for (let i = 0; i < 200 && (await liveProcesses(mark)).length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assertEquals((await liveProcesses(mark)).length >= 2, true, "the tree should be running");
    const sentAt = performance.now();
    run.kill(signal);
    const result = await run.result();
    assertEquals(result.code, signal === "SIGINT" ? 130 : 143);
    assertLess(result.exitedAt - sentAt, 2_000);
    assertComplete(result.events);
    assertEquals(end(result.events, "quick")?.status, "ok");
    assertEquals(end(result.events, "tree")?.status, "cancelled");
    assertEquals(end(result.events, "later")?.started, false);
    const cancel = result.events.find((e) => e.type === "run:cancel");
    assertEquals(cancel && "reason" in cancel ? cancel.reason : "", `interrupted by ${signal}`);
    assertEquals(await liveProcesses(mark), []);
  });
}

for (
  const [signal, code] of [
    ["SIGHUP", 129],
    ["SIGQUIT", 131],
    ["SIGUSR1", 138],
    ["SIGUSR2", 140],
    ["SIGALRM", 142],
  ] as const
) {
  Deno.test(`gather on ${signal}: cancels like SIGTERM, kills the tree, exits ${code}`, async () => {
    const mark = uniqueSleep();
    const run = new LiveGather(["-f", SIGNALS, "tree", "later"], { env: { MARK: mark } });
    await run.waitFor(logged("tree", "tree started"));
    while ((await liveProcesses(mark)).length < 2) await new Promise((r) => setTimeout(r, 20));
    run.kill(signal);
    const result = await run.result();
    assertEquals(result.code, code);
    // It dies by the signal itself, except SIGQUIT, which would write a core file.
    assertEquals(result.signal, signal === "SIGQUIT" ? null : signal);
    assertComplete(result.events);
    assertEquals(end(result.events, "tree")?.status, "cancelled");
    const cancel = result.events.find((e) => e.type === "run:cancel");
    assertEquals(cancel && "reason" in cancel ? cancel.reason : "", `interrupted by ${signal}`);
    assertEquals(await liveProcesses(mark), []);
  });
}

Deno.test("gather on Ctrl-C in a bash script dies by SIGINT, so the script stops as with make", async () => {
  const mark = uniqueSleep();
  const script =
    `"${Deno.execPath()}" run -A main.ts -f ${SIGNALS} tree --reporter plain; echo "after: $?"`;
  // bash in a process group of its own, like a shell in a terminal: Ctrl-C signals the whole group.
  const bash = new Deno.Command("setsid", {
    args: ["bash", "-c", script],
    env: { NO_COLOR: "1", MARK: mark },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const deadline = Date.now() + 15_000;
  while ((await liveProcesses(mark)).length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  Deno.kill(-bash.pid, "SIGINT");
  const output = await bash.output();
  const stdout = new TextDecoder().decode(output.stdout);
  assertEquals(stdout.includes("after"), false, `the script went on: ${stdout}`);
  assertEquals(output.signal, "SIGINT");
  assertEquals(output.code, 130);
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("gather on SIGINT prints a summary of what finished, was cancelled, never started", async () => {
  const mark = uniqueSleep();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "-f",
      SIGNALS,
      "-j",
      "2",
      "quick",
      "tree",
      "later",
      "--reporter",
      "plain",
    ],
    env: { NO_COLOR: "1", MARK: mark },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const deadline = Date.now() + 10_000;
  while ((await liveProcesses(mark)).length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGINT");
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 130);
  assertStringIncludes(
    stderr,
    "⊘ interrupted by SIGINT: cancelling running jobs (send it again to stop at once)",
  );
  const summary = stderr.slice(stderr.indexOf("⊘ interrupted:"));
  assertMatch(summary, /^⊘ interrupted: 1 ok, 2 cancelled of 3 jobs in /);
  assertStringIncludes(summary, "finished: quick");
  assertStringIncludes(summary, "cancelled while running: tree");
  assertStringIncludes(summary, "never started: later");
});

Deno.test("gather waits out the grace period for a job that ignores cancellation, and names it", async () => {
  const run = new LiveGather(["-f", SIGNALS, "stubborn", "--grace", "300ms"]);
  await run.waitFor(logged("stubborn", "stubborn started"));
  const sentAt = performance.now();
  run.kill("SIGINT");
  const result = await run.result();
  const took = result.exitedAt - sentAt;
  assertEquals(result.code, 130);
  assert(took >= 290, `exited after ${took}ms, before the grace period`);
  assertLess(took, 2_000);
  assertEquals(end(result.events, "stubborn")?.ignoredCancellation, true);

  const plain = await gather(["-f", SIGNALS, "stubborn", "--grace", "200ms", "--timeout", "100ms"]);
  const summary = plain.stderr.slice(plain.stderr.indexOf("✖ failed:"));
  assertStringIncludes(
    summary,
    'ignored-cancellation stubborn: Job "stubborn" was still running 200ms after it was cancelled',
  );
  assertStringIncludes(summary, "fix: pass ctx.signal on to fetch, ctx.sh, delay");
});

Deno.test("a command that outlives its SIGTERM is named in the diagnostic, with a fix for the command, not the job", async () => {
  const mark = uniqueSleep();
  const plain = await gather(
    ["-f", SIGNALS, "trapper", "--grace", "300ms", "--timeout", "200ms"],
    { env: { MARK: mark } },
  );
  assertEquals(plain.code, 1);
  const summary = plain.stderr.slice(plain.stderr.indexOf("✖ failed:"));
  assertMatch(
    summary,
    /ignored-cancellation trapper: Job "trapper" was still running 300ms after it was cancelled \(Job "trapper" timed out after 200ms\): its ctx\.sh "sh -c .*trap.*" had not exited on SIGTERM; gather stopped waiting for it, and the command was killed \(SIGKILL\)/,
  );
  assertStringIncludes(summary, "fix: make the program exit on SIGTERM");
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("gather on a second SIGINT stops waiting and SIGKILLs trees that ignore SIGTERM", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", SIGNALS, "trapper", "--grace", "20s"], { env: { MARK: mark } });
  await run.waitFor(logged("trapper", "trapper started"));
  while ((await liveProcesses(mark)).length < 2) await new Promise((r) => setTimeout(r, 20));
  run.kill("SIGINT");
  await run.waitFor((events) => events.some((e) => e.type === "run:cancel"));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert((await liveProcesses(mark)).length > 0, "SIGTERM alone should not have stopped the trap");
  const secondAt = performance.now();
  run.kill("SIGINT");
  const result = await run.result();
  assertEquals(result.code, 130);
  assertLess(result.exitedAt - secondAt, 2_000);
  assertComplete(result.events);
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("gather loses no line a job printed before it was cancelled", async () => {
  const linesFile = await Deno.makeTempFile();
  try {
    const run = new LiveGather(["-f", SIGNALS, "stream"], { env: { LINES_FILE: linesFile } });
    await run.waitFor(logged("stream", "line 30"));
    run.kill("SIGTERM");
    const result = await run.result();
    assertEquals(result.code, 143);
    const printed = (await Deno.readTextFile(linesFile)).trim().split("\n");
    const captured = new Set(
      result.events.flatMap((e) => e.type === "job:log" && e.job === "stream" ? [e.line] : []),
    );
    assert(printed.length >= 30);
    for (const line of printed) assert(captured.has(line), `lost "${line}"`);
  } finally {
    await Deno.remove(linesFile);
  }
});

Deno.test("gather --keep-going still stops everything on SIGINT", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", SIGNALS, "-k", "-j", "3", "fails", "tree", "later"], {
    env: { MARK: mark },
  });
  await run.waitFor((events) => end(events, "fails")?.status === "failed");
  await run.waitFor(logged("tree", "tree started"));
  run.kill("SIGINT");
  const result = await run.result();
  assertEquals(result.code, 130);
  assertComplete(result.events);
  assertEquals(end(result.events, "tree")?.status, "cancelled");
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("gather --timeout kills a timed-out job's process tree", async () => {
  const mark = uniqueSleep();
  const { code, stdout } = await gather([
    "-f",
    SIGNALS,
    "tree",
    "--timeout",
    "300ms",
    "--reporter",
    "json",
  ], {
    env: { MARK: mark },
  });
  assertEquals(code, 1);
  assertEquals(end(parseEvents(stdout), "tree")?.error?.code, "TIMEOUT");
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("gather exits 1 after a failure every time, whatever the policy and the killed siblings", async () => {
  for (const policy of ["abort", "abort", "abort", "finish", "continue"]) {
    const { code } = await gather(["-f", "tasks/failing.ts", "--on-failure", policy]);
    assertEquals(code, 1, `--on-failure ${policy}`);
  }
});

Deno.test("gather handles sync throws, non-Error throws and plain return values", async () => {
  const { code, stdout } = await gather([
    "-f",
    `${FIXTURES}odd_jobs.ts`,
    "-k",
    "--reporter",
    "json",
  ]);
  assertEquals(code, 1);
  const events = parseEvents(stdout);
  assertEquals(end(events, "throwsSync")?.error?.message, "thrown synchronously");
  assertEquals(end(events, "throwsSync")?.error?.name, "RangeError");
  assertEquals(end(events, "rejects")?.error?.message, "rejected promise");
  assertEquals(
    end(events, "throwsString")?.error?.message,
    'Non-Error value thrown: "a plain string"',
  );
  assertEquals(end(events, "returnsValue")?.status, "ok");
  assertEquals(end(events, "returnsNothing")?.status, "ok");
});

for (const fixture of ["slow_load.ts", "endless_load.ts"]) {
  Deno.test(`gather on SIGINT while the task file loads (${fixture}) stops at once, names the file, exits 130`, async () => {
    const ready = await Deno.makeTempFile();
    await Deno.remove(ready);
    try {
      const run = new LiveGather(["-f", `${FIXTURES}${fixture}`], { env: { READY_FILE: ready } });
      for (let i = 0; i < 500; i++) {
        try {
          await Deno.stat(ready);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      const sentAt = performance.now();
      run.kill("SIGINT");
      const result = await run.result();
      assertEquals(result.code, 130);
      assertEquals(result.signal, "SIGINT");
      assertLess(result.exitedAt - sentAt, 2_000);
      assertEquals(result.events, []);
      assertMatch(
        result.stderr,
        new RegExp(
          `^gather: interrupted by SIGINT while task file ".*${fixture}" was still loading after \\d+\\.\\ds: stopped without running anything\n$`,
        ),
      );
    } finally {
      await Deno.remove(ready).catch(() => {});
    }
  });
}

Deno.test("gather on SIGINT while the task file's top-level code holds the event loop runs nothing, exits 130", async () => {
  const ready = await Deno.makeTempFile();
  await Deno.remove(ready);
  try {
    const run = new LiveGather(["-f", `${FIXTURES}busy_load.ts`], { env: { READY_FILE: ready } });
    for (let i = 0; i < 500; i++) {
      try {
        await Deno.stat(ready);
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    run.kill("SIGINT"); // while the loop spins: handed over only once it ends
    const result = await run.result();
    assertEquals(result.code, 130);
    assertEquals(result.signal, "SIGINT");
    assertEquals(result.events, []);
    assertEquals(await Deno.readTextFile(ready), "loading", "the job ran");
    assertMatch(
      result.stderr,
      /^gather: interrupted by SIGINT while task file ".*busy_load\.ts" was still loading after \d+\.\ds: stopped without running anything\n$/,
    );
  } finally {
    await Deno.remove(ready).catch(() => {});
  }
});
