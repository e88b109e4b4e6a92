/**
 * The files of a cache folder, and what each kind is: an entry's manifest, a
 * pack of entries, a blob, or bookkeeping (what only speeds runs up or keeps
 * counts, and is rebuilt when missing).
 *
 * @module
 */

import { join } from "../deps/path.ts";

/** One file of a cache folder. */
export interface CacheFile {
  /** Its absolute path. */
  path: string;
  /** Its size in bytes. */
  size: number;
  /** When it was last written (or marked as used), ms since the epoch. */
  mtime: number;
}

/**
 * Every file under a folder, with its size and time; none for a missing folder.
 *
 * @param root The folder (a cache's `v1`).
 * @returns Its files, in no particular order.
 *
 * @example Usage
 * ```ts
 * import { cacheFiles } from "./_cache_files.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/blobs/ab`, { recursive: true });
 * await Deno.writeTextFile(`${root}/blobs/ab/ab12`, "bytes");
 * assertEquals((await cacheFiles(root)).map((file) => file.size), [5]);
 * assertEquals(await cacheFiles(`${root}/missing`), []);
 * ```
 */
export async function cacheFiles(root: string): Promise<CacheFile[]> {
  const found: CacheFile[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const folder = stack.pop()!;
    try {
      for await (const entry of Deno.readDir(folder)) {
        const path = join(folder, entry.name);
        if (entry.isDirectory) stack.push(path);
        else if (entry.isFile) {
          const info = await Deno.stat(path).catch(() => undefined);
          if (info) found.push({ path, size: info.size, mtime: info.mtime?.getTime() ?? 0 });
        }
      }
    } catch {
      // missing folder: nothing in it
    }
  }
  return found;
}

/**
 * Whether a cache file is an entry's manifest (`v1/entries/…`).
 *
 * @param path The file's path.
 * @returns `true` for a manifest.
 *
 * @example Usage
 * ```ts
 * import { isManifestFile } from "./_cache_files.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isManifestFile("/c/v1/entries/ab/ab12.json"), true);
 * ```
 */
export function isManifestFile(path: string): boolean {
  return path.includes("/entries/");
}

/**
 * Whether a cache file is a pack of entries from the remote cache (`v1/packs/<run>.pack`).
 *
 * @param path The file's path.
 * @returns `true` for a pack (not its index).
 *
 * @example Usage
 * ```ts
 * import { isPack } from "./_cache_files.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([isPack("/c/v1/packs/x.pack"), isPack("/c/v1/packs/x.idx")], [true, false]);
 * ```
 */
export function isPack(path: string): boolean {
  return path.includes("/packs/") && path.endsWith(".pack");
}

/**
 * Whether a cache file is a blob (an output file, a large log or result).
 *
 * @param path The file's path.
 * @returns `true` for a blob, or a blob being written (`blobs/tmp/`).
 *
 * @example Usage
 * ```ts
 * import { isBlob } from "./_cache_files.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isBlob("/c/v1/blobs/ab/ab12"), true);
 * ```
 */
export function isBlob(path: string): boolean {
  return path.includes("/blobs/");
}

/**
 * Whether a cache file is bookkeeping: the stat index, the memos (the code
 * context, the last run's entries), the last-entry pointers of `--explain`,
 * the counts. Each only speeds runs up or keeps counts, and is rebuilt when
 * missing.
 *
 * @param path The file's path.
 * @returns `true` for bookkeeping.
 *
 * @example Usage
 * ```ts
 * import { isBookkeeping } from "./_cache_files.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([isBookkeeping("/c/v1/index.json"), isBookkeeping("/c/v1/entries/ab/ab.json")], [true, false]);
 * ```
 */
export function isBookkeeping(path: string): boolean {
  return /\/v1\/(index\.json|stats\.json|memo\/|last\/)/.test(path);
}

/**
 * Whether a cache file is a memo of the manifests a task file's last run
 * used (`v1/memo/recent-…`): a copy of entries, which would serve an entry
 * pruning removed.
 *
 * @param path The file's path.
 * @returns `true` for such a memo.
 *
 * @example Usage
 * ```ts
 * import { isRecentMemo } from "./_cache_files.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isRecentMemo("/c/v1/memo/recent-ab12.json"), true);
 * ```
 */
export function isRecentMemo(path: string): boolean {
  return /\/v1\/memo\/recent-[^/]*$/.test(path);
}
