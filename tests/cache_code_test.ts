/**
 * What a cached job's key takes from the task file's code outside the jobs:
 * the local modules it imports, found in real files, whatever form the
 * import takes, and the modules it reaches by a relative URL (what
 * `ctx.offload` runs), with their own imports; the functions of jobs, cached
 * or not, only when other code in the key names them.
 */

import { assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import { codeContext, localModules, rememberedCodeContext } from "../src/cache/code.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { join, relative, toFileUrl } from "../src/deps/path.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";
import { inOneSecond, writeKeepingOldMtime } from "./_one_second.ts";

Deno.test("code context: imports by file:/// URL are followed, and are not read as comments", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    const gather = new URL("../mod.ts", import.meta.url).href; // file:///…: gather's own, left out
    const flags = toFileUrl(join(root, "lib", "flags.ts")).href;
    await Deno.mkdir(join(root, "lib"));
    await Deno.writeTextFile(join(root, "lib", "flags.ts"), "export const FLAGS = ['-O2'];\n");
    await Deno.writeTextFile(
      join(root, "tasks.ts"),
      `import { job } from "${gather}"; // gather itself\n` +
        `import { FLAGS } from "${flags}";\n` +
        `const NAMES = ["a", "b"]; // more code after the imports\n` +
        `export default NAMES.map((name) => job({ inputs: ["src/" + name] }, () => FLAGS));\n`,
    );
    const hasher = await lazyHasher()();
    const context = codeContext({
      taskFile: toFileUrl(join(root, "tasks.ts")).href,
      jobTexts: [],
      root,
    }, hasher);
    assertEquals(Object.keys(context.modules).sort(), ["lib/flags.ts", "tasks.ts"]);
    assertEquals(Object.values(context.modules).includes("missing"), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("code context: an uncached job's function is left out, unless a cached job's code or the code around it names it", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    const cached = `() => check()`;
    const context = async (lint: string, test: string) => {
      const named = `(ctx) => "lint ${lint}"`; // an uncached job's function, named by the helper
      const inline = `(ctx) => "test ${test}"`; // an uncached job's function that nothing names
      await Deno.writeTextFile(
        join(root, "tasks.js"),
        `const lint = ${named};\n` +
          `function check() { return lint(); }\n` +
          `export const build = job({ inputs: [] }, ${cached});\n` +
          `export const lintJob = job(lint);\n` +
          `export const test = job(${inline});\n`,
      );
      return codeContext({
        taskFile: toFileUrl(join(root, "tasks.js")).href,
        jobTexts: [cached],
        uncachedJobs: [{ text: named, name: "lint" }, { text: inline, name: "" }],
        root,
      }, await lazyHasher()());
    };
    const before = await context("1", "1");
    assertEquals((await context("1", "2")).hash, before.hash);
    assertNotEquals((await context("2", "1")).hash, before.hash);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("code context: a cached job's function is left out, unless another cached job's code or the code around it names it", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    const context = async (render: string, stamp: string, inline: string) => {
      const jobs = [
        { text: `function render(x) { return x + "${render}"; }`, name: "render" }, // named outside
        { text: `() => render("b")`, name: "" },
        { text: `function stamp() { return "${stamp}"; }`, name: "stamp" }, // named by a job only
        { text: `() => stamp()`, name: "" },
        { text: `function own() { return "${inline}"; }`, name: "own" }, // named by nothing else
      ];
      await Deno.writeTextFile(
        join(root, "tasks.js"),
        `${jobs[0]!.text}\n` +
          `export const a = job({ inputs: [] }, render);\n` +
          jobs.slice(1).map((job, i) => `export const j${i} = job({ inputs: [] }, ${job.text});\n`)
            .join(""),
      );
      return codeContext({
        taskFile: toFileUrl(join(root, "tasks.js")).href,
        jobTexts: jobs.map((job) => job.text),
        jobNames: jobs.map((job) => job.name),
        root,
      }, await lazyHasher()());
    };
    const before = await context("1", "1", "1");
    assertEquals((await context("1", "1", "2")).hash, before.hash);
    assertNotEquals((await context("2", "1", "1")).hash, before.hash);
    assertNotEquals((await context("1", "2", "1")).hash, before.hash);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("code context: modules reached by a relative URL are followed with their imports; data files are hashed, folders and computed imports are not", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(join(root, "lib"));
    await Deno.mkdir(join(root, "data"));
    await Deno.writeTextFile(join(root, "lib", "step.ts"), "export const STEP = 1;\n");
    await Deno.writeTextFile(
      join(root, "lib", "off.ts"),
      'import { STEP } from "./step.ts";\nexport const work = (n: number) => n + STEP;\n',
    );
    await Deno.writeTextFile(join(root, "lib", "worker.js"), "self.onmessage = () => {};\n");
    await Deno.writeTextFile(join(root, "lib", "resolved.ts"), "export const R = 1;\n");
    await Deno.writeTextFile(join(root, "data", "table.json"), "[1, 2]\n");
    await Deno.writeTextFile(join(root, "lib", "plugin_a.ts"), "export const A = 1;\n");
    await Deno.writeTextFile(
      join(root, "tasks.ts"),
      `export const crunch = async (ctx) => {\n` +
        `  await ctx.offload(new URL("./lib/off.ts", import.meta.url), "work", 1);\n` +
        '  new Worker(new URL(`./lib/worker.js`, import.meta.url), { type: "module" });\n' +
        `  await ctx.offload(import.meta.resolve('./lib/resolved.ts'), "R");\n` +
        `  JSON.parse(Deno.readTextFileSync(new URL("./data/table.json", import.meta.url)));\n` +
        `  Deno.readDirSync(new URL("./data/", import.meta.url));\n` +
        "  await import(`./lib/plugin_${ctx.name}.ts`);\n" +
        `};\n`,
    );
    const taskFile = toFileUrl(join(root, "tasks.ts")).href;
    const hasher = await lazyHasher()();
    const context = () => codeContext({ taskFile, jobTexts: [], root }, hasher);
    const before = context();
    assertEquals(Object.keys(before.modules).sort(), [
      "data/table.json",
      "lib/off.ts",
      "lib/resolved.ts",
      "lib/step.ts",
      "lib/worker.js",
      "tasks.ts",
    ]);
    await Deno.writeTextFile(join(root, "lib", "step.ts"), "export const STEP = 2;\n");
    const edited = context();
    assertNotEquals(edited.hash, before.hash);
    await Deno.writeTextFile(join(root, "data", "table.json"), "[1, 3]\n");
    assertNotEquals(context().hash, edited.hash);
    // Watch mode watches the same files.
    assertEquals(
      localModules(taskFile, root).map((path) => relative(root, path)).filter((path) =>
        !path.startsWith("deno.json")
      ).sort(),
      Object.keys(before.modules).sort(),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("remembered code context: a same-size edit of a local module that keeps its mtime, in the second it was read, is noticed", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    const flags = join(root, "lib", "flags.js");
    await Deno.mkdir(join(root, "lib"));
    await writeKeepingOldMtime( // the task file is as old as its module, by mtime
      join(root, "tasks.js"),
      `import { FLAGS } from "./lib/flags.js";\nexport const build = job({ inputs: [] }, () => FLAGS);\n`,
    );
    const options = {
      taskFile: toFileUrl(join(root, "tasks.js")).href,
      jobTexts: ["() => FLAGS"],
      root,
    };
    const memo = join(root, "memo.json");
    const [before, after] = await inOneSecond(flags, async (between) => {
      await Deno.remove(memo).catch(() => {});
      await writeKeepingOldMtime(flags, "export const FLAGS = ['-O2'];\n");
      between();
      const before = await rememberedCodeContext(memo, options, lazyHasher());
      await writeKeepingOldMtime(flags, "export const FLAGS = ['-O3'];\n");
      return [before, await rememberedCodeContext(memo, options, lazyHasher())];
    });
    assertNotEquals(after.modules["lib/flags.js"], before.modules["lib/flags.js"]);
    assertEquals(after.hash, codeContext(options, await lazyHasher()()).hash);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache: a job that offloads to a local module runs again when that module, or a module it imports, changes", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-offload-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.mkdir(join(dir, "lib"));
    await Deno.writeTextFile(join(dir, "lib", "step.ts"), "export const STEP = 1;\n");
    await Deno.writeTextFile(
      join(dir, "lib", "off.ts"),
      'import { STEP } from "./step.ts";\nexport function work(n: number): number {\n  return n + STEP;\n}\n',
    );
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};\n\n` +
        `export const crunch = job({ inputs: [] }, async (ctx) => {\n` +
        `  const n = await ctx.offload<number>(new URL("./lib/off.ts", import.meta.url), "work", 1);\n` +
        `  ctx.log("crunched", n);\n` +
        `  return n;\n` +
        `});\n`,
    );
    const run = async () => {
      const result = await gather(["--reporter", "json", "--no-logs", "--explain"], { cwd: dir });
      assertEquals(result.code, 0, result.stderr);
      const events = parseEvents(result.stdout);
      const end = events.find((e) => e.type === "job:end");
      const why = events.find((e) => e.type === "job:cache");
      const log = events.find((e) => e.type === "job:log");
      return {
        cache: end?.type === "job:end" ? end.cache : undefined,
        why: why?.type === "job:cache" ? why.reason ?? "" : "",
        line: log?.type === "job:log" ? log.line : "",
      };
    };
    assertEquals((await run()).line, "crunched 2");
    assertEquals((await run()).cache, "hit");
    await Deno.writeTextFile(
      join(dir, "lib", "off.ts"),
      'import { STEP } from "./step.ts";\nexport function work(n: number): number {\n  return n + STEP * 10;\n}\n',
    );
    const offloaded = await run();
    assertEquals([offloaded.cache, offloaded.line], ["miss", "crunched 11"]);
    assertMatch(offloaded.why, /^module lib\/off\.ts changed/);
    await Deno.writeTextFile(join(dir, "lib", "step.ts"), "export const STEP = 3;\n");
    const imported = await run();
    assertEquals([imported.cache, imported.line], ["miss", "crunched 31"]);
    assertMatch(imported.why, /^module lib\/step\.ts changed/);
    assertEquals((await run()).cache, "hit");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cache: editing a comment or the layout of the task file, a job's function or a module it imports reruns nothing; a string that looks like a comment does", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-comments-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    const write = (v: { top: string; inside: string; lib: string; text: string; indent: string }) =>
      Promise.all([
        Deno.writeTextFile(
          join(dir, "lib.ts"),
          `/** ${v.lib} */\nexport const WORD = "word"; // ${v.lib}\n`,
        ),
        Deno.writeTextFile(
          join(dir, "tasks.ts"),
          `import { job } from ${mod};\nimport { WORD } from "./lib.ts";\n\n` +
            `/** The build. ${v.top} */\n` +
            `export const build = job({ inputs: [] }, (ctx) => {\n` +
            `${v.indent}// ${v.inside}\n` +
            `${v.indent}ctx.log(\`\${WORD} ${v.text}\`); /* ${v.inside} */\n` +
            `${v.indent}return WORD;\n` +
            `});\n`,
        ),
      ]);
    const run = async () => {
      const result = await gather(["--reporter", "json", "--no-logs"], { cwd: dir });
      assertEquals(result.code, 0, result.stderr);
      const end = parseEvents(result.stdout).find((e) => e.type === "job:end");
      return end?.type === "job:end" ? end.cache : undefined;
    };
    const first = { top: "one", inside: "one", lib: "one", text: "// one", indent: "  " };
    await write(first);
    assertEquals(await run(), "miss");
    assertEquals(await run(), "hit");
    await write({ ...first, top: "two: a comment above the job, edited" });
    assertEquals(await run(), "hit");
    await write({ ...first, top: "two", inside: "two: comments inside the job" });
    assertEquals(await run(), "hit");
    await write({ ...first, top: "two", inside: "two", lib: "two: in an imported module" });
    assertEquals(await run(), "hit");
    await write({ ...first, top: "two", inside: "two", lib: "two", indent: "      " });
    assertEquals(await run(), "hit", "reindented");
    // The same edit, inside a template literal: what the job logs changes, so it runs.
    await write({ top: "two", inside: "two", lib: "two", text: "// two", indent: "      " });
    assertEquals(await run(), "miss");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
