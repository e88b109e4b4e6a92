/**
 * deno.json tasks under gather: the same tasks give the same output and exit
 * codes under `deno task` and `gather`, in a generated project; discovery
 * from a subfolder, the task list, arguments, dependencies and wildcards.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { delay } from "@std/async/delay";
import { join } from "../src/deps/path.ts";
import { LiveGather, logged } from "./_live.ts";
import { liveProcesses, uniqueSleep } from "./_processes.ts";
import {
  denoTask,
  gatherIn,
  gatherJson,
  lines,
  linesOf,
  makeProject,
  started,
} from "./_deno_project.ts";

/** A dozen and more task shapes real deno.json files use. */
const SHAPES: Record<string, string> = {
  echo: "echo hello world",
  args: "echo args:",
  chain: "echo one && echo two || echo never; echo three",
  or: "false || echo recovered",
  pipe: "echo piped | cat",
  pipestatus: "true | sh -c 'exit 7'",
  envset: `GREETING=hi deno eval "console.log(Deno.env.get('GREETING'))"`,
  exported: "export X=1 && echo x=$X",
  exit3: "echo before && exit 3",
  missing: "definitely-not-a-command-here foo",
  nested: "deno task echo",
  streams: `deno eval "console.error('to stderr'); console.log('to stdout')"`,
  initcwd: "echo INIT_CWD=$INIT_CWD",
  pwd: "pwd",
  execpath: `deno eval "console.log(Deno.execPath())"`,
  builtins: "mkdir -p made/deep && cd made && pwd && cd .. && rm -rf made && echo gone",
  subshell: "echo $(echo from-subshell) `echo backticks`",
  quoted: `echo "a  b" 'c  d'`,
  sleepy: "sleep 0.1 && echo slept",
};

const ARGS = ["a b", "it's", "$HOME", "--flag", "--", "*", ""];

Deno.test("deno.json tasks give the same output and exit codes under deno task and gather", async () => {
  const dir = await makeProject({ "deno.json": { tasks: SHAPES }, "sub/keep.txt": "" });
  try {
    const cases: [string, string[]][] = [
      ...Object.keys(SHAPES).map((name): [string, string[]] => [name, []]),
      ["args", ARGS],
      ["echo", ARGS],
    ];
    for (const [name, args] of cases) {
      const label = `${name} ${JSON.stringify(args)}`;
      const deno = await denoTask([name, ...args], dir);
      const ours = await gatherJson(["--no-history", name, ...args], dir);
      assertEquals(ours.code, deno.code, `${label}: exit code\n${ours.stderr}`);
      const events = ours.events;
      assertEquals(linesOf(events, name, "stdout"), lines(deno.stdout), `${label}: stdout`);
      // deno task prints its "Task <name> <command>" line first on stderr; gather logs it first.
      const [header, ...stderr] = lines(deno.stderr);
      assertEquals(linesOf(events, name, "log"), [header], `${label}: the Task line`);
      assertEquals(linesOf(events, name, "stderr"), stderr, `${label}: stderr`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather exits with a failed task's exit code, as deno task does, and says which command failed", async () => {
  const dir = await makeProject({ "deno.json": { tasks: SHAPES } });
  try {
    const run = await gatherIn(["--reporter", "plain", "--no-logs", "--no-history", "exit3"], dir);
    assertEquals(run.code, 3);
    assertStringIncludes(run.stderr, "exit3 │ Task exit3 echo before && exit 3");
    assertStringIncludes(run.stderr, "exit3 │ before");
    assertStringIncludes(run.stderr, "Command failed with exit code 3: echo before && exit 3");
    const missing = await gatherIn(["--no-logs", "--no-history", "missing"], dir);
    assertEquals(missing.code, 127);
    assertStringIncludes(missing.stderr, "definitely-not-a-command-here: command not found");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task whose command does not parse, or is empty, fails with exit 1 as in deno task, its failure line showing the command", async () => {
  const dir = await makeProject({ "deno.json": { tasks: { bad: "echo (oops", empty: "" } } });
  try {
    const cases = [["bad", "echo (oops"], ["empty", "(empty command)"]] as const;
    for (const [task, shown] of cases) {
      const deno = await denoTask([task], dir);
      assertEquals(deno.code, 1);
      assertStringIncludes(deno.stderr, `Error parsing script '${task}'.`);
      const run = await gatherIn(["--reporter", "plain", "--no-logs", "--no-history", task], dir);
      assertEquals(run.code, 1, run.stderr);
      assertStringIncludes(run.stderr, `${task} │ ✖ failed`);
      assertMatch(
        run.stderr,
        new RegExp(
          `failed \\d+ms: Command failed with exit code 1: ${shown.replace(/[()]/g, "\\$&")}\n`,
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather finds the deno.json from a subfolder and runs the task in the config's folder", async () => {
  const dir = await makeProject({
    "deno.json": { tasks: { where: "pwd && echo INIT_CWD=$INIT_CWD" } },
    "src/deep/keep.txt": "",
  });
  try {
    const deep = join(dir, "src", "deep");
    const deno = await denoTask(["where"], deep);
    const ours = await gatherJson(["where"], deep);
    assertEquals(ours.code, 0, ours.stderr);
    assertEquals(linesOf(ours.events, "where", "stdout"), lines(deno.stdout));
    assertEquals(lines(deno.stdout), [dir, `INIT_CWD=${deep}`]);
    // gather's state goes to the project's root, not to the subfolder.
    assert(await exists(join(dir, ".gather", "history.json")));
    assert(await exists(join(dir, ".gather", ".gitignore")));
    assert(!(await exists(join(deep, ".gather"))));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather with no task named lists the tasks on stdout, as deno task does", async () => {
  const tasks = {
    build: { description: "Build it\nfor real", command: "echo build" },
    test: { command: "echo test", dependencies: ["build"] },
    all: { dependencies: ["build", "test"] },
  };
  const dir = await makeProject({ "deno.json": { tasks } });
  try {
    const deno = await denoTask([], dir);
    const ours = await gatherIn([], dir);
    assertEquals(ours.code, 0);
    assertEquals(ours.stdout, deno.stdout);
    assertEquals(ours.stdout.split("\n")[0], "Available tasks:");
    const listed = await gatherIn(["-l"], dir);
    assertEquals(listed.code, 0);
    assertMatch(listed.stdout, /^ {2}build {2}Build it\nfor real\n {9}\$ echo build$/m);
    assertMatch(listed.stdout, /^ {2}test {3}\[deps: build\]\n {9}\$ echo test$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("arguments after the task's name go to it (flags and -- too), and only to the task named", async () => {
  const dir = await makeProject({
    "deno.json": {
      tasks: {
        first: "echo first",
        last: { command: "echo last", dependencies: ["first"] },
      },
    },
  });
  try {
    const ours = await gatherJson(["--no-history", "last", "--filter", "x", "--", "-k"], dir);
    assertEquals(ours.code, 0, ours.stderr);
    assertEquals(linesOf(ours.events, "first", "stdout"), ["first"]);
    assertEquals(linesOf(ours.events, "last", "stdout"), ["last --filter x -- -k"]);
    const deno = await denoTask(["last", "--filter", "x", "--", "-k"], dir);
    assertEquals(lines(deno.stdout), ["first", "last --filter x -- -k"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dependencies become deps: a diamond runs its base once, dependencies first", async () => {
  const dir = await makeProject({
    "deno.json": {
      tasks: {
        base: "echo base",
        left: { command: "echo left", dependencies: ["base"] },
        right: { command: "echo right", dependencies: ["base"] },
        top: { dependencies: ["left", "right"] },
      },
    },
  });
  try {
    const ours = await gatherJson(["--no-history", "top"], dir);
    assertEquals(ours.code, 0, ours.stderr);
    const order = started(ours.events);
    assertEquals(order.length, 4);
    assertEquals(order[0], "base");
    assertEquals(order.at(-1), "top");
    assertEquals(linesOf(ours.events, "top", "log"), ["Task top (no command)"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wildcard task names match as deno task matches them, exclusions too", async () => {
  const dir = await makeProject({
    "deno.json": {
      tasks: {
        "test:unit": "echo unit",
        "test:e2e": "echo e2e",
        "test:e2e:smoke": "echo smoke",
        "lint": "echo lint",
      },
    },
  });
  try {
    const all = await gatherJson(["--no-history", "test:*"], dir);
    assertEquals(all.code, 0, all.stderr);
    assertEquals(started(all.events).sort(), ["test:e2e", "test:e2e:smoke", "test:unit"]);
    const some = await gatherJson(["--no-history", "test:*(!e2e)"], dir);
    assertEquals(started(some.events).sort(), ["test:e2e:smoke", "test:unit"]);
    const bad = await gatherIn(["test(!e2e)"], dir);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /exclusion group "\(!\.\.\.\)" but has no wildcard/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("Ctrl-C stops a deno.json task's whole tree (deno task, its shell, a grandchild) and exits 130", async () => {
  const mark = uniqueSleep();
  const dir = await makeProject({
    "deno.json": {
      tasks: {
        tree:
          `echo tree started && sh -c 'sleep ${mark}' & deno eval "await new Deno.Command('sleep', { args: ['${mark}'] }).output()"`,
      },
    },
  });
  try {
    const run = new LiveGather(["--no-history", "--no-logs", "tree"], { cwd: dir });
    await run.waitFor(logged("tree", "tree started"));
    const deadline = Date.now() + 10_000;
    const sleeping = async () =>
      (await liveProcesses(mark)).filter((line) => /(^|\s)sleep /.test(line)).length;
    while ((await sleeping()) < 2 && Date.now() < deadline) await delay(50);
    assert((await sleeping()) >= 2, "both sleeps should be running");
    run.kill("SIGINT");
    const result = await run.result();
    assertEquals(result.code, 130);
    const end = result.events.find((e) => e.type === "job:end" && e.job === "tree");
    assertEquals(end?.type === "job:end" ? end.status : undefined, "cancelled");
    assertEquals(await liveProcesses(mark), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task's gather key gives it a timeout, retries and a pool, and deno task ignores it", async () => {
  const flaky =
    `deno eval "try { Deno.statSync('marker') } catch { Deno.writeTextFileSync('marker', ''); Deno.exit(4) }"`;
  const dir = await makeProject({
    "deno.json": {
      tasks: {
        slow: { command: "sleep 30", gather: { timeout: "300ms" } },
        flaky: { command: flaky, gather: { retries: 1, retryDelay: "1ms" } },
        a: { command: "sleep 0.2", gather: { pool: { name: "one", limit: 1 } } },
        b: { command: "sleep 0.2", gather: { pool: { name: "one", limit: 1 } } },
        both: { dependencies: ["a", "b"] },
      },
    },
  });
  try {
    const slow = await gatherJson(["--no-history", "--grace", "1s", "slow"], dir);
    assertEquals(slow.code, 1);
    assertMatch(JSON.stringify(slow.events), /timed out after 300ms/);
    const retried = await gatherJson(["--no-history", "flaky"], dir);
    assertEquals(retried.code, 0, retried.stderr);
    assertEquals(retried.events.filter((e) => e.type === "job:retry").length, 1);
    const pooled = await gatherJson(["--no-history", "-j", "4", "both"], dir);
    const order = pooled.events.flatMap((e) =>
      (e.type === "job:start" || e.type === "job:end") && e.job !== "both" ? [e.type] : []
    );
    assertEquals(order, ["job:start", "job:end", "job:start", "job:end"]); // one at a time
    assertEquals((await denoTask(["a"], dir)).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
