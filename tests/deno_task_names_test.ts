/**
 * How gather reads the names of deno.json tasks, next to `deno task`: a task
 * whose own name holds a `#`, `<member>#<task>` names that are wrong, what
 * `-l` lists inside a member, and tasks named like gather's subcommands.
 */

import { assertEquals } from "@std/assert";
import { join } from "../src/deps/path.ts";
import {
  denoTask,
  gatherIn,
  gatherJson,
  lines,
  linesOf,
  makeProject,
  started,
} from "./_deno_project.ts";

const HASHED = {
  "lint#fix": "echo hashfix",
  a: { command: "echo a", dependencies: ["lint#fix"] },
};

Deno.test("a task whose name holds a # runs and is depended on by that name, in the root and in a member, as with deno task", async () => {
  const dir = await makeProject({
    "deno.json": { workspace: ["./web"], tasks: HASHED },
    "web/deno.json": { name: "@s/web", exports: "./mod.ts", tasks: HASHED },
    "web/mod.ts": "export {};\n",
  });
  try {
    const web = join(dir, "web");
    for (const [cwd, prefix] of [[dir, ""], [web, "@s/web#"]] as const) {
      const deno = await denoTask(["a"], cwd);
      assertEquals(lines(deno.stdout), ["hashfix", "a"], deno.stderr);
      const run = await gatherJson(["--no-history", "a"], cwd);
      assertEquals(run.code, 0, run.stderr);
      assertEquals(started(run.events), [`${prefix}lint#fix`, `${prefix}a`]);
      const alone = await gatherJson(["--no-history", "lint#fix"], cwd);
      assertEquals(alone.code, 0, alone.stderr);
      assertEquals(linesOf(alone.events, `${prefix}lint#fix`, "stdout"), ["hashfix"]);
    }
    // From the root, the member's task by its job name.
    const named = await gatherJson(["--no-history", "@s/web#lint#fix"], dir);
    assertEquals(named.code, 0, named.stderr);
    assertEquals(started(named.events), ["@s/web#lint#fix"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather -l in a member lists what gather and deno task run there: its tasks, and the root's it does not hide", async () => {
  const dir = await makeProject({
    "deno.json": { workspace: ["./web"], tasks: { test: "echo root-test", build: "echo b" } },
    "web/deno.json": { name: "@s/web", exports: "./mod.ts", tasks: { test: "echo web-test" } },
    "web/mod.ts": "export {};\n",
  });
  try {
    const web = join(dir, "web");
    const list = await gatherIn(["-l"], web);
    assertEquals(list.code, 0, list.stderr);
    const jobs = lines(list.stdout).flatMap((line) => line.match(/^ {2}(\S+)/)?.[1] ?? []);
    assertEquals(jobs, ["@s/web#test", "build"]);
    // deno task lists the same two there, and runs the member's test.
    const denoList = lines((await denoTask([], web)).stdout).filter((line) =>
      line.startsWith("- ")
    );
    assertEquals(denoList, ["- test", "- build (workspace)"]);
    assertEquals(lines((await denoTask(["test"], web)).stdout), ["web-test"]);
    const run = await gatherJson(["--no-history", "test"], web);
    assertEquals(started(run.events), ["@s/web#test"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unknown <member>#<task> names the member's config and its tasks, or says the member is what is unknown", async () => {
  const dir = await makeProject({
    "deno.json": { workspace: ["./packages/core", "./apps/web"], tasks: { rootonly: "echo r" } },
    "packages/core/deno.json": { name: "@s/core", exports: "./mod.ts", tasks: { test: "echo" } },
    "packages/core/mod.ts": "export {};\n",
    "apps/web/deno.json": {
      name: "@s/web",
      exports: "./mod.ts",
      tasks: { dev: "echo", a: { command: "echo", dependencies: ["@s/core#tset"] } },
    },
    "apps/web/mod.ts": "export {};\n",
  });
  try {
    const web = join(dir, "apps", "web");
    const cases: [string, string, string][] = [
      [
        web,
        "@s/core#nope",
        'Unknown task "@s/core#nope" in "../../packages/core/deno.json"; available: @s/core#test',
      ],
      [
        dir,
        "@s/core#tset",
        'Unknown task "@s/core#tset" in "packages/core/deno.json" (did you mean "@s/core#test"?); available: @s/core#test',
      ],
      [
        dir,
        "@s/zzz#test",
        'Unknown task "@s/zzz#test": the workspace has no member "@s/zzz"; members: @s/core (packages/core), @s/web (apps/web)',
      ],
      [
        web,
        "a",
        'Cannot schedule "@s/web#a" in "deno.json": dependency "@s/core#tset" is not a task in "../../packages/core/deno.json" (did you mean "@s/core#test"?); available: @s/core#test',
      ],
    ];
    for (const [cwd, name, message] of cases) {
      const run = await gatherIn([name], cwd);
      assertEquals([run.code, run.stderr], [2, `gather: ${message}\n`], name);
    }
    // deno task knows no <member>#<task> names: it says "Task not found" and exits 1.
    assertEquals((await denoTask(["@s/core#test"], dir)).code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task named like a subcommand: gather worker says how to run it, gather -- worker and gather -- cache status run it", async () => {
  const dir = await makeProject({
    "deno.json": { tasks: { worker: "echo I am the worker task", cache: "echo cache:" } },
  });
  try {
    assertEquals(lines((await denoTask(["worker"], dir)).stdout), ["I am the worker task"]);
    const refused = await gatherIn(["worker"], dir, { GATHER_NATS_URL: "" });
    assertEquals([refused.code, refused.stderr], [
      2,
      `gather: gather worker needs --nats <url> (or GATHER_NATS_URL): the coordinator's NATS server; to run the deno.json task "worker", use gather -- worker\n`,
    ]);
    const worker = await gatherJson(["--no-history", "--", "worker"], dir);
    assertEquals(worker.code, 0, worker.stderr);
    assertEquals(linesOf(worker.events, "worker", "stdout"), ["I am the worker task"]);
    const cache = await gatherJson(["--no-history", "--", "cache", "status"], dir);
    assertEquals(cache.code, 0, cache.stderr);
    assertEquals(linesOf(cache.events, "cache", "stdout"), ["cache: status"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
