/**
 * After a cached job ran, before its entry is stored: whether its input
 * files still hold what its key says. An input edited while the job ran
 * would have the job's new outputs stored under the old content's key, to
 * be restored the next time the file holds the old content: a stale hit.
 * A file whose stat is the one taken when it was hashed is not read again
 * (see {@linkcode StatIndex.unchanged}), so the check costs one `stat` per
 * input in the common case.
 *
 * @module
 */

import { matchesGlobs, type ParsedGlob } from "./glob.ts";
import type { StatIndex } from "./stat_index.ts";

/**
 * The input files of a job that changed since they were hashed for its key,
 * in the key's order. A file the job's own outputs match is left out: the
 * job is expected to write it (a formatter rewrites its inputs).
 *
 * @param root The project root.
 * @param files The key's input files: path relative to the root, and hash.
 * @param index The stat index the hashes came from.
 * @param outputs The job's output globs.
 * @returns The changed files' paths.
 *
 * @example Usage
 * ```ts
 * import { changedInputs } from "./_input_check.ts";
 * import { StatIndex } from "./stat_index.ts";
 * import { lazyHasher } from "./hash.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/a.txt`, "old");
 * const index = StatIndex.load(`${root}/index.json`, lazyHasher());
 * const files: [string, string][] = [["a.txt", await index.hash(`${root}/a.txt`, "a.txt")]];
 * assertEquals(await changedInputs(root, files, index, []), []);
 * await Deno.writeTextFile(`${root}/a.txt`, "new"); // as if while the job ran
 * assertEquals(await changedInputs(root, files, index, []), ["a.txt"]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function changedInputs(
  root: string,
  files: readonly (readonly [string, string])[],
  index: StatIndex,
  outputs: readonly ParsedGlob[],
): Promise<string[]> {
  const changed: string[] = [];
  for (const [path, hash] of files) {
    const unchanged = index.unchanged(`${root}/${path}`, path, hash);
    // Read again one at a time: a file is only read when its stat cannot vouch for it.
    if (unchanged === true || (unchanged !== false && await unchanged)) continue;
    if (outputs.length === 0 || !matchesGlobs(path, outputs)) changed.push(path);
  }
  return changed;
}
