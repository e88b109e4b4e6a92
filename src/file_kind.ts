/**
 * What a path is, without throwing: the checks every subsystem makes before
 * it reads a file or walks a folder.
 *
 * @module
 */

/**
 * Whether a path is a file, following symbolic links.
 *
 * @param path The path.
 * @returns `false` when it is anything else, or nothing, or cannot be seen.
 *
 * @example Usage
 * ```ts
 * import { isFile } from "./file_kind.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "a");
 * assertEquals([isFile(`${dir}/a.txt`), isFile(dir), isFile(`${dir}/none`)], [true, false, false]);
 * ```
 */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Whether a path is a folder, following symbolic links.
 *
 * @param path The path.
 * @returns `false` when it is anything else, or nothing, or cannot be seen.
 *
 * @example Usage
 * ```ts
 * import { isFolder } from "./file_kind.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * assertEquals([isFolder(dir), isFolder(`${dir}/none`)], [true, false]);
 * ```
 */
export function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
