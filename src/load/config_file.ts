/**
 * Where a folder's Deno config is, if it has one: looked up without loading
 * the config reader, so that a run of a task file with no deno.json beside it
 * never loads the deno.json subsystem.
 *
 * @module
 */

import { isFile } from "../file_kind.ts";

const CONFIG_NAMES = ["deno.json", "deno.jsonc"] as const;

/**
 * The config file of a folder: `deno.json`, else `deno.jsonc` (as Deno picks).
 *
 * @param dir The folder (absolute, normalized).
 * @returns The file's path, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { configIn } from "./config_file.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/deno.jsonc`, "{}");
 * assertEquals(configIn(dir), `${dir}/deno.jsonc`);
 * ```
 */
export function configIn(dir: string): string | undefined {
  for (const name of CONFIG_NAMES) {
    // Not join(): its normalizing costs more than the stat, and a workspace's every member is looked up.
    const path = dir.endsWith("/") ? dir + name : `${dir}/${name}`;
    if (isFile(path)) return path;
  }
  return undefined;
}
