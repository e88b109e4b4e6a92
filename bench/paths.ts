/**
 * Where things are: the repository, the scratch and results folders, and
 * programs on the `PATH`. (`@std/path` is not mapped in deno.json, so the one
 * helper needed is here.)
 *
 * @module
 */

/** The repository root, ending in `/`. */
export const ROOT: string = new URL("../", import.meta.url).pathname;
/** gather's command line. */
export const MAIN_TS: string = `${ROOT}main.ts`;
/** `bench/load_only.ts`, which imports a task file and runs nothing. */
export const LOAD_ONLY_TS: string = `${ROOT}bench/load_only.ts`;
/** gather's module, as a URL for generated task files. */
export const MOD_URL: string = new URL("../mod.ts", import.meta.url).href;
/** Generated graphs and scratch output (git-ignored). */
export const OUT_DIR: string = `${ROOT}bench/out`;
/** Committed results. */
export const RESULTS_DIR: string = `${ROOT}bench/results`;

/**
 * Join path segments with `/`.
 *
 * @param parts Segments; the first may be absolute.
 * @returns The path, without doubled slashes.
 *
 * @example Usage
 * ```ts
 * import { join } from "./paths.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(join("/a/", "b", "c.ts"), "/a/b/c.ts");
 * ```
 */
export function join(...parts: string[]): string {
  return parts.join("/").replace(/\/{2,}/g, "/");
}

/**
 * Find a program on the `PATH`, like `command -v`.
 *
 * @param name The program's name.
 * @returns Its absolute path, or `undefined` if it is not installed.
 *
 * @example Usage
 * ```ts
 * import { findProgram } from "./paths.ts";
 * import { assert } from "@std/assert";
 *
 * assert(findProgram("sh") !== undefined);
 * ```
 */
export function findProgram(name: string): string | undefined {
  if (name.includes("/")) return isExecutable(name) ? name : undefined;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    const path = join(dir, name);
    if (isExecutable(path)) return path;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}
