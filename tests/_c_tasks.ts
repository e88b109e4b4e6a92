/**
 * Task-file text the tests of C builds share: one cached compile per C file,
 * each writing its depfile (`cc -MMD -MF build/<name>.d`).
 *
 * @module
 */

import { dirname, join } from "../src/deps/path.ts";

/** How the compiles differ from test to test. */
export interface CompileOptions {
  /** Compiler flags before `-MMD`, e.g. `-MP` or `-Iinclude`. */
  flags?: string;
  /** A statement each compile runs first (how the test sees that it ran). */
  first?: string;
  /** Whether the task file exports the array. */
  exported?: boolean;
}

/**
 * The declaration of `objects`: one job `compile:<name>` per name, reading
 * `src/<name>.c`, writing `build/<name>.o` and its depfile, its result the
 * object's path. The task file declares `CC` (the compiler) and imports `job`.
 *
 * @param names The C files, without `.c`.
 * @param options Flags, a first statement, whether exported.
 * @returns Task-file text.
 *
 * @example Usage
 * ```ts
 * import { compileJobs } from "./_c_tasks.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * assertStringIncludes(compileJobs(["a"], { flags: "-MP" }), "-MP -MMD -MF build/");
 * ```
 */
export function compileJobs(names: readonly string[], options: CompileOptions = {}): string {
  const flags = options.flags === undefined ? "" : `${options.flags} `;
  return `${options.exported ? "export " : ""}const objects = ${JSON.stringify(names)}.map((name) =>
  job({
    name: "compile:" + name,
    inputs: ["src/" + name + ".c"],
    outputs: ["build/" + name + ".o"],
    depfile: "build/" + name + ".d",
  }, async (ctx) => {
    ${options.first ?? ""}
    await Deno.mkdir("build", { recursive: true });
    await ctx.sh\`\${CC} ${flags}-MMD -MF build/\${name}.d -c src/\${name}.c -o build/\${name}.o\`;
    return "build/" + name + ".o";
  })
);
`;
}

/**
 * Write a checkout of a project: each file by its path under `dir`, folders made.
 *
 * @param dir The checkout's folder.
 * @param files File contents by path relative to it.
 * @returns `dir`.
 *
 * @example Usage
 * ```ts
 * import { writeCheckout } from "./_c_tasks.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await writeCheckout(await Deno.makeTempDir(), { "src/a.c": "int a;\n" });
 * assertEquals(await Deno.readTextFile(`${dir}/src/a.c`), "int a;\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCheckout(dir: string, files: Record<string, string>): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
    await Deno.writeTextFile(join(dir, path), text);
  }
  return dir;
}
