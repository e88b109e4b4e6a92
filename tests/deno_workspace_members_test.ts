/**
 * Workspace members gather has no deno.json tasks for, next to `deno task`
 * in the same generated workspace: a member whose config does not parse
 * (every run refuses, before anything starts).
 */

import { assertEquals, assertMatch } from "@std/assert";
import { join } from "../src/deps/path.ts";
import { denoTask, type Files, gatherIn, makeProject, writeFiles } from "./_deno_project.ts";

/** web imports npmpkg (by path), which has only a package.json. */
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

const MEMBERS = ["./packages/core", "./packages/util", "./apps/web"];

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
