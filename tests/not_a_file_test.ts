/**
 * Named pipes and devices where gather reads or writes a file of its own:
 * nothing may block gather's main thread (where even a signal is no longer
 * handled). The history is off with one warning; a `--summary` pipe that
 * nothing reads is refused before any job starts, and one whose reader stops
 * reading is given up on at a signal; per-job logs and the cache's files
 * never open one. Real FIFOs, real processes, real signals.
 */
import { assert, assertEquals, assertLess, assertStringIncludes } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import { JobLogs } from "../src/reporters/job_logs.ts";
import { History } from "../src/state/history.ts";
import { gather, ROOT } from "./_cli.ts";
import { LiveGather } from "./_live.ts";

/** Make a named pipe, as `mkfifo` does. */
async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert(made.success, new TextDecoder().decode(made.stderr));
}

/**
 * A shell script that waits, then acts on `$0`; stopped with SIGTERM by
 * {@linkcode end}, its `sleep` stops too, so that nothing outlives the test.
 */
function shLater(seconds: number, first: string, then: string, path: string): Deno.ChildProcess {
  const script = `${first}trap 'kill $wait 2>/dev/null; exit 0' TERM; ` +
    `sleep ${seconds} & wait=$!; wait $wait; ${then}`;
  return new Deno.Command("sh", {
    args: ["-c", script, path],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/**
 * After a while, open the pipe from the other end: for a reader blocked on
 * it (gather before its fix, or this very test process), open it for writing
 * and close it, so that it reads an empty file; for a writer, read it all.
 * Either goes on, and the test fails instead of hanging. {@linkcode end} it.
 */
function unblockLater(
  path: string,
  blocked: "reader" | "writer" = "reader",
  seconds = 15,
): Deno.ChildProcess {
  return shLater(seconds, "", blocked === "reader" ? `: > "$0"` : `cat "$0" > /dev/null`, path);
}

/** Stop a helper script (SIGTERM: it stops its sleep) and wait for it. */
async function end(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // it has exited
  }
  await child.status;
}

/** A folder with a task file whose job `a` prints `a`, then sleeps for `sleep`. */
async function project(sleep = "0.5"): Promise<string> {
  const dir = await Deno.makeTempDir();
  const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
  await Deno.writeTextFile(
    join(dir, "tasks.ts"),
    `import { job } from ${mod};\nexport const a = job((ctx) => ctx.sh\`echo a; sleep ${sleep}\`);\n`,
  );
  return dir;
}

/** Stop a gather that may still be running (stuck, on a failure), then forget it. */
function stop(run: LiveGather): void {
  try {
    run.kill("SIGKILL");
  } catch {
    // it has exited
  }
}

Deno.test("History.load of a named pipe opens nothing, says the history is off, and save() writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "history.json");
    await mkfifo(path);
    const unblock = unblockLater(path);
    const history = History.load(path, "file:///tasks.ts");
    await end(unblock);
    assertStringIncludes(history.warning ?? "", `"${path}" is a named pipe (FIFO), not a file`);
    assertStringIncludes(history.warning ?? "", "history of job durations is off");
    assertEquals(history.weights(["a"]).size, 0);
    await history.save(new Map([["a", 100]]));
    assert(Deno.statSync(path).isFifo, "the pipe is left in place");
    assertEquals([...Deno.readDirSync(dir)].map((entry) => entry.name), ["history.json"]);
    assertEquals(History.load(join(dir, "none.json"), "file:///tasks.ts").warning, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather with a named pipe as .gather/history.json runs, warns once, and stops on SIGINT with exit 130", async () => {
  const dir = await project("30");
  const pipe = join(dir, ".gather", "history.json");
  await Deno.mkdir(join(dir, ".gather"));
  await mkfifo(pipe);
  const run = new LiveGather(["-f", "tasks.ts"], { cwd: dir });
  try {
    await run.waitFor((events) => events.some((e) => e.type === "job:start"), 20_000);
    const warnings = run.events.filter((e) => e.type === "warning");
    assertEquals(warnings.length, 1);
    assertStringIncludes(
      warnings[0]!.type === "warning" ? warnings[0]!.message : "",
      '".gather/history.json" is a named pipe (FIFO), not a file',
    );
    const sentAt = performance.now();
    run.kill("SIGINT");
    const result = await run.result();
    assertEquals(result.code, 130);
    assertLess(result.exitedAt - sentAt, 5_000);
    assert(Deno.statSync(pipe).isFifo, "the pipe is left in place");
  } finally {
    stop(run);
    await run.result();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather with a named pipe as .gather/history.json finishes a run (plain output names the pipe)", async () => {
  const dir = await project();
  try {
    await Deno.mkdir(join(dir, ".gather"));
    await mkfifo(join(dir, ".gather", "history.json"));
    const unblock = unblockLater(join(dir, ".gather", "history.json"));
    const result = await gather(["-f", "tasks.ts"], { cwd: dir });
    await end(unblock);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stderr, "a │ a");
    assertStringIncludes(
      result.stderr,
      '⚠ warning: ".gather/history.json" is a named pipe (FIFO), not a file: the history of job durations is off for this run',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather --summary <a named pipe nothing reads> is refused at once, before any job, exit 2", async () => {
  const dir = await project();
  try {
    const pipe = join(dir, "summary.json");
    await mkfifo(pipe);
    const unblock = unblockLater(pipe, "writer");
    const result = await gather(["-f", "tasks.ts", "--no-history", "--summary", pipe], {
      cwd: dir,
    });
    await end(unblock);
    assertEquals(result.code, 2, result.stderr);
    assertEquals(
      result.stderr,
      `gather: Cannot write the summary to "${pipe}": it is a named pipe (FIFO) and nothing is reading it; start its reader first (e.g. jq . < ${pipe} &), or give a file\n`,
    );
    assert(Deno.statSync(pipe).isFifo);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather --summary >(reader): the report goes down the pipe whole", async () => {
  const dir = await project("0");
  try {
    // $! is the reader's process: waited for, so that the report is whole when bash exits.
    const script = `"${Deno.execPath()}" run -A "${join(ROOT, "main.ts")}" -f tasks.ts ` +
      `--no-history --summary >(cat > report.json); code=$?; wait $!; exit $code`;
    const run = await new Deno.Command("bash", {
      args: ["-c", script],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
    const report = JSON.parse(await Deno.readTextFile(join(dir, "report.json")));
    assertEquals([report.status, report.counts.ok], ["ok", 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather --summary <a pipe whose reader stops reading>: SIGINT stops the wait within seconds, says how much was taken, exit 130", async () => {
  const dir = await Deno.makeTempDir();
  const pipe = join(dir, "summary.json");
  await mkfifo(pipe);
  const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
  // A report far larger than a pipe holds (64 KiB): the error is in it three times.
  await Deno.writeTextFile(
    join(dir, "tasks.ts"),
    `import { job } from ${mod};\nexport const big = job(() => { throw new Error("x".repeat(200_000)); });\n`,
  );
  // Holds the pipe open and reads nothing for 15 s, then all of it (gather before its fix
  // then went on, and the test fails instead of hanging).
  const reader = shLater(15, `exec 3< "$0"; `, "cat <&3 > /dev/null", pipe);
  const run = new LiveGather(["-f", "tasks.ts", "--no-history", "--summary", pipe], { cwd: dir });
  try {
    await run.waitFor((events) => events.some((e) => e.type === "run:end"), 20_000);
    const sentAt = performance.now();
    run.kill("SIGINT");
    const result = await run.result();
    assertEquals([result.code, result.signal], [130, "SIGINT"], result.stderr);
    assertLess(result.exitedAt - sentAt, 5_000);
    assertStringIncludes(
      result.stderr,
      `gather: could not write the summary to "${pipe}": interrupted by SIGINT while waiting for its reader, after it had taken 65536 of `,
    );
  } finally {
    stop(run);
    await run.result();
    await end(reader);
    await Deno.remove(dir, { recursive: true });
  }
});

/** The folder JobLogs gives a run that started at `time`, in this process. */
const runFolder = (time: number) =>
  `${new Date(time).toISOString().replaceAll(":", "-")}-${Deno.pid}`;

/** Feed JobLogs a run of job `a` that prints one line, and close it. */
function logRun(logs: JobLogs, time: number): void {
  logs.handle({ type: "run:start", time, jobs: [{ name: "a", deps: [] }], concurrency: 1 });
  logs.handle({ type: "job:start", time, job: "a", attempt: 1 });
  logs.handle({ type: "job:log", time, job: "a", line: "hello", stream: "stdout" });
  logs.handle({
    type: "job:end",
    time,
    job: "a",
    status: "ok",
    started: true,
    durationMs: 1,
    attempt: 1,
    cache: "off",
  });
  logs.close();
}

Deno.test("JobLogs never opens a named pipe in a log's place: the logs stop with one warning", async () => {
  const dir = await Deno.makeTempDir();
  const time = Date.now();
  const pipe = join(dir, runFolder(time), "a.log");
  await Deno.mkdir(join(dir, runFolder(time)));
  await mkfifo(pipe);
  const unblock = unblockLater(pipe, "writer");
  try {
    const errors: Error[] = [];
    const logs = new JobLogs(dir, { onError: (error) => errors.push(error) });
    logRun(logs, time);
    assertEquals(errors.length, 1);
    assert(errors[0] instanceof Deno.errors.AlreadyExists, String(errors[0]));
    assertEquals(logs.pathOf("a"), undefined);
    assert(Deno.statSync(pipe).isFifo);
  } finally {
    await end(unblock);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JobLogs writes its logs unlocked when a named pipe is where its run's .lock goes", async () => {
  const dir = await Deno.makeTempDir();
  const time = Date.now();
  const pipe = join(dir, runFolder(time), ".lock");
  await Deno.mkdir(join(dir, runFolder(time)));
  await mkfifo(pipe);
  const unblock = unblockLater(pipe, "writer");
  try {
    const errors: Error[] = [];
    const logs = new JobLogs(dir, { onError: (error) => errors.push(error) });
    logRun(logs, time);
    assertEquals(errors, []);
    assertEquals(await Deno.readTextFile(logs.pathOf("a")!), "hello\n");
    assert(Deno.statSync(pipe).isFifo);
  } finally {
    await end(unblock);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JobLogs prunes old runs without opening a named pipe that is an old run's .lock, and keeps that folder", async () => {
  const dir = await Deno.makeTempDir();
  const old = (n: number) => join(dir, `2020-01-${String(n + 1).padStart(2, "0")}T00-00-00.000Z-1`);
  for (let n = 0; n < 12; n++) {
    await Deno.mkdir(old(n));
    await Deno.writeTextFile(join(old(n), "a.log"), "old\n");
  }
  const pipe = join(old(0), ".lock");
  await mkfifo(pipe);
  const unblock = unblockLater(pipe, "reader");
  try {
    const logs = new JobLogs(dir, { keepRuns: 10 });
    logRun(logs, Date.now());
    assertEquals(await Deno.readTextFile(logs.pathOf("a")!), "hello\n");
    const left = [...Deno.readDirSync(dir)].map((entry) => entry.name).toSorted();
    // The newest 10 (this run among them), and the folder whose .lock is a pipe.
    assertEquals(left.length, 11);
    assert(left.includes(old(0).slice(dir.length + 1)), "the folder with the pipe is kept");
    assert(Deno.statSync(pipe).isFifo);
  } finally {
    await end(unblock);
    await Deno.remove(dir, { recursive: true });
  }
});

/** Run gather, SIGKILLed if it is still running after `ms` (it used to block for good). */
async function gatherWithin(args: string[], cwd: string, ms = 20_000) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stuck = setTimeout(() => child.kill("SIGKILL"), ms);
  const output = await child.output();
  clearTimeout(stuck);
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((entry) =>
    entry.isDirectory
      ? filesUnder(join(dir, entry.name))
      : entry.isFile
      ? [join(dir, entry.name)]
      : []
  );
}

Deno.test("gather runs a cached job when each of the cache's files is a named pipe: none is opened, the job reruns", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.writeTextFile(join(dir, "in.txt"), "hi\n");
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};\nexport const build = job(\n  { inputs: ["in.txt"], outputs: ["out.txt"], cache: true },\n  (ctx) => ctx.sh\`cat in.txt > out.txt; echo built\`,\n);\n`,
    );
    const args = ["-f", "tasks.ts", "--no-history", "--reporter", "plain"];
    const first = await gatherWithin(args, dir);
    assertEquals(first.code, 0, first.stderr);
    const second = await gatherWithin(args, dir);
    assertStringIncludes(second.stderr, "(1 cached)");
    // The entry, its blob, the last key, the memos, the stat index, the stats: all pipes now.
    const files = filesUnder(join(dir, ".gather", "cache"));
    assertLess(5, files.length);
    for (const file of files) {
      await Deno.remove(file);
      await mkfifo(file);
    }
    await Deno.remove(join(dir, "out.txt"));
    const third = await gatherWithin(args, dir);
    assertEquals(third.code, 0, third.stderr);
    assertStringIncludes(third.stderr, "build │ built");
    assertEquals(await Deno.readTextFile(join(dir, "out.txt")), "hi\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
