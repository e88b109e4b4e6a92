/**
 * Discovered inputs, end to end: a small real C project compiled with the
 * real `cc -MMD -MF`, each compile a job with a `depfile`, and Deno jobs that
 * report what they read with `ctx.discovered()`. A header edit must rerun
 * exactly the compiles that include it (and the link), never give a stale
 * hit, and a depfile that is missing must store nothing.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";
import { type ProjectRun, runIn } from "./_remote_project.ts";
import { compileJobs } from "./_c_tasks.ts";

const MOD = (dir: string) => JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
const CC = Deno.env.get("CC") ?? "cc";

/** Three C files, two headers: `common.h` in all three, `only_a.h` in `a.c` alone. */
const SOURCES: Record<string, string> = {
  "src/common.h": "#define BASE 40\n",
  "src/only_a.h": "#define EXTRA 2\n",
  "src/a.c": '#include "common.h"\n#include "only_a.h"\nint a(void) { return BASE + EXTRA; }\n',
  "src/b.c": '#include "common.h"\nint b(void) { return BASE; }\n',
  "src/main.c": [
    "#include <stdio.h>",
    '#include "common.h"',
    "int a(void);",
    "int b(void);",
    'int main(void) { printf("%d %d\\n", a(), b()); return 0; }',
    "",
  ].join("\n"),
};

/** A task file: a compile per C file (with its depfile), a link, a run of the program. */
function cTasks(dir: string): string {
  return `import { job } from ${MOD(dir)};

const CC = ${JSON.stringify(CC)};
function ran(name: string) {
  Deno.writeTextFileSync("runs.txt", name + "\\n", { append: true });
}
${
    compileJobs(["a", "b", "main"], { flags: "-MP", first: 'ran("compile:" + name);' })
  }export const link = job({ deps: objects, inputs: [], outputs: ["build/app"] }, async (ctx) => {
  ran("link");
  await ctx.sh\`\${CC} \${objects.map((o) => ctx.result(o) as string)} -o build/app\`;
});
export const app = job({ deps: [link] }, async (ctx) => {
  ctx.log("output:", (await ctx.exec("build/app")).stdout.trim());
});
export default app;
`;
}

function run(dir: string, args: string[] = []): Promise<ProjectRun> {
  return runIn(dir, {}, args);
}

/** What a job logged last after `output: `. */
function output(result: ProjectRun, job = "app"): string | undefined {
  const lines = result.events.flatMap((e) =>
    e.type === "job:log" && e.job === job && e.line.startsWith("output: ") ? [e.line.slice(8)] : []
  );
  return lines.at(-1);
}

function reasons(result: ProjectRun): Record<string, string> {
  const found: Record<string, string> = {};
  for (const event of result.events) {
    if (event.type === "job:cache" && event.reason !== undefined) found[event.job] = event.reason;
  }
  return found;
}

async function withProject(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-depfile-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(join(dir, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, path), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function withC(fn: (dir: string) => Promise<void>): Promise<void> {
  return withProject(SOURCES, async (dir) => {
    await Deno.writeTextFile(join(dir, "tasks.ts"), cTasks(dir));
    await fn(dir);
  });
}

const COMPILES = ["compile:a", "compile:b", "compile:main"];

Deno.test("depfile: a header edit reruns exactly the compiles that include it, and reverting it hits again", async () => {
  await withC(async (dir) => {
    const cold = await run(dir);
    assertEquals(cold.code, 0, cold.stderr);
    assertEquals(cold.ran, [...COMPILES, "link"]);
    assertEquals(output(cold), "42 40");
    assertEquals(cold.warnings, []);

    const again = await run(dir);
    assertEquals(again.ran, []);
    assertEquals(again.cache["compile:a"], "hit");

    // The header only a.c includes: a.c's compile and the link run, the others hit.
    const header = join(dir, "src/only_a.h");
    await Deno.writeTextFile(header, "#define EXTRA 3\n");
    const edited = await run(dir, ["--explain"]);
    assertEquals(edited.code, 0, edited.stderr);
    assertEquals(edited.ran, ["compile:a", "link"]);
    assertEquals(edited.cache["compile:b"], "hit");
    assertEquals(edited.cache["compile:main"], "hit");
    assertEquals(output(edited), "43 40");
    assertEquals(
      reasons(edited)["compile:a"],
      "src/only_a.h changed (read by the job, from its depfile)",
    );
    assertMatch(reasons(edited)["link"]!, /^dependency compile:a changed/);

    // Back as it was: the older set's entry (and the link's) are hits again.
    await Deno.writeTextFile(header, "#define EXTRA 2\n");
    const reverted = await run(dir);
    assertEquals(reverted.ran, []);
    assertEquals(output(reverted), "42 40");

    // The header every file includes: the three compiles and the link.
    await Deno.writeTextFile(join(dir, "src/common.h"), "#define BASE 50\n");
    const common = await run(dir);
    assertEquals(common.ran, [...COMPILES, "link"]);
    assertEquals(output(common), "52 50");
  });
});

Deno.test("depfile: a new #include is found by the run that compiles it, and editing that header later reruns it", async () => {
  await withC(async (dir) => {
    assertEquals((await run(dir)).code, 0);
    await Deno.writeTextFile(join(dir, "src/extra.h"), "#define MORE 100\n");
    await Deno.writeTextFile(
      join(dir, "src/b.c"),
      '#include "common.h"\n#include "extra.h"\nint b(void) { return BASE + MORE; }\n',
    );
    const included = await run(dir);
    assertEquals(included.ran, ["compile:b", "link"]);
    assertEquals(output(included), "42 140");
    assertEquals(included.warnings, []);
    assertEquals((await run(dir)).ran, []); // stored with its new header

    await Deno.writeTextFile(join(dir, "src/extra.h"), "#define MORE 200\n");
    const edited = await run(dir);
    assertEquals(edited.ran, ["compile:b", "link"]);
    assertEquals(output(edited), "42 240");
  });
});

Deno.test("depfile: --dry-run and --force see the discovered inputs", async () => {
  await withC(async (dir) => {
    assertEquals((await run(dir)).code, 0);
    await Deno.writeTextFile(join(dir, "src/only_a.h"), "#define EXTRA 5\n");
    const dry = await gather(["--dry-run", "--no-logs"], { cwd: dir });
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(
      dry.stdout,
      /compile:a.*runs: src\/only_a\.h changed \(read by the job, from its depfile\)/,
    );
    assertMatch(dry.stdout, /compile:b.*cached/);
    const forced = await run(dir, ["--force"]);
    assertEquals(forced.ran, [...COMPILES, "link"]);
    assertEquals((await run(dir)).ran, []); // what --force stored is found
  });
});

Deno.test("depfile: a job that succeeds without writing its depfile is not stored, with one warning naming the job and the file", async () => {
  const files = {
    "in.txt": "x",
    "tasks.ts": "",
  };
  await withProject(files, async (dir) => {
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${MOD(dir)};
export const gen = job({ inputs: ["in.txt"], depfile: "out/gen.d" }, () => {
  Deno.writeTextFileSync("runs.txt", "gen\\n", { append: true });
});
export const after = job({ deps: [gen], inputs: [] }, () => {
  Deno.writeTextFileSync("runs.txt", "after\\n", { append: true });
});
`,
    );
    for (let i = 0; i < 2; i++) {
      const result = await run(dir);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.ran, ["after", "gen"]); // nothing stored: both run again
      assertEquals(result.warnings, [
        "not cached: its depfile out/gen.d cannot be read (the job did not write it)",
      ]);
      const warning = result.events.find((e) => e.type === "warning");
      assertEquals(warning?.type === "warning" && warning.job, "gen");
    }
    // A depfile that is not one: the same, with the parser's reason.
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${MOD(dir)};
export const gen = job({ inputs: ["in.txt"], depfile: "out/gen.d" }, () => {
  Deno.writeTextFileSync("runs.txt", "gen\\n", { append: true });
  Deno.mkdirSync("out", { recursive: true });
  Deno.writeTextFileSync("out/gen.d", "just words\\n");
});
`,
    );
    const bad = await run(dir);
    assertEquals(bad.ran, ["gen"]);
    assertEquals(bad.warnings.length, 1);
    assertStringIncludes(bad.warnings[0]!, "its depfile out/gen.d is not a make dependency file");
    assertEquals((await run(dir)).ran, ["gen"]);
  });
});

/** A Deno job that reads the file named in list.txt, and reports it. */
function discoveringTasks(dir: string, during = ""): string {
  return `import { job } from ${MOD(dir)};
export const read = job({ inputs: ["list.txt"], discovers: true }, (ctx) => {
  Deno.writeTextFileSync("runs.txt", "read\\n", { append: true });
  const file = Deno.readTextFileSync("list.txt").trim();
  ctx.discovered(file);
  const text = Deno.readTextFileSync(file).trim();
  ${during}
  ctx.log("output:", text);
});
`;
}

Deno.test("ctx.discovered(): the files a Deno job reports are part of its key, and --explain names them", async () => {
  const files = { "list.txt": "data/one.txt\n", "data/one.txt": "1", "data/two.txt": "2" };
  await withProject(files, async (dir) => {
    await Deno.writeTextFile(join(dir, "tasks.ts"), discoveringTasks(dir));
    assertEquals((await run(dir)).ran, ["read"]);
    assertEquals((await run(dir)).ran, []);
    await Deno.writeTextFile(join(dir, "data/two.txt"), "22"); // not read: no rerun
    assertEquals((await run(dir)).ran, []);
    await Deno.writeTextFile(join(dir, "data/one.txt"), "11");
    const edited = await run(dir, ["--explain"]);
    assertEquals(edited.ran, ["read"]);
    assertEquals(
      reasons(edited)["read"],
      "data/one.txt changed (read by the job, from ctx.discovered())",
    );
    assertEquals(output(edited, "read"), "11");
    // Removed: the set misses, the job runs (and fails to read it, as it would without a cache).
    await Deno.remove(join(dir, "data/one.txt"));
    const removed = await run(dir);
    assertEquals(removed.ran, ["read"]);
    assertEquals(removed.code, 1);
  });
});

Deno.test("ctx.discovered(): a file edited while its job ran is not stored, whether first seen or known", async () => {
  const files = { "list.txt": "data/one.txt\n", "data/one.txt": "1" };
  const edit = `Deno.writeTextFileSync(file, text + "+");`;
  await withProject(files, async (dir) => {
    // First seen: its modification time is after the job started.
    await Deno.writeTextFile(join(dir, "tasks.ts"), discoveringTasks(dir, edit));
    const first = await run(dir);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.warnings, [
      "not cached: input data/one.txt (read by the job, from ctx.discovered()) changed while it ran",
    ]);
    assertEquals((await run(dir)).ran, ["read"]);
    // Known from the record: its content is not what the lookup hashed.
    await Deno.writeTextFile(join(dir, "tasks.ts"), discoveringTasks(dir));
    assertEquals((await run(dir)).warnings, []);
    assertEquals((await run(dir)).ran, []);
    await Deno.writeTextFile(join(dir, "data/one.txt"), "9");
    await Deno.writeTextFile(join(dir, "tasks.ts"), discoveringTasks(dir, edit));
    const known = await run(dir);
    assertEquals(known.ran, ["read"]);
    assert(known.warnings.some((w) => w.includes("data/one.txt (read by the job")), known.stderr);
    assertEquals((await run(dir)).ran, ["read"]); // not stored: runs again
  });
});

Deno.test("ctx.discovered() in a cached job that does not declare discovers fails the job, saying what to add", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-discovers-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.writeTextFile(join(dir, "data.txt"), "x\n");
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${MOD(dir)};
export const read = job({ inputs: [] }, (ctx) => {
  ctx.discovered("data.txt");
  return Deno.readTextFileSync("data.txt");
});
`,
    );
    const result = await gather(["--reporter", "json", "--no-logs"], { cwd: dir });
    assertEquals(result.code, 1, result.stderr);
    const end = parseEvents(result.stdout).find((e): e is JobEndEvent => e.type === "job:end");
    assertEquals(end?.status, "failed");
    assertStringIncludes(
      end?.error?.message ?? "",
      `Job "read" called ctx.discovered() but does not declare it: add discovers: true to its options`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ctx.discovered(): a path with control characters is shown escaped, and a value that is no path fails the job saying what to pass", async () => {
  await withProject({}, async (dir) => {
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${MOD(dir)};
export const odd = job({ inputs: [], discovers: true }, (ctx) => {
  ctx.discovered(["x\\x1b[2J\\nfake line"]);
  return 1;
});
export const wrong = job({ inputs: [], discovers: true }, (ctx) => {
  ctx.discovered(42 as unknown as string[]);
  return 1;
});
`,
    );
    const result = await gather(["--reporter", "json", "--no-logs", "-k"], { cwd: dir });
    assertEquals(result.code, 1, result.stderr);
    const events = parseEvents(result.stdout);
    const warning = events.find((e) => e.type === "warning" && e.job === "odd");
    assertEquals(
      warning?.type === "warning" ? warning.message : undefined,
      "not cached: x\\u001b[2J\\nfake line (read by the job, from ctx.discovered()) is gone after it ran",
    );
    const end = events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === "wrong");
    assertEquals(
      end?.error?.message,
      `Job "wrong" called ctx.discovered() with a number: pass a file path or an array of them`,
    );
  });
});
