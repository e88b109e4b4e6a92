/**
 * An incremental C build with the result cache: one job per object file,
 * a link, and a test. Run it twice and the second run restores everything;
 * edit one `.c` file and only its object, the link and the test run again.
 *
 *   deno run -A main.ts -f tasks/incremental.ts
 *   deno run -A main.ts -f tasks/incremental.ts --explain   # after an edit: why each job runs
 */
import { job } from "../mod.ts";

const DIR = "c"; // relative to this file; globs are too
const CC = Deno.env.get("CC") ?? "cc";
const CFLAGS = ["-O2", "-Wall"];
const dir = new URL(`./${DIR}/`, import.meta.url).pathname;

/** One job per C file: its source and the header are its inputs, its object its output. */
const objects = [...Deno.readDirSync(dir)]
  .filter((entry) => entry.name.endsWith(".c"))
  .map((entry) => entry.name.slice(0, -2))
  .sort()
  .map((name) =>
    job({
      name: `compile:${name}`,
      description: `Compile ${name}.c`,
      inputs: [`${DIR}/${name}.c`, `${DIR}/*.h`],
      outputs: [`${DIR}/build/${name}.o`],
      env: ["CC"],
    }, async (ctx) => {
      await Deno.mkdir(`${dir}build`, { recursive: true });
      await ctx.sh`${CC} ${CFLAGS} -c ${dir}${name}.c -o ${dir}build/${name}.o`;
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
