/**
 * A build-like pipeline of shell jobs: generate sources, format and
 * type-check them side by side, bundle, report. Copy it and change the
 * commands.
 *
 *   deno run -A main.ts -f tasks/build.ts
 */
import { job } from "../mod.ts";

const deno = Deno.execPath();

export const prepare = job({ description: "Create a fresh build directory" }, async () => {
  return await Deno.makeTempDir({ prefix: "gather-build-" });
});

export const generate = job(
  { description: "Write the sources", deps: [prepare] },
  async (ctx) => {
    const dir = ctx.result(prepare);
    const files: string[] = [];
    for (const name of ["greet", "sum", "main"]) {
      const file = `${dir}/${name}.ts`;
      await Deno.writeTextFile(file, source(name));
      files.push(file);
    }
    ctx.log(`wrote ${files.length} files to ${dir}`);
    return files;
  },
);

export const fmt = job({ description: "Format the sources", deps: [generate] }, async (ctx) => {
  await ctx.sh`${deno} fmt ${ctx.result(generate)}`;
});

export const check = job(
  { description: "Type-check the sources", deps: [generate], timeout: "2m" },
  async (ctx) => {
    await ctx.sh`${deno} check ${ctx.result(generate)}`;
  },
);

export const bundle = job(
  { description: "Concatenate the checked sources", deps: [prepare, generate, fmt, check] },
  async (ctx) => {
    const out = `${ctx.result(prepare)}/bundle.ts`;
    await ctx.sh`cat ${ctx.result(generate)} > ${out}`;
    return out;
  },
);

export const report = job(
  { description: "Count the lines of the bundle, then clean up", deps: [prepare, bundle] },
  async (ctx) => {
    const { stdout } = await ctx.sh`wc -l ${ctx.result(bundle)}`;
    const lines = Number(stdout.trim().split(/\s+/)[0]);
    ctx.log(`bundle has ${lines} lines`);
    await Deno.remove(ctx.result(prepare), { recursive: true });
    return lines;
  },
);

export default report;

function source(name: string): string {
  switch (name) {
    case "greet":
      return `export function greet(who: string): string {\n  return "hello " + who;\n}\n`;
    case "sum":
      return `export function sum(values: number[]): number {\n  return values.reduce((a, b) => a + b, 0);\n}\n`;
    default:
      return `import { greet } from "./greet.ts";\nimport { sum } from "./sum.ts";\nconsole.log(greet("gather"), sum([1, 2, 3]));\n`;
  }
}
