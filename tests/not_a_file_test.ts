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
import { History } from "../src/state/history.ts";
import { gather, ROOT } from "./_cli.ts";
import { LiveGather } from "./_live.ts";

/** Make a named pipe, as `mkfifo` does. */
async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert(made.success, new TextDecoder().decode(made.stderr));
}

/**
 * Open the pipe for writing after a while and close it: a reader blocked on it
 * (gather before its fix, or this very test process) then reads an empty file
 * and goes on, so that the test fails instead of hanging. Kill it when done.
 */
function unblockLater(path: string, seconds = 15): Deno.ChildProcess {
  return new Deno.Command("sh", {
    args: ["-c", `sleep ${seconds}; : > "$0"`, path],
    stdout: "null",
    stderr: "null",
  }).spawn();
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
    unblock.kill();
    await unblock.status;
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
    unblock.kill();
    await unblock.status;
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
