/**
 * Nothing a run starts outlives it, whatever tries to get away: a job that
 * calls Deno.exit(), processes that leave their process group, gather killed
 * with SIGKILL, an embedded run() interrupted by Ctrl-C; and what a
 * long-lived gather adopts and kills leaves no zombie.
 */
import { assert, assertEquals, assertLess, assertMatch, assertStringIncludes } from "@std/assert";
import type { DiagnosticEvent, GatherEvent, JobEndEvent } from "../src/events.ts";
import { assertComplete, FIXTURES, gather, parseEvents } from "./_cli.ts";
import { LiveGather, logged } from "./_live.ts";
import { liveProcesses, uniqueSleep } from "./_processes.ts";
import { MOD, project, WatchSession } from "./_watch.ts";

const end = (events: GatherEvent[], job: string) =>
  events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === job);

async function until(test: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

Deno.test("a job that calls Deno.exit() fails with a clear message; the run ends in order", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", `${FIXTURES}exits.ts`, "-j", "2", "tree", "exits"], {
    env: { MARK: mark },
  });
  const result = await run.result();
  assertEquals(result.code, 1);
  assertComplete(result.events);
  assertEquals(end(result.events, "exits")?.status, "failed");
  assertStringIncludes(
    end(result.events, "exits")?.error?.message ?? "",
    'Job "exits" called Deno.exit(3), which would end gather and every other job',
  );
  assertEquals(end(result.events, "tree")?.status, "cancelled");
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("Deno.exit() from code outside every job still kills the run's process trees", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", `${FIXTURES}exits.ts`, "-j", "2", "tree", "exitsOutside"], {
    env: { MARK: mark },
  });
  await run.waitFor(logged("tree", "tree started"));
  const result = await run.result();
  assertEquals(result.code, 4);
  assertEquals(await liveProcesses(mark), []);
  // It says why it stopped, once, as the last event.
  const warnings = result.events.filter((e) => e.type === "warning");
  assertEquals(warnings.length, 1);
  assertEquals(result.events.at(-1), warnings[0]);
  assertStringIncludes(
    warnings[0]?.type === "warning" ? warnings[0].message : "",
    "code outside every job (a timer or a listener the task file set up) called Deno.exit(4): gather ends now, with its code",
  );
});

Deno.test("Deno.exit() in a task file's top-level code says so in one line, keeps its code, and kills what it started", async () => {
  const mark = uniqueSleep();
  const { code, stdout, stderr } = await gather(
    ["-f", `${FIXTURES}exits_at_load.ts`, "--reporter", "json"],
    { env: { MARK: mark } },
  );
  assertEquals(code, 7);
  assertEquals(stdout, "");
  assertMatch(
    stderr,
    /^gather: task file ".*exits_at_load\.ts" called Deno\.exit\(7\) while loading: stopped without running anything\n$/,
  );
  assertEquals(await liveProcesses(mark), []);
});

const STRAYS = `${FIXTURES}strays.ts`;
const strayDiagnostics = (events: GatherEvent[]) =>
  events.filter((e): e is DiagnosticEvent => e.type === "diagnostic" && e.kind === "stray-process");

Deno.test("a process a job started without ctx.sh and left running is stopped when the run ends, and named under its job", async () => {
  const mark = uniqueSleep();
  const { code, stdout } = await gather(["-f", STRAYS, "leaves", "--reporter", "json"], {
    env: { MARK: mark },
  });
  assertEquals(code, 0);
  assertEquals(await liveProcesses(mark), []);
  const events = parseEvents(stdout);
  assertComplete(events);
  const [stray, ...more] = strayDiagnostics(events);
  assertEquals(more, []);
  assertEquals(stray?.job, "leaves");
  assertMatch(
    stray?.message ?? "",
    new RegExp(
      `^Job "leaves" started sleep ${mark} \\(pid \\d+\\) without ctx\\.sh, which was still running when the run ended: gather stopped it \\(SIGTERM\\)$`,
    ),
  );
  assertStringIncludes(stray?.hint ?? "", "ctx.sh or ctx.exec");
});

Deno.test("processes a job started through node:child_process (spawn, exec) and left running are stopped when the run ends, and named under their job", async () => {
  const mark = uniqueSleep();
  const { code, stdout } = await gather(
    ["-f", STRAYS, "nodeLeaves", "execLeaves", "--reporter", "json"],
    { env: { MARK: mark } },
  );
  assertEquals(code, 0);
  assertEquals(await liveProcesses(mark), []);
  const events = parseEvents(stdout);
  assertComplete(events);
  const strays = strayDiagnostics(events);
  assertEquals(strays.map((e) => e.job ?? "(no job)").sort(), ["execLeaves", "nodeLeaves"]);
  for (const stray of strays) {
    assertMatch(
      stray.message,
      new RegExp(
        `^Job "${stray.job}" started .*sleep ${mark}.* \\(pid \\d+\\) without ctx\\.sh, which was still running when the run ended: gather stopped it \\(SIGTERM\\)$`,
      ),
    );
  }
});

Deno.test("Ctrl-C stops the processes jobs started without ctx.sh at once, so the jobs waiting for them end", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", STRAYS, "-j", "2", "waits", "node", "--grace", "10s"], {
    env: { MARK: mark },
  });
  await run.waitFor(logged("waits", "waits started"));
  await run.waitFor(logged("node", "node started"));
  await until(async () => (await liveProcesses(mark)).length === 2);
  const sentAt = performance.now();
  run.kill("SIGINT");
  const result = await run.result();
  assertEquals(result.code, 130);
  assertLess(result.exitedAt - sentAt, 5_000, "waited out the grace period");
  assertEquals(await liveProcesses(mark), []);
  assertComplete(result.events);
  assertEquals(end(result.events, "waits")?.ignoredCancellation, undefined);
  const strays = strayDiagnostics(result.events);
  // Deno.Command#spawn and node:child_process are both seen with their job.
  assertEquals(strays.map((e) => e.job ?? "(no job)").sort(), ["node", "waits"]);
  for (const stray of strays) {
    assertStringIncludes(stray.message, `sleep ${mark}`);
    assertStringIncludes(
      stray.message,
      "when the run was interrupted: gather stopped it (SIGTERM)",
    );
  }
});

Deno.test("a job that times out stops the processes it started without ctx.sh at once, so it ends without waiting out the grace period", async () => {
  const mark = uniqueSleep();
  const started = performance.now();
  const { code, stdout } = await gather(
    ["-f", STRAYS, "timesOut", "--grace", "10s", "--reporter", "json"],
    { env: { MARK: mark } },
  );
  assertLess(performance.now() - started, 8_000, "waited out the grace period");
  assertEquals(code, 1);
  assertEquals(await liveProcesses(mark), []);
  const events = parseEvents(stdout);
  assertComplete(events);
  const ended = end(events, "timesOut");
  assertStringIncludes(ended?.error?.message ?? "", 'Job "timesOut" timed out after 300ms');
  assertEquals(ended?.ignoredCancellation, undefined);
  const [stray, ...more] = strayDiagnostics(events);
  assertEquals(more, []);
  assertEquals(stray?.job, "timesOut");
  assertMatch(
    stray?.message ?? "",
    new RegExp(
      `^Job "timesOut" started sleep ${mark} \\(pid \\d+\\) without ctx\\.sh, which was still running when the job timed out: gather stopped it \\(SIGTERM\\)$`,
    ),
  );
  // Stopped when the job timed out, not when the run ended: the message says which sweep it was
  // ("when the job timed out"). Not its place before job:end: stopping the process is what lets
  // the job end, so the two race (CI saw the diagnostic after job:end).
});

Deno.test("with --keep-going, a job that fails stops the processes it started without ctx.sh when it fails, not at the run's end", async () => {
  const mark = uniqueSleep();
  const { code, stdout } = await gather(
    ["-f", STRAYS, "failsLeaving", "keepsGoing", "-k", "--reporter", "json"],
    { env: { MARK: mark } },
  );
  assertEquals(code, 1);
  assertEquals(await liveProcesses(mark), []);
  const events = parseEvents(stdout);
  assertComplete(events);
  const [stray, ...more] = strayDiagnostics(events);
  assertEquals(more, []);
  assertEquals(stray?.job, "failsLeaving");
  assertStringIncludes(stray?.message ?? "", "which was still running when the job failed");
  // Stopped while the other job still ran.
  assertLess(events.indexOf(stray!), events.indexOf(end(events, "keepsGoing")!));
});

Deno.test("a process the task file's top-level code started is stopped when Ctrl-C stops gather while it loads", async () => {
  const mark = uniqueSleep();
  const ready = await Deno.makeTempFile();
  await Deno.remove(ready);
  try {
    const run = new LiveGather(["-f", `${FIXTURES}spawns_at_load.ts`], {
      env: { MARK: mark, READY_FILE: ready },
    });
    await until(async () => await Deno.stat(ready).then(() => true, () => false));
    run.kill("SIGINT");
    const result = await run.result();
    assertEquals(result.code, 130);
    assertEquals(result.signal, "SIGINT");
    assertEquals(await liveProcesses(mark), []);
    const lines = result.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 2, result.stderr);
    assertStringIncludes(lines[0]!, "was still loading after");
    assertMatch(
      lines[1]!,
      new RegExp(
        `^gather: sleep ${mark} \\(pid \\d+\\), started without ctx\\.sh \\(by the task file's own code, or a job\\), was still running as gather ended: stopped it \\(SIGTERM\\); fix: start processes in a job with ctx\\.sh or ctx\\.exec, or await them$`,
      ),
    );
  } finally {
    await Deno.remove(ready).catch(() => {});
  }
});

Deno.test("--watch: Ctrl-C while the task file loads says so, as a plain run does, and stops what it started", async () => {
  const mark = uniqueSleep();
  const ready = await Deno.makeTempFile();
  await Deno.remove(ready);
  try {
    const run = new LiveGather(["--watch", "-f", `${FIXTURES}spawns_at_load.ts`], {
      env: { MARK: mark, READY_FILE: ready },
    });
    await until(async () => await Deno.stat(ready).then(() => true, () => false));
    run.kill("SIGINT");
    const result = await run.result();
    assertEquals(result.code, 130, result.stderr);
    assertEquals(await liveProcesses(mark), []);
    assertMatch(
      result.stderr,
      /gather: interrupted by SIGINT while task file ".*spawns_at_load\.ts" was still loading after [\d.]+s: stopped without running anything\n/,
    );
  } finally {
    await Deno.remove(ready).catch(() => {});
  }
});

Deno.test("an embedded run() cancels on Ctrl-C, kills its trees, and gives the signal back after", async () => {
  const mark = uniqueSleep();
  const host = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${FIXTURES}embedded.ts`],
    env: { MARK: mark },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = host.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  const readUntil = async (text: string) => {
    while (!stdout.includes(text)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`ended before "${text}": ${stdout}`);
      stdout += value;
    }
  };
  await readUntil("tree started");
  await until(async () => (await liveProcesses(mark)).length >= 2);
  host.kill("SIGINT");
  await readUntil("status cancelled");
  assertEquals(await liveProcesses(mark), []);
  // run() has returned and removed its listeners: Ctrl-C ends the program as usual.
  host.kill("SIGINT");
  const status = await host.status;
  assertEquals(status.signal, "SIGINT");
  lines.releaseLock();
  await host.stdout.cancel().catch(() => {});
  await host.stderr.cancel();
});

const ESCAPES = `${FIXTURES}escapes.ts`;

Deno.test("processes that leave their group (setsid, daemons) are stopped when their command ends", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", ESCAPES, "daemon", "holder"], { env: { MARK: mark } });
  const result = await run.result();
  assertEquals(result.code, 0, result.stderr);
  assertEquals(end(result.events, "holder")?.status, "ok");
  assertLess(end(result.events, "holder")!.durationMs, 3_000);
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("on SIGHUP, a process that left its group dies with the rest of the tree", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", ESCAPES, "running"], { env: { MARK: mark } });
  await run.waitFor(logged("running", "running started"));
  await until(async () => (await liveProcesses(mark)).length >= 3);
  run.kill("SIGHUP");
  const result = await run.result();
  assertEquals(result.code, 129);
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("a process that left its command's group and cleared its environment is stopped on Ctrl-C once it comes back to gather", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", ESCAPES, "unmarked", "--grace", "20s"], {
    env: { MARK: mark },
  });
  try {
    await run.waitFor(logged("unmarked", "unmarked started"));
    await until(async () => (await liveProcesses(mark)).length >= 3);
    run.kill("SIGINT");
    // Without a way to find it, gather would wait for the pipe it holds until a second signal.
    const ended = await Promise.race([
      run.result().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000)),
    ]);
    if (!ended) run.kill("SIGINT");
    const result = await run.result();
    assert(ended, "gather waited for a second signal");
    assertEquals(result.code, 130);
    assertComplete(result.events);
    assertEquals(await liveProcesses(mark), []);
    // gather, a subreaper, adopts it when its shell ends: a child no command of gather's started.
    const strays = result.events.filter((e) => e.type === "diagnostic" && e.kind !== "stall");
    assertEquals(strays.map((e) => e.type === "diagnostic" && e.kind), ["stray-process"]);
    assertStringIncludes(
      strays[0]?.type === "diagnostic" ? strays[0].message : "",
      `sleep ${mark} (pid `,
    );
  } finally {
    await killMarked(mark);
  }
});

Deno.test("after a second Ctrl-C gather stops reading a pipe an escaped process holds, and does not blame the job", async () => {
  const mark = uniqueSleep();
  // Through Deno.Command, gather is no subreaper: what leaves the group never comes back to it.
  const run = new LiveGather(["-f", ESCAPES, "unmarked", "--grace", "20s"], {
    env: { MARK: mark, GATHER_SPAWN: "command" },
  });
  try {
    await run.waitFor(logged("unmarked", "unmarked started"));
    await until(async () => (await liveProcesses(mark)).length >= 3);
    run.kill("SIGINT");
    await run.waitFor((events) => events.some((e) => e.type === "run:cancel"));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const secondAt = performance.now();
    run.kill("SIGINT");
    const result = await run.result();
    assertEquals(result.code, 130);
    assertLess(result.exitedAt - secondAt, 2_000);
    assertComplete(result.events);
    // (A loaded machine may add stalls.)
    const kinds = result.events.flatMap((e) =>
      e.type === "diagnostic" && e.kind !== "stall" ? [e.kind] : []
    );
    assertEquals(kinds, ["escaped-process"]);
    const diagnostic = result.events.find((e) =>
      e.type === "diagnostic" && e.kind === "escaped-process"
    );
    assertStringIncludes(
      diagnostic && "message" in diagnostic ? diagnostic.message : "",
      "started by it outside its process group, still holds its output open",
    );
    assertEquals(end(result.events, "unmarked")?.ignoredCancellation, undefined);
  } finally {
    // It cleared its environment and left its group: gather cannot find it (the README says so).
    await killMarked(mark);
  }
});

Deno.test("kill -9 of gather leaves nothing behind: its watchdog kills the run's trees and escaped processes", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", ESCAPES, "running"], { env: { MARK: mark } });
  await run.waitFor(logged("running", "running started"));
  await until(async () => (await liveProcesses(mark)).length >= 3);
  run.kill("SIGKILL");
  const result = await run.result();
  assertEquals(result.signal, "SIGKILL");
  await until(async () => (await liveProcesses(mark)).length === 0, 5_000).catch(async () => {
    const left = await liveProcesses(mark);
    await killMarked(mark);
    assertEquals(left, []);
  });
});

Deno.test("a long-lived gather (--watch) reaps the orphans it adopts and kills: no zombie is left", async () => {
  const mark = uniqueSleep();
  // Both sleeps come to gather (a subreaper) when sh exits: one in the job's group, one outside it.
  const dir = await project({
    "tasks.ts": `import { job } from "${MOD}";
const mark = Deno.env.get("MARK");
export const j = job((ctx) =>
  ctx.sh\`sh -c \${\`sleep \${mark} & setsid sleep \${mark} > /dev/null 2>&1 & sleep 1\`}\`
);
`,
  });
  const session = new WatchSession(dir, [], { MARK: mark });
  try {
    await session.waitForRun(1);
    assertEquals(end(session.runs[0]!, "j")?.status, "ok");
    // The supervisor's child runs the jobs, and lives on.
    const [runner] = childrenOf(session.live.pid);
    let zombies: string[] = [];
    await until(async () => {
      zombies = childrenOf(runner!).map(stat).filter((line) =>
        line.slice(line.lastIndexOf(")") + 2).startsWith("Z")
      );
      return zombies.length === 0 && (await liveProcesses(mark)).length === 0;
    }).catch(() => assertEquals(zombies, []));
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    await killMarked(mark);
    await Deno.remove(dir, { recursive: true });
  }
});

/** The children of every thread of a process. */
function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`);
    pids.push(...text.split(" ").filter((child) => child !== "").map(Number));
  }
  return pids;
}

/** A process's `/proc/<pid>/stat` line, or "" once it is gone. */
function stat(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return "";
  }
}

/** Kill what a failed test left behind, by pid. */
async function killMarked(mark: string): Promise<void> {
  const output = await new Deno.Command("ps", { args: ["-eo", "pid=,args="] }).output();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    if (!line.includes(mark) || line.includes("ps -eo")) continue;
    try {
      Deno.kill(Number(line.trim().split(" ")[0]), "SIGKILL");
    } catch {
      // gone
    }
  }
}
