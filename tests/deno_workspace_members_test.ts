/**
 * Workspace members gather has no deno.json tasks for, next to `deno task`
 * in the same generated workspace: a member with only a package.json (it
 * belongs to the workspace; gather does not run its scripts, and says so), a
 * member folder that does not exist (skipped with one warning, as `deno task`
 * skips it), and a member whose config does not parse (every run refuses,
 * before anything starts).
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import { ROOT } from "./_cli.ts";
import {
  denoTask,
  type Files,
  gatherIn,
  gatherJson,
  lines,
  linesOf,
  makeProject,
  started,
  writeFiles,
} from "./_deno_project.ts";

/** web imports npmpkg (by path); npmpkg has only a package.json. */
function workspace(members: string[]): Files {
  return {
    "deno.json": { workspace: members, tasks: { test: "echo root-test", rootonly: "pwd" } },
    "packages/core/deno.json": { name: "@s/core", tasks: { test: "echo core-test" } },
    "packages/util/deno.json": { name: "@s/util", tasks: { test: "echo util-test" } },
    "apps/web/deno.json": {
      name: "@s/web",
      imports: { "npmpkg/": "../../tools/npmpkg/" },
      tasks: { test: "echo web-test" },
    },
    "tools/npmpkg/package.json": {
      name: "npmpkg",
      version: "1.0.0",
      scripts: { test: "echo npm-test", build: "echo npm-build" },
    },
  };
}

const MEMBERS = ["./packages/core", "./packages/util", "./apps/web", "./tools/npmpkg"];

/** gather's warning lines. */
function warnings(stderr: string): string[] {
  return lines(stderr).filter((line) => line.startsWith("gather: warning:"));
}

Deno.test("a member with only a package.json belongs to the workspace: gather runs the others' tasks, and says once that it skips its script", async () => {
  const dir = await makeProject(workspace(MEMBERS));
  try {
    // deno task runs every member's test, the package.json script too.
    const deno = await denoTask(["-r", "test"], dir);
    assertEquals(deno.code, 0, deno.stderr);
    assert(deno.stdout.includes("npm-test"), deno.stdout);
    const run = await gatherJson(["--no-history", "-r", "test"], dir);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(started(run.events).sort(), [
      "@s/core#test",
      "@s/util#test",
      "@s/web#test",
      "test",
    ]);
    assertEquals(warnings(run.stderr), [
      'gather: warning: gather does not run package.json scripts: skipping "test" of npmpkg (tools/npmpkg/package.json)',
    ]);
    // A task no package.json has: no warning.
    const where = await gatherJson(["--no-history", "-r", "rootonly"], dir);
    assertEquals([where.code, warnings(where.stderr)], [0, []]);
    // Another member's own task, as with deno task.
    const util = join(dir, "packages/util");
    assertEquals(lines((await denoTask(["test"], util)).stdout), ["util-test"]);
    const own = await gatherJson(["--no-history", "test"], util);
    assertEquals(own.code, 0, own.stderr);
    assertEquals(linesOf(own.events, "@s/util#test", "stdout"), ["util-test"]);
    // Its package name counts for --filter, and so do the members that import it.
    const dependents = await gatherJson(["--no-history", "--filter", "npmpkg...", "test"], dir);
    assertEquals(dependents.code, 0, dependents.stderr);
    assertEquals(started(dependents.events), ["@s/web#test"]);
    // The listing shows its scripts as deno task does, marked as not run by gather.
    const listing = await gatherIn(["-r"], dir);
    assert(
      listing.stdout.includes(
        "Available tasks (npmpkg):\n- test (package.json: gather does not run it)\n    echo npm-test\n",
      ),
      listing.stdout,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a package.json script gather would have to run instead of deno task: one line, exit 2, nothing started", async () => {
  const dir = await makeProject(workspace(MEMBERS));
  try {
    const npmpkg = join(dir, "tools/npmpkg");
    // deno task runs the script (not the root's test) from the member's folder, and with --filter.
    assertEquals(lines((await denoTask(["test"], npmpkg)).stdout), ["npm-test"]);
    assertEquals(lines((await denoTask(["--filter", "npmpkg", "test"], dir)).stdout), ["npm-test"]);
    const cases: [string[], string, RegExp][] = [
      [
        ["test"],
        npmpkg,
        /^gather: Task "test" is a script of "package\.json", and gather does not run package\.json scripts; run it with deno task, or add a deno\.json with the task beside it$/,
      ],
      [
        ["npmpkg#test"],
        dir,
        /^gather: Task "npmpkg#test" is a script of "tools\/npmpkg\/package\.json"/,
      ],
      [
        ["--filter", "npmpkg", "test"],
        dir,
        /^gather: No selected package has a task "test"; tasks: rootonly; gather does not run package\.json scripts \("test" of npmpkg \(tools\/npmpkg\/package\.json\)\)$/,
      ],
    ];
    for (const [args, cwd, message] of cases) {
      const run = await gatherIn(["--reporter", "json", ...args], cwd);
      assertEquals(run.code, 2, run.stderr);
      assertMatch(run.stderr.trimEnd(), message);
      assertEquals(run.stdout, "");
    }
    // The same with a task file beside the root's config: it is not the member's (the root's
    // test ran from the member's folder, and npmpkg#test was an unknown name).
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};\nexport const hello = job(() => 1);\n`,
    );
    for (const [args, cwd, message] of cases.slice(0, 2)) {
      const run = await gatherIn(["--reporter", "json", ...args], cwd);
      assertEquals(run.code, 2, run.stderr);
      assertMatch(run.stderr.trimEnd(), message);
      assertEquals(run.stdout, "");
    }
    await Deno.remove(join(dir, "tasks.ts"));
    // The root's tasks it does not shadow run from its folder, in the root, as with deno task.
    const root = await gatherJson(["--no-history", "rootonly"], npmpkg);
    assertEquals(linesOf(root.events, "rootonly", "stdout"), [dir]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a member with only a package.json and the task-name rules: a task named lint#fix stays that task, --filter falls back to the root's task its scripts do not hide, the list shows what it sees", async () => {
  const files = workspace([...MEMBERS, "./tools/lint"]);
  files["deno.json"] = {
    workspace: [...MEMBERS, "./tools/lint"],
    tasks: { test: "echo root-test", rootonly: "pwd", "lint#fix": "echo root-lint-fix" },
  };
  // A member "lint" whose script "fix" would be lint#fix, were the root's task not found first.
  files["tools/lint/package.json"] = { name: "lint", scripts: { fix: "echo npm-lint-fix" } };
  const dir = await makeProject(files);
  try {
    const web = join(dir, "apps/web");
    const npmpkg = join(dir, "tools/npmpkg");
    // The root's lint#fix, from the root and from a member, as deno task finds it.
    for (const cwd of [dir, web]) {
      assertEquals(lines((await denoTask(["lint#fix"], cwd)).stdout), ["root-lint-fix"]);
      const run = await gatherJson(["--no-history", "lint#fix"], cwd);
      assertEquals(run.code, 0, run.stderr);
      assertEquals(linesOf(run.events, "lint#fix", "stdout"), ["root-lint-fix"]);
    }
    // A name that finds no task and is no script: the member is named, and why it has none.
    const unknown = await gatherIn(["--reporter", "json", "lint#fxi"], dir);
    assertEquals(unknown.code, 2, unknown.stderr);
    assertEquals(
      unknown.stderr.trimEnd(),
      'gather: Unknown task "lint#fxi" in "tools/lint/package.json"; available: none (gather does not run package.json scripts)',
    );
    // --filter: a member with only a package.json falls back to the root's task, run once.
    assertEquals(lines((await denoTask(["--filter", "npmpkg", "rootonly"], dir)).stdout), [dir]);
    const fallback = await gatherJson(["--no-history", "--filter", "npmpkg...", "rootonly"], dir);
    assertEquals(fallback.code, 0, fallback.stderr);
    assertEquals([started(fallback.events), warnings(fallback.stderr)], [["rootonly"], []]);
    // ... but not to the root's task its script hides: web runs its own, npmpkg's is skipped.
    const hidden = await gatherJson(["--no-history", "--filter", "npmpkg...", "test"], dir);
    assertEquals(hidden.code, 0, hidden.stderr);
    assertEquals(started(hidden.events), ["@s/web#test"]);
    assertEquals(warnings(hidden.stderr), [
      'gather: warning: gather does not run package.json scripts: skipping "test" of npmpkg (tools/npmpkg/package.json)',
    ]);
    // The list in its folder: its scripts, then the root's tasks they do not hide, as deno task's.
    const listing = [
      "Available tasks:",
      "- test (package.json: gather does not run it)",
      "    echo npm-test",
      "- build (package.json: gather does not run it)",
      "    echo npm-build",
      "- rootonly (workspace)",
      "    pwd",
      "- lint#fix (workspace)",
      "    echo root-lint-fix",
    ];
    const deno = await denoTask([], npmpkg);
    assertEquals(
      lines(deno.stdout.replaceAll("(package.json)", "(package.json: gather does not run it)")),
      listing,
    );
    assertEquals(lines((await gatherIn([], npmpkg)).stdout), listing);
    const filtered = await gatherIn(["--filter", "npmpkg"], dir);
    assertEquals(lines(filtered.stdout), ["Available tasks (npmpkg):", ...listing.slice(1)]);
    // -l: the jobs a name runs there, without the root's test.
    const jobs = await gatherIn(["-l"], npmpkg);
    assertEquals(jobs.code, 0, jobs.stderr);
    assertEquals(
      lines(jobs.stdout).filter((line) => !line.trim().startsWith("$")).map((line) => line.trim()),
      ["rootonly", "lint#fix"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a member folder that does not exist is skipped with one warning, for every kind of run, as deno task skips it", async () => {
  const dir = await makeProject(workspace([...MEMBERS, "./tools/missingmember"]));
  try {
    const util = join(dir, "packages/util");
    const runs: [string[], string][] = [
      [["-r", "test"], dir],
      [["test"], util],
      [["rootonly"], dir],
    ];
    for (const [args, cwd] of runs) {
      const deno = await denoTask(args, cwd);
      assertEquals(deno.code, 0, deno.stderr);
      assertMatch(deno.stderr, /Workspace member "\.\/tools\/missingmember" not found/);
      const run = await gatherIn(["--reporter", "plain", "--no-history", ...args], cwd);
      assertEquals(run.code, 0, run.stderr);
      const skipped = warnings(run.stderr).filter((line) => line.includes("missingmember"));
      assertEquals(skipped.length, 1, run.stderr);
      assertMatch(
        skipped[0]!,
        /^gather: warning: workspace member "\.\/tools\/missingmember" of "(\.\.\/\.\.\/)?deno\.json" not found \(no folder "(\.\.\/)*tools\/missingmember"\): skipping it, as deno task does$/,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a member config that does not parse stops every run in the workspace before it starts, as it stops deno task", async () => {
  const dir = await makeProject(workspace(MEMBERS));
  try {
    await writeFiles(dir, {
      "packages/util/deno.json": '{ "name": "@s/util", "tasks": { "test": "echo hi" ',
    });
    const core = join(dir, "packages/core");
    const runs: [string[], string][] = [
      [["rootonly"], dir],
      [["test"], core],
      [["-r", "test"], dir],
      [[], dir],
    ];
    for (const [args, cwd] of runs) {
      const deno = await denoTask(args, cwd);
      assertEquals(deno.code, 1, `deno task ${args.join(" ")}: ${deno.stderr}`);
      assertMatch(deno.stderr, /packages\/util\/deno\.json/);
      const run = await gatherIn(["--reporter", "json", ...args], cwd);
      assertEquals(run.code, 2, run.stderr);
      assertMatch(
        run.stderr.trimEnd(),
        /^gather: Cannot read "(\.\.\/)?(packages\/)?util\/deno\.json": does not parse: [^\n]*$/,
      );
      assertEquals(run.stdout, "");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
