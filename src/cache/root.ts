/**
 * The project root: the folder of the nearest `deno.json` or `deno.jsonc` at
 * or above the task file, else the task file's folder. Cache keys use paths
 * relative to it, and nothing is read or restored outside it.
 *
 * @module
 */

import { dirname, join } from "../deps/path.ts";
import { isFile } from "../file_kind.ts";

/**
 * Find the project root of a folder.
 *
 * @param dir The task file's folder (absolute).
 * @returns The root (absolute, symbolic links resolved).
 *
 * @example Usage
 * ```ts
 * import { projectRoot } from "./root.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const root = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${root}/tasks`);
 * await Deno.writeTextFile(`${root}/deno.json`, "{}");
 * assertEquals(projectRoot(`${root}/tasks`), root);
 * ```
 */
export function projectRoot(dir: string): string {
  const start = realPath(dir);
  for (let folder = start;; folder = dirname(folder)) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      if (isFile(join(folder, name))) return folder;
    }
    if (dirname(folder) === folder) return start;
  }
}

/**
 * A path with its symbolic links resolved, or as it is when it does not exist.
 *
 * @param path The path.
 * @returns The resolved path.
 *
 * @example Usage
 * ```ts
 * import { realPath } from "./root.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(realPath("/no/such/folder"), "/no/such/folder");
 * ```
 */
export function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}
