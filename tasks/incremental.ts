/**
 * An incremental C build with the result cache: one job per object file,
 * a link, and a test. Run it twice and the second run restores everything;
 * edit one `.c` file and only its object, the link and the test run again.
 * Each compile also writes a depfile (`cc -MMD -MF`): the headers it names
 * are part of that compile's cache key, so editing a header recompiles the
 * files that include it, and only those, as make does with `-MMD`.
 *
 *   deno run -A main.ts -f tasks/incremental.ts
 *   deno run -A main.ts -f tasks/incremental.ts --explain   # after an edit: why each job runs
 */
import { job } from "../mod.ts";

const DIR = "c"; // relative to this file; globs are too
const CC = Deno.env.get("CC") ?? "cc";
const CFLAGS = ["-O2", "-Wall"];
const dir = new URL(`./${DIR}/`, import.meta.url).pathname;

/**
 * One job per C file: its source is its input, its object its output, and
 * the headers it includes come from the depfile the compiler writes.
 */
const objects = [...Deno.readDirSync(dir)]
  .filter((entry) => entry.name.endsWith(".c"))
  .map((entry) => entry.name.slice(0, -2))
  .sort()
  .map((name) =>
    job({
      name: `compile:${name}`,
      description: `Compile ${name}.c`,
      inputs: [`${DIR}/${name}.c`],
      outputs: [`${DIR}/build/${name}.o`],
      depfile: `${DIR}/build/${name}.d`,
      env: ["CC"],
    }, async (ctx) => {
      await Deno.mkdir(`${dir}build`, { recursive: true });
      const object = `${dir}build/${name}.o`;
      await ctx.sh`${CC} ${CFLAGS} -MMD -MF ${dir}build/${name}.d -c ${dir}${name}.c -o ${object}`;
      return `${name}.o`;
    })
  );

export const link = job({
  description: "Link the program",
  deps: objects,
  inputs: [],
  outputs: [`${DIR}/build/hello`],
  env: ["CC"],
}, async (ctx) => {
  const files = objects.map((object) => `${dir}build/${ctx.result(object)}`);
  await ctx.sh`${CC} ${files} -o ${dir}build/hello`;
  ctx.log(`linked ${files.length} objects`);
  return "build/hello";
});

export const test = job(
  { description: "Run the program", deps: [link], inputs: [] },
  async (ctx) => {
    const { stdout } = await ctx.exec(`${dir}build/hello`);
    if (!stdout.includes("2 + 3 = 5")) throw new Error(`unexpected output: ${stdout}`);
    return stdout.trim();
  },
);

export default test;
