/**
 * `gather --watch` and discovered inputs, with the real `cc -MMD -MF`: the
 * headers a compile's depfile names are watched like its declared inputs
 * (even in a folder no input glob reaches), so saving a header reruns
 * exactly the compiles that include it.
 */
import { assertEquals } from "@std/assert";
import { MOD, project, WatchSession, write } from "./_watch.ts";
import { compileJobs } from "./_c_tasks.ts";

const CC = Deno.env.get("CC") ?? "cc";

const TASKS = `
import { job } from "${MOD}";
const CC = ${JSON.stringify(CC)};
${
  compileJobs(["a", "b"], {
    flags: "-Iinclude",
    first: 'ctx.log("ran compile:" + name);',
    exported: true,
  })
}export default objects;
`;

Deno.test("--watch: saving a header a depfile named reruns exactly the compiles that include it", async () => {
  const dir = await project({
    "deno.json": "{}\n",
    "tasks.ts": TASKS,
    "include/common.h": "#define BASE 1\n",
    "include/only_a.h": "#define EXTRA 2\n",
    "src/a.c": '#include "common.h"\n#include "only_a.h"\nint a(void) { return BASE + EXTRA; }\n',
    "src/b.c": '#include "common.h"\nint b(void) { return BASE; }\n',
  });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    assertEquals(session.ran(1).sort(), ["compile:a", "compile:b"]);
    await write(dir, "include/only_a.h", "#define EXTRA 3\n");
    await session.waitForRun(2);
    assertEquals(session.changes[1]!.reason, "1 file changed: include/only_a.h");
    assertEquals(session.ran(2), ["compile:a"]);
    await write(dir, "include/common.h", "#define BASE 2\n");
    await session.waitForRun(3);
    assertEquals(session.ran(3).sort(), ["compile:a", "compile:b"]);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a header outside the project (-I../common) that a depfile named is watched too", async () => {
  const dir = await project({
    "app/deno.json": "{}\n",
    "app/tasks.ts": TASKS.replaceAll("-Iinclude", "-I../common"),
    "common/common.h": "#define BASE 1\n",
    "app/src/a.c": '#include "common.h"\nint a(void) { return BASE; }\n',
    "app/src/b.c": "int b(void) { return 2; }\n",
  });
  const session = new WatchSession(`${dir}/app`);
  try {
    await session.waitForRun(1);
    assertEquals(session.ran(1).sort(), ["compile:a", "compile:b"]);
    await write(dir, "common/common.h", "#define BASE 2\n");
    await session.waitForRun(2);
    assertEquals(session.changes[1]!.reason, "1 file changed: ../common/common.h");
    assertEquals(session.ran(2), ["compile:a"]);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    await Deno.remove(dir, { recursive: true });
  }
});
