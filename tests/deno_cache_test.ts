/**
 * deno.json tasks with `files`, `output` and `env` get gather's result
 * cache: hits replay the log and restore the outputs, a reverted change is a
 * hit again, `--explain` says why a task runs. Each command appends to
 * `runs.txt` (not an input), so a hit is proven by the command not running.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import { ROOT } from "./_cli.ts";
import type { GatherEvent } from "../src/events.ts";
import {
  gatherIn,
  gatherJson,
  linesOf,
  makeProject,
  started,
  writeFiles,
} from "./_deno_project.ts";

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
    // Tasks that run at once append concurrently, and deno task's echo writes a word and its line
    // break apart: those tasks end their word with ";", in the same write.
    return text.split(/[\s;]+/).filter((word) => word !== "");
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

Deno.test("a deno.json task's key is the same with a task file beside its config or without (-r loads none), and the task file's code is not in it", async () => {
  const dir = await makeProject({ "deno.json": { tasks: TASKS }, "src/a.txt": "one\n" });
  try {
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    const taskFile = `import { job } from ${mod};
export const after = job({ deps: ["gen"] }, (ctx) => ctx.log("after gen"));
`;
    await writeFiles(dir, { "tasks.ts": taskFile });
    const keyOf = (events: GatherEvent[]) =>
      events.flatMap((e) => e.type === "job:cache" && e.job === "gen" ? [e.key] : [])[0];
    const withFile = await gatherJson(["gen"], dir);
    assertEquals(await runs(dir), ["gen"]);
    const recursive = await gatherJson(["-r", "gen"], dir);
    assertEquals([cacheOf(recursive.events, "gen"), await runs(dir)], ["hit", []]);
    assertEquals(keyOf(recursive.events), keyOf(withFile.events));
    // The task file's own code changes: the task is still a hit.
    await writeFiles(dir, { "tasks.ts": taskFile + "export const extra = 1;\n" });
    const edited = await gatherJson(["gen"], dir);
    assertEquals([cacheOf(edited.events, "gen"), await runs(dir)], ["hit", []]);
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

/**
 * The user's workspace: @w/b imports @w/a, @w/c stands alone; each has `build` and `test`. b's
 * build reads what a's build makes, but its `files` cover only its own folder; b's test depends
 * on b's build, a's test does not on a's.
 */
function orderedWorkspace(): Record<string, string | Record<string, unknown>> {
  const member = (name: string, extra: Record<string, unknown>) => ({
    name: `@w/${name}`,
    version: "1.0.0",
    exports: "./mod.ts",
    ...extra,
  });
  return {
    "deno.json": { workspace: ["./a", "./b", "./c"] },
    "a/deno.json": member("a", {
      tasks: {
        build: {
          command: "echo 'a-build;' >> ../runs.txt && mkdir -p dist && cat src.txt > dist/a.txt",
          files: ["src.txt"],
          output: ["dist/**"],
        },
        test: { command: "echo 'a-test;' >> ../runs.txt", files: ["src.txt"] },
      },
    }),
    "a/mod.ts": "export const a = 1;\n",
    "a/src.txt": "a1\n",
    "b/deno.json": member("b", {
      imports: { "@w/a": "jsr:@w/a@^1.0.0" },
      tasks: {
        build: {
          command:
            "echo 'b-build;' >> ../runs.txt && mkdir -p dist && cat ../a/dist/a.txt src.txt > dist/b.txt",
          files: ["src.txt"],
          output: ["dist/**"],
        },
        test: {
          command: "echo 'b-test;' >> ../runs.txt",
          dependencies: ["build"],
          files: ["src.txt"],
        },
      },
    }),
    "b/mod.ts": "import '@w/a';\nexport const b = 2;\n",
    "b/src.txt": "b1\n",
    "c/deno.json": member("c", {
      tasks: {
        build: { command: "echo 'c-build;' >> ../runs.txt", files: ["mod.ts"] },
        test: { command: "echo 'c-test;' >> ../runs.txt", files: ["mod.ts"] },
      },
    }),
    "c/mod.ts": "export const c = 3;\n",
  };
}

function keyOf(events: GatherEvent[], job: string): string | undefined {
  const cache = events.find((e) => e.type === "job:cache" && e.job === job);
  return cache?.type === "job:cache" ? cache.key : undefined;
}

Deno.test("a member's task has one key whichever command runs it: the -r member order is not in its key, what the tasks it waits for read and make is", async () => {
  const dir = await makeProject(orderedWorkspace());
  try {
    const build = await gatherJson(["-r", "build"], dir);
    assertEquals(build.code, 0, build.stderr);
    assertEquals((await runs(dir)).sort(), ["a-build", "b-build", "c-build"]);
    const key = keyOf(build.events, "@w/b#build");
    // -r test brings b's build in through b's test, without a's build: the same key, a hit.
    const test = await gatherJson(["-r", "test"], dir);
    assertEquals(test.code, 0, test.stderr);
    assertEquals(started(test.events).includes("@w/a#build"), false);
    assertEquals((await runs(dir)).sort(), ["a-test", "b-test", "c-test"]);
    assertEquals([keyOf(test.events, "@w/b#build"), cacheOf(test.events, "@w/b#build")], [
      key,
      "hit",
    ]);
    // Back and forth, and b alone: never again.
    for (const args of [["-r", "build"], ["-r", "test"], ["--filter", "@w/b", "build"]]) {
      const again = await gatherJson(args, dir);
      assertEquals([again.code, await runs(dir)], [0, []], args.join(" "));
      assertEquals(keyOf(again.events, "@w/b#build"), key, args.join(" "));
    }
    // a's source changes: -r build runs a, then b, whose key holds what a reads and makes.
    await writeFiles(dir, { "a/src.txt": "a2\n" });
    const dry = await gatherIn(["-r", "--dry-run", "build"], dir);
    assertMatch(
      dry.stdout,
      /@w\/b#build +\(hit or not: unknown until "@w\/a#build" runs: it runs first, and may change this job's inputs\)/,
    );
    const changed = await gatherIn(
      ["--reporter", "plain", "--no-logs", "--explain", "-r", "build"],
      dir,
    );
    assertEquals(changed.code, 0, changed.stderr);
    assertMatch(
      changed.stderr,
      /@w\/b#build +│ ↻ runs: input a\/dist\/a\.txt changed and 1 more\n/,
    );
    assertEquals((await runs(dir)).sort(), ["a-build", "b-build"]);
    assertEquals(await Deno.readTextFile(join(dir, "b/dist/b.txt")), "a2\nb1\n");
    // Without a's build in the run, b's build still sees a's source change (and reads a's stale
    // output: that is what its entry holds); the next -r build remakes a's output, and b's key
    // sees that too. No run restores b's output from a state of a that is not on disk.
    await writeFiles(dir, { "a/src.txt": "a3\n" });
    await gatherJson(["-r", "test"], dir);
    assertEquals((await runs(dir)).sort(), ["a-test", "b-build", "b-test"]);
    assertEquals(await Deno.readTextFile(join(dir, "b/dist/b.txt")), "a2\nb1\n");
    await gatherJson(["-r", "build"], dir);
    assertEquals((await runs(dir)).sort(), ["a-build", "b-build"]);
    assertEquals(await Deno.readTextFile(join(dir, "b/dist/b.txt")), "a3\nb1\n");
    await writeFiles(dir, { "a/src.txt": "a2\n" });
    await gatherJson(["-r", "build"], dir); // both hits: the entries of a2
    assertEquals(await runs(dir), []);
    assertEquals(await Deno.readTextFile(join(dir, "b/dist/b.txt")), "a2\nb1\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
