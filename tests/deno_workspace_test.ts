/**
 * Workspaces under gather: `-r` runs a task in every member that has it
 * (members waiting for the members they import), `--filter` and
 * `--changed-since` pick members, `<member>#<task>` names a task across
 * members; on generated workspaces.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { GatherEvent } from "../src/events.ts";
import { ROOT } from "./_cli.ts";
import {
  denoTask,
  type Files,
  gatherIn,
  gatherJson,
  lines,
  linesOf,
  makeProject,
  runIn,
  started,
  writeFiles,
} from "./_deno_project.ts";

/** app imports utils, utils imports core; noname has no package name; core is slow. */
function workspace(): Files {
  return {
    "deno.json": {
      workspace: ["./packages/*"],
      tasks: { test: "echo root-test", rootonly: "pwd" },
    },
    "packages/core/deno.json": {
      name: "@scope/core",
      version: "1.0.0",
      exports: "./mod.ts",
      tasks: {
        test: "sleep 0.3 && echo core-test",
        build: "echo core-build",
        where: "pwd",
      },
    },
    "packages/core/mod.ts": "export const core = 1;\n",
    "packages/util-dir/deno.json": {
      name: "@scope/utils",
      version: "1.0.0",
      exports: "./mod.ts",
      imports: { "@scope/core": "jsr:@scope/core@^1.0.0" },
      tasks: { test: "echo utils-test", where: "pwd" },
    },
    "packages/util-dir/mod.ts": "export const utils = 2;\n",
    "packages/app/deno.json": {
      name: "@scope/app",
      version: "1.0.0",
      exports: "./mod.ts",
      imports: { "@scope/utils": "jsr:@scope/utils@^1.0.0" },
      tasks: {
        test: "echo app-test",
        cross: { command: "echo app-cross", dependencies: ["@scope/core#build"] },
        safe: { command: "echo app-safe", gather: { dependencies: ["@scope/core#build"] } },
      },
    },
    "packages/app/mod.ts": "export const app = 3;\n",
    "packages/noname/deno.json": { tasks: { test: "echo noname-test" } },
  };
}

function span(events: GatherEvent[], job: string): { start: number; end: number } {
  const index = (type: string) =>
    events.findIndex((e) => e.type === type && "job" in e && e.job === job);
  return { start: index("job:start"), end: index("job:end") };
}

Deno.test("gather -r runs the task in the root and every member that has it, members after the members they import", async () => {
  const dir = await makeProject(workspace());
  try {
    const run = await gatherJson(["--no-history", "-j", "4", "-r", "test"], dir);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(started(run.events).sort(), [
      "@scope/app#test",
      "@scope/core#test",
      "@scope/utils#test",
      "packages/noname#test",
      "test",
    ]);
    // Even with room for all of them at once, utils waits for core and app for utils.
    const core = span(run.events, "@scope/core#test");
    const utils = span(run.events, "@scope/utils#test");
    const app = span(run.events, "@scope/app#test");
    assert(core.end < utils.start && utils.end < app.start, "members ran before what they import");
    // The same output per member as deno task -r.
    const deno = await denoTask(["-r", "test"], dir);
    assertEquals(deno.code, 0);
    const ours = [
      ...linesOf(run.events, "test", "stdout"),
      ...linesOf(run.events, "@scope/core#test", "stdout"),
      ...linesOf(run.events, "@scope/utils#test", "stdout"),
      ...linesOf(run.events, "@scope/app#test", "stdout"),
      ...linesOf(run.events, "packages/noname#test", "stdout"),
    ];
    // (deno task prefixes the lines of tasks that run side by side with "[<member>#<task>] ".)
    const theirs = lines(deno.stdout).map((line) => line.replace(/^\s*\[[^\]]+\] /, ""));
    assertEquals(ours.sort(), theirs.sort());
    // Each member's task runs in the member's folder.
    const where = await gatherJson(["--no-history", "-r", "where"], dir);
    assertEquals(linesOf(where.events, "@scope/core#where", "stdout"), [
      join(dir, "packages/core"),
    ]);
    assertEquals(linesOf(where.events, "@scope/utils#where", "stdout"), [
      join(dir, "packages/util-dir"),
    ]);
    // The plain reporter shows the <member>#<task> names.
    const plain = await gatherIn(["--reporter", "plain", "--no-logs", "-r", "where"], dir);
    assertMatch(plain.stderr, /^@scope\/core#where +│ ▶ start$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--filter picks members by name, folder name or path glob; <pattern>... adds their dependents", async () => {
  const dir = await makeProject(workspace());
  try {
    const cases: [string, string[]][] = [
      ["@scope/utils", ["@scope/utils#test"]],
      ["util-dir", ["@scope/utils#test"]],
      ["@scope/c*", ["@scope/core#test"]],
      ["./packages/c*", ["@scope/core#test"]],
      ["packages/*", [
        "@scope/app#test",
        "@scope/core#test",
        "@scope/utils#test",
        "packages/noname#test",
      ]],
      ["@scope/utils...", ["@scope/app#test", "@scope/utils#test"]],
    ];
    for (const [filter, expected] of cases) {
      const run = await gatherJson(["--no-history", "--filter", filter, "test"], dir);
      assertEquals(run.code, 0, `${filter}: ${run.stderr}`);
      assertEquals(started(run.events).sort(), expected, filter);
    }
    // deno task --filter picks the same member by folder name.
    const deno = await denoTask(["--filter", "util-dir", "test"], dir);
    assertEquals(lines(deno.stdout), ["utils-test"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The root has build (after rootonly); core and noname have their own build, web has none. */
const FALLBACK: Files = {
  "deno.json": {
    workspace: ["./packages/core", "./apps/web", "./packages/noname"],
    tasks: {
      build: { command: "echo root-build", dependencies: ["rootonly"] },
      rootonly: "echo r",
    },
  },
  "packages/core/deno.json": { name: "@s/core", exports: "./mod.ts", tasks: { build: "echo c" } },
  "packages/core/mod.ts": "export {};\n",
  "apps/web/deno.json": { name: "@s/web", exports: "./mod.ts", tasks: { dev: "echo web-dev" } },
  "apps/web/mod.ts": "export {};\n",
  "packages/noname/deno.json": { tasks: { build: "echo noname-build" } },
};

Deno.test("--filter runs the root's task for a selected member that has none of its own, once, as deno task --filter does", async () => {
  const dir = await makeProject(FALLBACK);
  try {
    const cases: [string, string[]][] = [
      ["@s/web", ["build", "rootonly"]],
      ["@s/*", ["@s/core#build", "build", "rootonly"]],
      ["*", ["@s/core#build", "build", "packages/noname#build", "rootonly"]],
      ["@s/core", ["@s/core#build"]],
    ];
    for (const [filter, expected] of cases) {
      const run = await gatherJson(["--no-history", "--filter", filter, "build"], dir);
      assertEquals(run.code, 0, `${filter}: ${run.stderr}`);
      assertEquals(started(run.events).sort(), expected, filter);
      const root = span(run.events, "build");
      if (root.start >= 0) assert(span(run.events, "rootonly").end < root.start, filter);
      // The same commands' output as deno task (which prefixes side-by-side tasks' lines).
      const deno = await denoTask(["--filter", filter, "build"], dir);
      assertEquals(deno.code, 0, deno.stderr);
      const ours = expected.flatMap((job) => linesOf(run.events, job, "stdout"));
      const theirs = lines(deno.stdout).map((line) => line.replace(/^\s*\[[^\]]+\] /, ""));
      assertEquals(ours.sort(), theirs.sort(), filter);
    }
    // The list for a filter shows the root's tasks a member sees, as deno task's does.
    const list = await gatherIn(["--filter", "@s/web"], dir);
    assertEquals(list.stdout, (await denoTask(["--filter", "@s/web"], dir)).stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a member's task can depend on another member's task, in dependencies or in its gather key", async () => {
  const dir = await makeProject(workspace());
  try {
    const app = join(dir, "packages", "app");
    for (const task of ["cross", "safe"]) {
      const run = await gatherJson(["--no-history", task], app);
      assertEquals(run.code, 0, run.stderr);
      assertEquals(started(run.events), ["@scope/core#build", `@scope/app#${task}`]);
    }
    // deno task itself ignores the gather key, and fails on the cross-member name.
    assertEquals(lines((await denoTask(["safe"], app)).stdout), ["app-safe"]);
    assertMatch((await denoTask(["cross"], app)).stderr, /Task not found: @scope\/core#build/);
    // From the root, name a member's task as <member>#<task>.
    const named = await gatherJson(["--no-history", "@scope/app#safe"], dir);
    assertEquals(named.code, 0, named.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("from a member folder, a name is the member's task, else the root's (run in the root)", async () => {
  const dir = await makeProject(workspace());
  try {
    const core = join(dir, "packages", "core");
    const own = await gatherJson(["--no-history", "test"], core);
    assertEquals(started(own.events), ["@scope/core#test"]);
    const root = await gatherJson(["--no-history", "rootonly"], core);
    assertEquals(linesOf(root.events, "rootonly", "stdout"), [dir]);
    const deno = await denoTask(["rootonly"], core);
    assertEquals(lines(deno.stdout), [dir]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--changed-since picks the members whose files changed since a git ref, and their dependents", async () => {
  const dir = await makeProject(workspace());
  try {
    const git = (...args: string[]) =>
      runIn(["git", "-c", "user.name=t", "-c", "user.email=t@t", ...args], dir);
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "start");
    const none = await gatherIn(["--no-history", "--changed-since", "HEAD", "test"], dir);
    assertEquals(none.code, 0);
    assertMatch(none.stderr, /no workspace package changed since "HEAD"/);
    await writeFiles(dir, { "packages/util-dir/mod.ts": "export const utils = 3;\n" });
    const run = await gatherJson(["--no-history", "--changed-since", "HEAD", "test"], dir);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(started(run.events).sort(), ["@scope/app#test", "@scope/utils#test"]);
    // A new file counts too.
    await writeFiles(dir, { "packages/noname/new.ts": "export {};\n" });
    const more = await gatherJson(["--no-history", "--changed-since", "HEAD", "test"], dir);
    assertEquals(started(more.events).sort(), [
      "@scope/app#test",
      "@scope/utils#test",
      "packages/noname#test",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's examples/workspace runs as it says: -r test in import order, cached the second time, and its fmt task passes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const copy = await new Deno.Command("cp", {
      args: ["-r", join(ROOT, "examples", "workspace"), dir],
    }).output();
    assert(copy.success);
    const ws = join(dir, "workspace");
    const first = await gatherJson(["-r", "test"], ws);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(started(first.events), [
      "@example/core#test",
      "@example/format#test",
      "@example/cli#test",
    ]);
    const again = await gatherJson(["-r", "test"], ws);
    const cached = again.events.filter((e) => e.type === "job:end" && e.cache === "hit");
    assertEquals(cached.length, 3, again.stderr);
    const fmt = await gatherIn(["fmt"], ws);
    assertEquals(fmt.code, 0, fmt.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
