/**
 * After a cached job ran, before its entry is stored: whether a file
 * appeared under its input globs while it ran. Its key lists the files the
 * globs matched before it started; a file added meanwhile (by an editor, a
 * `git checkout`, a job it does not depend on) may have been read, and its
 * outputs stored under a key without it would be restored once the file is
 * gone again: a stale hit. `_input_check.ts` covers files edited or removed.
 *
 * The globs are walked again, one `lstat` a folder: a folder listed earlier
 * in the run is read again only when its stat changed, or when it changed
 * too close to the moment it was read for its stat to vouch for it (see
 * `_racy.ts`). A file named without a wildcard costs one `stat`.
 *
 * @module
 */

import { join } from "../deps/path.ts";
import { isFile } from "../file_kind.ts";
import { type ListingMemo, matchesGlobs, type ParsedGlob, Walker } from "./glob.ts";
import type { Listing } from "./stat_index.ts";
import { isRacy } from "./_racy.ts";

/** A folder's listing, the stat it was read under, and when that stat was taken (just after). */
interface Read {
  mtime: number;
  ctime: number;
  ino: number;
  at: number;
  listing: Listing;
}

/**
 * The files that appeared under jobs' input globs while they ran, for one
 * run: it keeps the folders it read, by their stat, between jobs.
 *
 * @example Usage
 * ```ts
 * import { AddedInputs } from "./_added_inputs.ts";
 * import { parseGlob } from "./glob.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/src`);
 * await Deno.writeTextFile(`${root}/src/a.txt`, "a");
 * const inputs = [parseGlob("src/*.txt", root, root)];
 * const added = new AddedInputs(root);
 * const hashed: [string, string][] = [["src/a.txt", "…"]];
 * assertEquals(added.since(inputs, hashed, []), []);
 * await Deno.writeTextFile(`${root}/src/new.txt`, "n"); // as if while the job ran
 * assertEquals(added.since(inputs, hashed, []), ["src/new.txt"]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class AddedInputs implements ListingMemo {
  #root: string;
  #reads = new Map<string, Read>();
  /** When each folder's stat was last taken, until its listing is remembered. */
  #statAt = new Map<string, number>();

  /**
   * Construct one for a run.
   *
   * @param root The project root.
   */
  constructor(root: string) {
    this.#root = root;
  }

  /**
   * The files the input globs match now that the key did not list, in
   * sorted order; a file the job's own output globs match is left out (the
   * job is expected to write it).
   *
   * @param inputs The job's input globs.
   * @param files The key's input files (path relative to the root, hash).
   * @param outputs The job's output globs.
   * @returns The paths of the files that appeared.
   */
  since(
    inputs: readonly ParsedGlob[],
    files: readonly (readonly [string, string])[],
    outputs: readonly ParsedGlob[],
  ): string[] {
    if (!inputs.some((glob) => !glob.negated)) return [];
    const negated = inputs.filter((glob) => glob.negated);
    const walked: ParsedGlob[] = [...negated];
    const now: string[] = [];
    for (const glob of inputs) {
      if (glob.negated) continue;
      if (glob.wild) walked.push(glob);
      else if (isFile(join(this.#root, glob.pattern))) {
        if (!negated.some((not) => not.regex.test(glob.pattern))) now.push(glob.pattern);
      } else walked.push(glob); // a folder stands for every file under it; missing matches nothing
    }
    if (walked.length > negated.length) {
      now.push(...new Walker(this.#root, this).expand(walked).files);
    }
    const had = new Set(files.map(([path]) => path));
    const added = new Set(
      now.filter((path) =>
        !had.has(path) && (outputs.length === 0 || !matchesGlobs(path, outputs))
      ),
    );
    return [...added].sort();
  }

  /**
   * A folder's listing, when it was read this run under the same stat, long
   * enough after its last change.
   *
   * @param key The folder, relative to the root.
   * @param info Its stat now.
   * @returns The listing, or `undefined`: read it.
   */
  listing(key: string, info: Deno.FileInfo): Listing | undefined {
    const read = this.#reads.get(key);
    const mtime = info.mtime?.getTime() ?? 0;
    const ctime = info.ctime?.getTime() ?? 0;
    if (
      read !== undefined && read.mtime === mtime && read.ctime === ctime &&
      read.ino === (info.ino ?? 0) && !isRacy(read.mtime, read.ctime, read.at)
    ) {
      return read.listing;
    }
    // The walker took the stat just now, and reads the folder next.
    this.#statAt.set(key, Date.now());
    return undefined;
  }

  /**
   * Keep a folder's listing for the next jobs' checks.
   *
   * @param key The folder, relative to the root.
   * @param info The stat it was read under.
   * @param listing What it holds.
   */
  rememberListing(key: string, info: Deno.FileInfo, listing: Listing): void {
    const at = this.#statAt.get(key) ?? 0; // unknown: racy, read again next time
    this.#statAt.delete(key);
    this.#reads.set(key, {
      mtime: info.mtime?.getTime() ?? 0,
      ctime: info.ctime?.getTime() ?? 0,
      ino: info.ino ?? 0,
      at,
      listing,
    });
  }
}
