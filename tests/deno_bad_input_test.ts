/**
 * Bad deno.json input under gather: one clear line each, exit 2, nothing
 * started (the JSON stream stays empty).
 */

import { assertEquals, assertMatch } from "@std/assert";
import { join } from "../src/deps/path.ts";
import { type Files, gatherIn, makeProject, runIn } from "./_deno_project.ts";

const CYCLIC_MEMBERS: Files = {
  "deno.json": { workspace: ["./a", "./b"] },
  "a/deno.json": { name: "@s/a", imports: { "@s/b": "jsr:@s/b@^1" }, tasks: { test: "echo a" } },
  "b/deno.json": { name: "@s/b", imports: { "@s/a": "jsr:@s/a@^1" }, tasks: { test: "echo b" } },
};

const cases: [string, Files, string[], RegExp][] = [
  [
    "a config that does not parse",
    { "deno.json": '{\n  "tasks": {\n    "a": "echo a"\n    "b": "echo b"\n  }\n}\n' },
    ["a"],
    /^gather: Cannot read "deno\.json": does not parse: unexpected token ""b"" at line 4, column 5$/,
  ],
  [
    "a task field of the wrong type",
    { "deno.json": { tasks: { build: { command: "echo", files: "src/**" } } } },
    ["build"],
    /^gather: Cannot read "deno\.json": task "build": "files" must be a list of strings$/,
  ],
  [
    "an unknown gather setting",
    { "deno.json": { tasks: { build: { command: "echo", gather: { timout: "5m" } } } } },
    ["build"],
    /^gather: Cannot read "deno\.json": task "build": unknown gather setting "timout" \(known: timeout, retries, retryDelay, pool, dependencies, cache\)$/,
  ],
  [
    "a task that does not exist",
    { "deno.json": { tasks: { test: "echo", build: "echo" } } },
    ["tset"],
    /^gather: Unknown task "tset" in "deno\.json" \(did you mean "test"\?\); available: test, build$/,
  ],
  [
    "a dependency that names no task",
    {
      "deno.json": { tasks: { test: { command: "echo", dependencies: ["biuld"] }, build: "echo" } },
    },
    ["test"],
    /^gather: Cannot schedule "test" in "deno\.json": dependency "biuld" is not a task \(did you mean "build"\?\)$/,
  ],
  [
    "a dependency cycle across tasks",
    { "deno.json": { tasks: { a: { dependencies: ["b"] }, b: { dependencies: ["a"] } } } },
    ["a"],
    /^gather: Cannot schedule jobs in "deno\.json": dependency cycle a -> b -> a/,
  ],
  [
    "a dependency cycle across members",
    CYCLIC_MEMBERS,
    ["-r", "test"],
    /^gather: Cannot order workspace members: they import each other in a cycle \(@s\/(a|b)#test -> @s\/(a|b)#test -> @s\/(a|b)#test\)/,
  ],
  [
    "a --filter that matches no member",
    CYCLIC_MEMBERS,
    ["--filter", "@s/zzz", "test"],
    /^gather: --filter "@s\/zzz" matches no workspace package; packages: \. \(root\), @s\/a \(a\), @s\/b \(b\)$/,
  ],
  [
    "--changed-since outside a git repository",
    { "deno.json": { workspace: ["./a"] }, "a/deno.json": { tasks: { test: "echo" } } },
    ["--changed-since", "main", "test"],
    /^gather: --changed-since "main": this folder is not in a git repository/,
  ],
  [
    "an unknown cache command beside a task named cache (which runs after --)",
    { "deno.json": { tasks: { cache: "echo mine" } } },
    ["cache", "bogus"],
    /^gather: Unknown cache command "bogus": use gather cache status \| clean \| prune --max-size <size>; to run the task named "cache" instead: gather --reporter json -- cache bogus$/,
  ],
  [
    "an option of a run before gather cache status, beside a task named cache",
    { "deno.json": { tasks: { cache: "echo mine" } } },
    ["cache", "status"],
    /^gather: Unknown option --reporter for gather cache: its options are .*; to run the task named "cache" instead: gather --reporter json -- cache status$/,
  ],
  [
    "a member's package.json that does not parse, even for a root task",
    {
      "deno.json": { workspace: ["./a", "./web"], tasks: { root: "echo" } },
      "a/deno.json": { tasks: { test: "echo" } },
      "web/package.json": '{ "name": "web", "scripts": {',
    },
    ["root"],
    /^gather: Cannot read "web\/package\.json": does not parse: /,
  ],
  [
    "a member folder with neither a deno.json nor a package.json, even for a root task",
    { "deno.json": { workspace: ["./a"], tasks: { root: "echo" } }, "a/README.md": "" },
    ["root"],
    /^gather: Cannot read "deno\.json": workspace member "\.\/a" has no deno\.json or package\.json; create one or remove it from "workspace"$/,
  ],
  [
    "a --cwd that does not exist",
    { "deno.json": { tasks: { test: "echo" } } },
    ["--cwd", "nope", "test"],
    /^gather: Option --cwd ".*nope": no such folder$/,
  ],
  [
    "a --cwd that is a file",
    { "deno.json": { tasks: { test: "echo" } } },
    ["--cwd", "deno.json", "test"],
    /^gather: Option --cwd ".*deno\.json": not a folder$/,
  ],
];

for (const [what, files, args, message] of cases) {
  Deno.test(`gather rejects ${what}: one line, exit 2, nothing started`, async () => {
    const dir = await makeProject(files);
    try {
      // GIT_CEILING_DIRECTORIES keeps git from finding a repository above the temp folder.
      const run = await gatherIn(["--reporter", "json", ...args], dir, {
        GIT_CEILING_DIRECTORIES: join(dir, ".."),
      });
      assertEquals(run.code, 2, run.stderr);
      assertEquals(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
      assertMatch(run.stderr.trimEnd(), message);
      assertEquals(run.stdout, "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("gather rejects --changed-since with a ref git does not know: one line, exit 2", async () => {
  const dir = await makeProject({
    "deno.json": { workspace: ["./a"] },
    "a/deno.json": { tasks: { test: "echo" } },
  });
  try {
    await runIn(["git", "init", "-q"], dir);
    const run = await gatherIn(["--changed-since", "no-such-ref", "test"], dir);
    assertEquals(run.code, 2);
    assertEquals(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    assertMatch(
      run.stderr,
      /^gather: --changed-since "no-such-ref": git knows no commit by that name/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather with neither a task file nor a deno.json says so in one line, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = await gatherIn([], dir);
    assertEquals(run.code, 2);
    assertMatch(
      run.stderr.trimEnd(),
      /^gather: Task file "tasks\.ts" not found, and no deno\.json here or above: create one, or pass a task file with -f <path>$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
