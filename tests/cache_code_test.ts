/**
 * What a cached job's key takes from the task file's code outside the jobs:
 * the local modules it imports, found in real files, whatever form the
 * import takes; the functions of jobs, cached or not, only when other code
 * in the key names them.
 */

import { assertEquals, assertNotEquals } from "@std/assert";
import { codeContext } from "../src/cache/code.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { join, toFileUrl } from "../src/deps/path.ts";

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
