/**
 * The `.gather/` folder holds gather's state (history, logs, the cache). It
 * is made invisible to the project's own tools: a `.gather/.gitignore` that
 * ignores everything (itself included) keeps it out of `git status`, and
 * `deno fmt` and `deno lint` skip what `.gitignore` files ignore.
 *
 * @module
 */

import { join } from "../deps/path.ts";

/**
 * Before gather writes under a `.gather` folder, make sure that folder
 * ignores itself. A path with no `.gather` part is left alone.
 *
 * @param path A folder or file gather is about to write (absolute or relative).
 * @returns The `.gitignore` path, or `undefined` when the path is not under `.gather`.
 *
 * @example Usage
 * ```ts
 * import { ignoreStateFolder } from "./state_folder.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * ignoreStateFolder(`${dir}/.gather/logs`);
 * assertEquals(await Deno.readTextFile(`${dir}/.gather/.gitignore`), "*\n");
 * assertEquals(ignoreStateFolder(`${dir}/out`), undefined);
 * ```
 */
export function ignoreStateFolder(path: string): string | undefined {
  const parts = path.split("/");
  const at = parts.lastIndexOf(".gather");
  if (at < 0) return undefined;
  const folder = parts.slice(0, at + 1).join("/");
  const file = join(folder, ".gitignore");
  try {
    Deno.statSync(file);
  } catch {
    try {
      Deno.mkdirSync(folder, { recursive: true });
      Deno.writeTextFileSync(file, "*\n", { createNew: true });
    } catch {
      // another run wrote it, or the folder cannot be written: what writes there will say so
    }
  }
  return file;
}
