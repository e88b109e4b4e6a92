/**
 * gather writes nothing a project's own tools see: after gather runs (twice,
 * with its history, logs and cache), `git status`, `deno fmt --check` and
 * `deno lint` give what they gave before, in a project with no .gitignore.
 */

import { assert, assertEquals } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import { ROOT } from "./_cli.ts";
import type { CliRun } from "./_cli.ts";
import { gatherIn, makeProject, runIn, writeFiles } from "./_deno_project.ts";

async function toolsSay(dir: string): Promise<{ git: CliRun; fmt: CliRun; lint: CliRun }> {
  const deno = Deno.execPath();
  return {
    git: await runIn(["git", "status", "--porcelain", "--untracked-files=all"], dir),
    fmt: await runIn([deno, "fmt", "--check"], dir),
    lint: await runIn([deno, "lint"], dir),
  };
}

Deno.test("after gather runs, git status, deno fmt --check and deno lint say what they said before", async () => {
  const dir = await makeProject({
    "deno.json": {
      tasks: {
        build: {
          command: "mkdir -p dist && echo built > dist/out.txt",
          files: ["src/**"],
          output: ["dist/**"],
        },
        test: { command: "echo tested", dependencies: ["build"] },
      },
    },
    "src/main.ts": "export const answer = 42;\n",
    "jobs/tasks.ts": "",
  });
  try {
    const mod = JSON.stringify(relative(join(dir, "jobs"), join(ROOT, "mod.ts")));
    await writeFiles(dir, {
      "jobs/tasks.ts":
        `import { job } from ${mod};\n\nexport const hello = job((ctx) => ctx.log("hello"));\n`,
    });
    const git = (...args: string[]) =>
      runIn(["git", "-c", "user.name=t", "-c", "user.email=t@t", ...args], dir);
    await runIn([Deno.execPath(), "fmt"], dir);
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "start");
    // The project's own build output is there before, as after.
    assertEquals((await runIn([Deno.execPath(), "task", "test"], dir)).code, 0);
    const before = await toolsSay(dir);
    assertEquals(before.fmt.code, 0, before.fmt.stderr);
    for (let round = 0; round < 2; round++) {
      // deno.json tasks (cache, logs, history at the root), from the root and from a subfolder.
      assertEquals((await gatherIn(["test"], dir)).code, 0);
      assertEquals((await gatherIn(["build"], join(dir, "src"))).code, 0);
      // A task file in a subfolder writes its history and logs there.
      const run = await gatherIn(["-f", "tasks.ts"], join(dir, "jobs"));
      assertEquals(run.code, 0, run.stderr);
    }
    assert((await Deno.stat(join(dir, ".gather", "history.json"))).isFile);
    assert((await Deno.stat(join(dir, "jobs", ".gather", "history.json"))).isFile);
    const after = await toolsSay(dir);
    for (const tool of ["git", "fmt", "lint"] as const) {
      assertEquals(after[tool].code, before[tool].code, `${tool}: ${after[tool].stderr}`);
      assertEquals(after[tool].stdout, before[tool].stdout, tool);
      assertEquals(after[tool].stderr, before[tool].stderr, tool);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
