import { assert, assertEquals, assertLess, assertRejects, assertStringIncludes } from "@std/assert";
import { delay } from "@std/async/delay";
import { type GatherEvent, job, run } from "../mod.ts";
import { runCommand } from "../src/process/command.ts";
import { createSpawner, type Spawner } from "../src/process/spawn.ts";
import { decodeStatus } from "../src/process/posix_spawn.ts";
import { childrenOf } from "../src/process/children.ts";
import { stopStrays } from "../src/process/stop_strays.ts";
import { strayChildren } from "../src/process/strays.ts";
import { liveProcesses, uniqueSleep } from "./_processes.ts";

Deno.test("ctx.sh kills the whole process tree when the job is cancelled", async () => {
  const seconds = uniqueSleep();
  const controller = new AbortController();
  const tree = job(async (ctx) => {
    await ctx.sh`sh -c ${`sleep ${seconds} & sleep ${seconds} & wait`}`;
  });
  setTimeout(() => controller.abort(), 300);
  const started = performance.now();
  const report = await run({ tree }, { signal: controller.signal });
  assertLess(performance.now() - started, 3_000);
  assertEquals(report.jobs[0]!.status, "cancelled");
  assertEquals(await liveProcesses(`sleep ${seconds}`), []);
});

Deno.test("ctx.sh escalates to SIGKILL for a tree that ignores SIGTERM", async () => {
  const seconds = uniqueSleep();
  const controller = new AbortController();
  const stubborn = job(async (ctx) => {
    await ctx.sh`sh -c ${`trap '' TERM; sleep ${seconds} & sleep ${seconds}; wait`}`;
  });
  setTimeout(() => controller.abort(), 300);
  const started = performance.now();
  await run({ stubborn }, { signal: controller.signal, grace: "400ms" });
  const elapsed = performance.now() - started;
  assertLess(elapsed, 3_000);
  assertEquals(await liveProcesses(`sleep ${seconds}`), []);
});

Deno.test("ctx.sh stops what a finished command left in the background", async () => {
  const seconds = uniqueSleep();
  const leaves = job(async (ctx) => {
    await ctx.sh`sh -c ${`sleep ${seconds} > /dev/null 2>&1 & echo started`}`;
  });
  const report = await run({ leaves });
  assertEquals(report.status, "ok");
  assertEquals(await liveProcesses(`sleep ${seconds}`), []);
});

Deno.test("ctx.sh a timed-out job's subprocesses die too", async () => {
  const seconds = uniqueSleep();
  const slow = job({ timeout: "200ms" }, async (ctx) => {
    await ctx.sh`sleep ${seconds}`;
  });
  const report = await run({ slow });
  assertEquals((report.jobs[0]!.error as { code?: string }).code, "TIMEOUT");
  assertEquals(await liveProcesses(`sleep ${seconds}`), []);
});

Deno.test("ctx.sh streams output lines into the job's log as they come", async () => {
  const events: GatherEvent[] = [];
  const talk = job(async (ctx) => {
    const result = await ctx.sh`sh -c ${"echo one; sleep 0.1; echo two >&2; echo three"}`;
    return result.stdout;
  });
  const report = await run({ talk }, { onEvent: (e) => events.push(e) });
  const lines = events.flatMap((e) => e.type === "job:log" ? [`${e.stream}:${e.line}`] : []);
  assertEquals(lines.toSorted(), ["stderr:two", "stdout:one", "stdout:three"]);
  assertEquals(report.jobs[0]!.result, "one\nthree\n");
});

Deno.test("ctx.sh throws with the exit code and the last lines of stderr", async () => {
  const fails = job(async (ctx) => {
    await ctx.sh`sh -c ${"for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line$i >&2; done; exit 3"}`;
  });
  const report = await run({ fails });
  const message = report.jobs[0]!.error!.message;
  assertStringIncludes(message, "exit code 3");
  assertStringIncludes(message, "line12");
  assertEquals(message.includes("line2\n"), false); // only the tail
});

Deno.test("ctx.sh passes interpolated values as single arguments", async () => {
  const tricky = "a b; echo injected";
  const echo = job(async (ctx) => (await ctx.sh`printf %s ${tricky}`).stdout);
  const report = await run({ echo });
  assertEquals(report.jobs[0]!.result, tricky);
});

Deno.test("runCommand() reports a missing program clearly", async () => {
  await assertRejects(
    () => runCommand(["no-such-program-xyz"]),
    Error,
    'Cannot run "no-such-program-xyz"',
  );
});

Deno.test("runCommand() names the command when its working directory does not exist", async () => {
  await assertRejects(
    () => runCommand(["true"], { cwd: "/no/such/dir-xyz" }),
    Error,
    'Cannot run "true": No such working directory "/no/such/dir-xyz"',
  );
});

Deno.test("runCommand() rejects at once when the signal is already aborted", async () => {
  const controller = new AbortController();
  controller.abort(new Error("already"));
  await assertRejects(() => runCommand(["true"], { signal: controller.signal }), Error, "already");
  await delay(0);
});

Deno.test("runCommand() gives the command gather's environment as it is now, plus extra variables", async () => {
  Deno.env.set("GATHER_TEST_LATE", "set while running");
  try {
    const result = await runCommand(
      ["sh", "-c", 'printf "%s|%s|%s" "$GATHER_TEST_LATE" "$EXTRA" "$(pwd)"'],
      { env: { EXTRA: "extra" }, cwd: "/tmp" },
    );
    assertEquals(result.stdout, "set while running|extra|/tmp");
    const plain = await runCommand(["sh", "-c", 'printf %s "$GATHER_TEST_LATE"']);
    assertEquals(plain.stdout, "set while running");
  } finally {
    Deno.env.delete("GATHER_TEST_LATE");
  }
});

Deno.test("runCommand() starts each command as the leader of a new session", async () => {
  // /proc/self/stat: pid (comm) state ppid pgrp session ...
  const { stdout } = await runCommand(["sh", "-c", "cat /proc/$$/stat"]);
  const [pid] = stdout.split(" ");
  const [, , pgrp, session] = stdout.slice(stdout.lastIndexOf(")") + 2).split(" ");
  assertEquals([pgrp, session], [pid, pid]);
});

Deno.test("runCommand() reports the signal that killed a command", async () => {
  const error = await assertRejects(() => runCommand(["sh", "-c", "kill -TERM $$"]), Error);
  assertStringIncludes(error.message, "Command failed with signal SIGTERM");
});

Deno.test("createSpawner() uses posix_spawn unless GATHER_SPAWN=command asks for Deno.Command", () => {
  const forced = Deno.env.get("GATHER_SPAWN") === "command";
  assertEquals(createSpawner().route === "command", forced || Deno.build.os !== "linux");
  assertEquals(createSpawner({ route: "command" }).route, "command");
});

Deno.test({
  name: "the Deno.Command fallback (GATHER_SPAWN=command) passes the same process tests",
  ignore: Deno.env.get("GATHER_SPAWN") === "command",
  fn: async () => {
    const test = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-check", new URL(import.meta.url).pathname],
      env: { GATHER_SPAWN: "command", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(test.stdout);
    assertEquals(test.code, 0, output + new TextDecoder().decode(test.stderr));
    assertStringIncludes(output, "0 failed");
  },
});

Deno.test("ctx.exec looks the program up on the PATH it passes to the command", async () => {
  const bin = await Deno.makeTempDir({ prefix: "custom bin " });
  try {
    await Deno.writeTextFile(`${bin}/greet`, "#!/bin/sh\necho hello from $0\n");
    await Deno.chmod(`${bin}/greet`, 0o755);
    const greet = job(async (ctx) =>
      (await ctx.exec("greet", [], { env: { PATH: `${bin}:${Deno.env.get("PATH")}` } })).stdout
    );
    const report = await run({ greet });
    assertEquals(report.jobs[0]!.error?.message, undefined);
    assertEquals(report.jobs[0]!.result, `hello from ${bin}/greet\n`);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("ctx.sh passes backslashes to the shell as typed: sed back-references, printf escapes", async () => {
  const swap = job(async (ctx) => (await ctx.sh`echo a-b | sed -E 's/(a)-(b)/\2-\1/'`).stdout);
  const escape = job(async (ctx) => (await ctx.sh`printf '\033|\t|%s\n' ${"x"}`).stdout);
  const report = await run({ swap, escape });
  assertEquals(report.jobs.map((j) => j.error?.message), [undefined, undefined]);
  assertEquals(report.jobs.map((j) => j.result), ["b-a\n", "\x1b|\t|x\n"]);
});

Deno.test("runCommand() keeps the last part of a large output and still logs every line", async () => {
  let lines = 0;
  const result = await runCommand(
    ["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done"],
    { maxOutputChars: 1000, onLine: () => lines++ },
  );
  assertEquals(lines, 3000);
  assertEquals(result.stdout.length, 1000);
  assertEquals(result.stdout.endsWith("line-2999\n"), true);
});

Deno.test("runCommand() splits one huge line in linear time and keeps a bounded part of it", async () => {
  const logged: string[] = [];
  const started = performance.now();
  // 48 MiB without a newline, then a short line.
  const result = await runCommand(
    ["sh", "-c", "head -c 50331648 /dev/zero | tr '\\0' x; printf '\\nend\\n'"],
    { onLine: (line) => logged.push(line), maxOutputChars: 4096 },
  );
  const took = performance.now() - started;
  assertLess(took, 8_000, `took ${Math.round(took)}ms`);
  assertEquals(logged.length, 2);
  assertEquals(logged[0]!.length < 1024 * 1024 + 100, true);
  assertStringIncludes(logged[0]!, "… (line cut: ");
  assertEquals(logged[1], "end");
  assertEquals(result.stdout.endsWith("xxx\nend\n"), true);
});

Deno.test("runCommand() shows an unfinished line as a terminal would: the text after its last \\r", async () => {
  const partials: string[] = [];
  const lines: string[] = [];
  await runCommand(
    [
      "sh",
      "-c",
      "printf a; sleep 0.2; printf 'b\\r'; sleep 0.2; printf c; sleep 0.2; printf '\\nd\\n'",
    ],
    { onLine: (line) => lines.push(line), onPartial: (text) => partials.push(text) },
  );
  assertEquals(partials, ["a", "ab", "c"]);
  assertEquals(lines, ["ab\rc", "d"]);
});

Deno.test("a job's unfinished lines become job:partial events, throttled, never after the line ends", async () => {
  const events: GatherEvent[] = [];
  const script =
    "for i in 1 2 3 4 5 6 7 8 9 10; do printf '\\r%d' $i; sleep 0.03; done; sleep 0.3; echo";
  const progress = job((ctx) => ctx.sh`sh -c ${script}`);
  const report = await run({ progress }, { onEvent: (event) => events.push(event) });
  assertEquals(report.status, "ok");
  const partials = events.filter((e) => e.type === "job:partial");
  const end = events.findIndex((e) => e.type === "job:end");
  const log = events.findIndex((e) => e.type === "job:log");
  // The first at once, then at most one each 100 ms, the last one kept. How many ten redraws
  // make depends on the machine's pace; the exact count is tested on a fake clock
  // (partial_lines_test.ts).
  // Each shows the line as it stands then: the redraws in order (a loaded machine may read the
  // first few in one chunk, whose last one shows), the last one "10".
  const shown = partials.map((e) => e.type === "job:partial" ? Number(e.line) : NaN);
  assertEquals(shown.toSorted((a, b) => a - b), shown, JSON.stringify(partials));
  assert(shown.every((n) => Number.isInteger(n) && n >= 1 && n <= 10), JSON.stringify(partials));
  assertEquals(new Set(shown).size, shown.length, JSON.stringify(partials));
  assertEquals(shown.at(-1), 10);
  for (let i = 1; i < partials.length; i++) {
    assertLess(95, partials[i]!.time - partials[i - 1]!.time, JSON.stringify(partials));
  }
  assertLess(events.lastIndexOf(partials.at(-1)!), log);
  assertLess(log, end);
});

Deno.test("runCommand() rejects an argument holding a NUL byte, naming it", async () => {
  await assertRejects(
    () => runCommand(["printf", "%s", "a\0b"]),
    Error,
    'Cannot run "printf %s a\\0b": argument 2 holds a NUL byte',
  );
});

Deno.test("runCommand() shows a long command shortened in its errors", async () => {
  const long = "x".repeat(200_000);
  const error = await assertRejects(() => runCommand(["sh", "-c", `exit 3 # ${long}`]), Error);
  assertLess(error.message.length, 5_000);
  assertStringIncludes(error.message, "more characters)");
  const missing = await assertRejects(() => runCommand([`no-such-${long}`]), Error);
  assertLess(missing.message.length, 5_000);
});

Deno.test("runCommand() names every Linux signal that kills a command", async () => {
  const error = await assertRejects(() => runCommand(["sh", "-c", "kill -16 $$"]), Error);
  assertStringIncludes(error.message, "Command failed with signal SIGSTKFLT");
  assertEquals(decodeStatus(31), { code: 159, signal: "SIGSYS" });
  assertEquals(decodeStatus(30), { code: 158, signal: "SIGPWR" });
  assertEquals(decodeStatus(35), { code: 163, signal: "SIGRTMIN+1" });
});

Deno.test("run(): a process that left its group and holds the output is found and stopped", async () => {
  const seconds = uniqueSleep();
  const holder = job(async (ctx) => {
    await ctx.sh`sh -c ${`setsid sleep ${seconds} & echo started`}`;
  });
  const started = performance.now();
  const report = await run({ holder });
  assertEquals(report.status, "ok");
  assertLess(performance.now() - started, 3_000);
  assertEquals(await liveProcesses(`sleep ${seconds}`), []);
});

Deno.test("runCommand() is in the run's registry while its spawn is in flight, so a drain then waits for it", async () => {
  const real = createSpawner();
  const gate = Promise.withResolvers<void>();
  const asked = Promise.withResolvers<void>();
  let pid = 0;
  // The real spawner, whose spawns wait at a gate.
  const spawner: Spawner = {
    route: real.route,
    spawn: async (...args) => {
      asked.resolve();
      await gate.promise;
      const child = await real.spawn(...args);
      pid = child.pid;
      return child;
    },
    signalGroup: (pgid, signal) => real.signalGroup(pgid, signal),
    signalProcess: (target, signal) => real.signalProcess(target, signal),
    get groups() {
      return real.groups;
    },
    release: (pgid) => real.release(pgid),
    killAll: () => real.killAll(),
    get adopting() {
      return real.adopting;
    },
    reap: (target) => real.reap(target),
    close: () => real.close(),
  };
  const registry = new Set<Promise<unknown>>();
  const controller = new AbortController();
  const seconds = uniqueSleep();
  const running = runCommand(["sleep", String(seconds)], {
    signal: controller.signal,
    registry,
    spawner,
    graceMs: 500,
  }).then(() => "finished", (error: Error) => error.message);
  await asked.promise;
  // The job is stopped while its command is being spawned: the drain must see the command.
  controller.abort(new Error("stopped"));
  assertEquals(registry.size, 1);
  const drained = Promise.allSettled([...registry]);
  gate.resolve();
  await drained;
  assert(pid > 0);
  assertEquals(await liveProcesses(String(seconds)), []);
  assertEquals(await running, "stopped");
  assertEquals(registry.size, 0);
});

Deno.test("stopStrays() reads a stray's children before it signals it: a shell's child is stopped too, not left to init", async () => {
  const seconds = uniqueSleep();
  // `; true` makes the shell fork the sleep and wait for it; SIGTERM ends the shell at once.
  const shell = new Deno.Command("sh", { args: ["-c", `sleep ${seconds}; true`] }).spawn();
  while (childrenOf(shell.pid).length === 0) await delay(5);
  const only = (stray: { pid: number }) => stray.pid === shell.pid;
  const stopped = await stopStrays(strayChildren().filter(only), { graceMs: 5_000, only });
  assertEquals([stopped.how, (await shell.status).signal], ["terminated", "SIGTERM"]);
  assertEquals(await liveProcesses(`sleep ${seconds}`), []);
});
