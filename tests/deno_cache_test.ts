/**
 * deno.json tasks with `files`, `output` and `env` get gather's result
 * cache: hits replay the log and restore the outputs, a reverted change is a
 * hit again, `--explain` says why a task runs. Each command appends to
 * `runs.txt` (not an input), so a hit is proven by the command not running.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { GatherEvent } from "../src/events.ts";
import { gatherIn, gatherJson, linesOf, makeProject, writeFiles } from "./_deno_project.ts";

const TASKS = {
  gen: { command: "echo gen >> runs.txt && echo generated", files: ["src/**"] },
  build: {
    command:
      "echo build >> runs.txt && mkdir -p dist && cat src/a.txt > dist/out.txt && echo built",
    dependencies: ["gen"],
    files: ["src/**"],
    output: ["dist/**"],
    env: ["MODE"],
  },
  stamp: { command: "echo stamp >> runs.txt && echo stamped" },
  report: {
    command: "echo report >> runs.txt",
    dependencies: ["stamp"],
    files: ["src/**"],
  },
  off: { command: "echo off >> runs.txt", files: ["src/**"], gather: { cache: false } },
};

async function runs(dir: string): Promise<string[]> {
  try {
    const text = await Deno.readTextFile(join(dir, "runs.txt"));
    await Deno.remove(join(dir, "runs.txt"));
    return text.trim().split("\n");
  } catch {
    return [];
  }
}

function cacheOf(events: GatherEvent[], job: string): string | undefined {
  const end = events.find((e) => e.type === "job:end" && e.job === job);
  return end?.type === "job:end" ? end.cache : undefined;
}

Deno.test("a deno.json task with files is cached: hits replay, outputs come back, a reverted change hits", async () => {
  const dir = await makeProject({ "deno.json": { tasks: TASKS }, "src/a.txt": "one\n" });
  try {
    const first = await gatherJson(["build"], dir);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(await runs(dir), ["gen", "build"]);
    await Deno.remove(join(dir, "dist"), { recursive: true });
    const second = await gatherJson(["build"], dir);
    assertEquals(await runs(dir), []);
    assertEquals(cacheOf(second.events, "build"), "hit");
    assertEquals(linesOf(second.events, "build", "stdout"), ["built"]); // replayed
    assertEquals(await Deno.readTextFile(join(dir, "dist/out.txt")), "one\n");
    // A change runs both again; reverting it is a hit: the cache keeps several entries per task.
    await writeFiles(dir, { "src/a.txt": "two\n" });
    await gatherJson(["build"], dir);
    assertEquals(await runs(dir), ["gen", "build"]);
    await writeFiles(dir, { "src/a.txt": "one\n" });
    const reverted = await gatherJson(["build"], dir);
    assertEquals(await runs(dir), []);
    assertEquals(cacheOf(reverted.events, "build"), "hit");
    // env values are in the key, and --explain says why the task runs.
    await gatherJson(["build"], dir, { MODE: "debug" });
    assertEquals(await runs(dir), ["build"]);
    const explained = await gatherIn(
      ["--reporter", "plain", "--no-logs", "--explain", "build"],
      dir,
      {
        MODE: "release",
      },
    );
    assertEquals(explained.code, 0, explained.stderr);
    assertMatch(explained.stderr, /build +│ ↻ runs: env MODE changed/);
    assertEquals(await runs(dir), ["build"]);
    // The arguments are in the key too, and --explain names them.
    await gatherJson(["build", "--verbose"], dir);
    assertEquals(await runs(dir), ["build"]);
    const args = await gatherIn(
      ["--reporter", "plain", "--no-logs", "--explain", "build", "--", "--flag"],
      dir,
    );
    assertEquals(args.code, 0, args.stderr);
    assertMatch(args.stderr, /build +│ ↻ runs: arguments changed\n/);
    assertEquals(await runs(dir), ["build"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task that depends on an uncached task is not cached (as deno task has it), nor one with gather.cache false", async () => {
  const dir = await makeProject({ "deno.json": { tasks: TASKS }, "src/a.txt": "one\n" });
  try {
    for (let round = 0; round < 2; round++) {
      const run = await gatherJson(["report"], dir);
      assertEquals(run.code, 0, run.stderr);
      assertEquals(cacheOf(run.events, "report"), "off");
      await gatherJson(["off"], dir);
      assertEquals(await runs(dir), ["stamp", "report", "off"]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a deno.json task's key holds its command and its config's settings, not the other tasks", async () => {
  const dir = await makeProject({ "deno.json": { tasks: TASKS }, "src/a.txt": "one\n" });
  try {
    await gatherJson(["gen"], dir);
    assertEquals(await runs(dir), ["gen"]);
    // Another task's command changes: still a hit.
    const config = { tasks: { ...TASKS, stamp: { command: "echo other" } } };
    await writeFiles(dir, { "deno.json": config });
    await gatherJson(["gen"], dir);
    assertEquals(await runs(dir), []);
    // The config's settings (what deno does) change: it runs.
    await writeFiles(dir, { "deno.json": { ...config, fmt: { lineWidth: 80 } } });
    const explained = await gatherIn(["--reporter", "plain", "--no-logs", "--explain", "gen"], dir);
    assertMatch(explained.stderr, /gen +│ ↻ runs: deno\.json settings changed\n/);
    assertEquals(await runs(dir), ["gen"]);
    // Its own command changes: it runs, and --explain says the command changed.
    const gen = { ...TASKS.gen, command: "echo gen >> runs.txt && echo generated!" };
    await writeFiles(dir, {
      "deno.json": { ...config, fmt: { lineWidth: 80 }, tasks: { ...config.tasks, gen } },
    });
    const command = await gatherIn(["--reporter", "plain", "--no-logs", "--explain", "gen"], dir);
    assertMatch(command.stderr, /gen +│ ↻ runs: task command changed\n/);
    assertEquals(await runs(dir), ["gen"]);
    // So does a change of the lockfile, which is an input of every cached task.
    await Deno.writeTextFile(join(dir, "deno.lock"), '{"version": "5"}\n');
    await gatherJson(["gen"], dir);
    assertEquals(await runs(dir), ["gen"]);
    await Deno.writeTextFile(join(dir, "deno.lock"), '{"version": "5", "remote": {}}\n');
    const locked = await gatherIn(["--reporter", "plain", "--no-logs", "--explain", "gen"], dir);
    assertMatch(locked.stderr, /gen +│ ↻ runs: input deno\.lock changed/);
    assertEquals(await runs(dir), ["gen"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task named cache runs with gather -- cache; gather cache stays the cache's command, with its options before or after it", async () => {
  const dir = await makeProject({
    "deno.json": { tasks: { ...TASKS, cache: "echo cache >> runs.txt" } },
    "src/a.txt": "one\n",
  });
  try {
    const task = await gatherJson(["--", "cache"], dir);
    assertEquals(task.code, 0, task.stderr);
    assertEquals(await runs(dir), ["cache"]);
    assertEquals((await gatherJson(["gen"], dir)).code, 0);
    await runs(dir);
    const cacheDir = join(dir, ".gather", "cache");
    for (
      const args of [["cache", "status", "--cache-dir", cacheDir], [
        "--cache-dir",
        cacheDir,
        "cache",
        "status",
      ]]
    ) {
      const status = await gatherIn(args, join(dir, "src"));
      assertEquals(status.code, 0, status.stderr);
      assertMatch(status.stdout, /^cache: .*\nentries: 1, size: /);
    }
    assertEquals(await runs(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
