/**
 * The second level of a job's key, for a job with discovered inputs (the
 * headers its `depfile` names, the files it reported with
 * `ctx.discovered()`), as ccache's direct mode does it:
 *
 * - the job's key P (its primary key: its declared inputs, code, env,
 *   dependencies) is computed before it runs, as for any job;
 * - its entry is stored under a final key F, the hash of P and of each file
 *   it discovered with its content's hash;
 * - beside it, a record under P lists the sets of discovered files seen
 *   recently, most recent first ({@linkcode MAX_SETS} at most): a lookup
 *   hashes each set's files as they are now, and finds the entry of the F
 *   they give.
 *
 * A path in a set is relative to the project root, or absolute for a file
 * outside it (a system header): a second checkout at another path finds the
 * same keys. This module holds the record's format and the keys; reading
 * and hashing the files is `_discovered.ts`'s.
 *
 * @module
 */

import type { Hasher } from "./hash.ts";

/** How many sets of discovered files a record keeps, most recent first. */
export const MAX_SETS = 8;

const RECORD_FORMAT = 1;

/**
 * The final key of a job's entry: its primary key, and each discovered file
 * with the hash of its content.
 *
 * @param primary The job's key from its declared inputs (and the rest of its parts).
 * @param files Each discovered file (root-relative, or absolute outside the root) and its hash, sorted by path.
 * @param hasher The hasher.
 * @returns The final key: SHA-256, hex.
 *
 * @example Usage
 * ```ts
 * import { finalKey } from "./discovered_record.ts";
 * import { lazyHasher } from "./hash.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const hasher = await lazyHasher()();
 * const primary = "a".repeat(64);
 * const key = finalKey(primary, [["c/util.h", "1"]], hasher);
 * assertEquals(key.length, 64);
 * assertNotEquals(key, finalKey(primary, [["c/util.h", "2"]], hasher)); // the header changed
 * assertNotEquals(key, primary);
 * ```
 */
export function finalKey(
  primary: string,
  files: readonly (readonly [string, string])[],
  hasher: Hasher,
): string {
  return hasher.sha256(JSON.stringify(["gather-discovered", RECORD_FORMAT, primary, files]));
}

/**
 * Where a primary key's record is kept on the remote cache: an artifact of
 * its own, under a hash no entry has.
 *
 * @param primary The primary key.
 * @param hasher The hasher.
 * @returns The record's artifact hash: SHA-256, hex.
 *
 * @example Usage
 * ```ts
 * import { recordKey } from "./discovered_record.ts";
 * import { lazyHasher } from "./hash.ts";
 * import { assertNotEquals } from "@std/assert";
 *
 * const hasher = await lazyHasher()();
 * assertNotEquals(recordKey("a".repeat(64), hasher), "a".repeat(64));
 * ```
 */
export function recordKey(primary: string, hasher: Hasher): string {
  return hasher.sha256(`gather-discovered-record/${RECORD_FORMAT}\n${primary}`);
}

/**
 * A set first, then the sets already known that differ from it, at most
 * {@linkcode MAX_SETS} in all.
 *
 * @param first The sets to put first (the one just seen), most recent first.
 * @param known The sets known already, most recent first.
 * @param max How many to keep. @default {MAX_SETS}
 * @returns The sets, without duplicates.
 *
 * @example Usage
 * ```ts
 * import { mergeSets } from "./discovered_record.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(mergeSets([["a.h"]], [["b.h"], ["a.h"]]), [["a.h"], ["b.h"]]);
 * assertEquals(mergeSets([["c.h"]], [["a.h"], ["b.h"]], 2), [["c.h"], ["a.h"]]);
 * ```
 */
export function mergeSets(
  first: readonly (readonly string[])[],
  known: readonly (readonly string[])[],
  max: number = MAX_SETS,
): string[][] {
  const seen = new Set<string>();
  const sets: string[][] = [];
  for (const set of [...first, ...known]) {
    const id = JSON.stringify(set);
    if (seen.has(id)) continue;
    seen.add(id);
    sets.push([...set]);
    if (sets.length >= max) break;
  }
  return sets;
}

/**
 * A record as it is kept (in the local store, or as a remote artifact).
 *
 * @param primary The primary key it is under.
 * @param sets Its sets, most recent first.
 * @returns Its text.
 *
 * @example Usage
 * ```ts
 * import { encodeRecord, parseRecord } from "./discovered_record.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const text = encodeRecord("a".repeat(64), [["c/util.h", "/usr/include/stdio.h"]]);
 * assertEquals(parseRecord(text, "a".repeat(64)), [["c/util.h", "/usr/include/stdio.h"]]);
 * assertEquals(parseRecord(text, "b".repeat(64)), undefined); // another key's
 * ```
 */
export function encodeRecord(primary: string, sets: readonly (readonly string[])[]): string {
  return JSON.stringify({ version: RECORD_FORMAT, primary, sets });
}

/**
 * Read a record back, checked: it must be the record of `primary`, and each
 * path in it relative (inside the root: no `..`) or absolute. A set that
 * breaks these is dropped; a record that is not one is `undefined`.
 *
 * @param text The record's text.
 * @param primary The primary key it must be under.
 * @returns Its sets, most recent first, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { encodeRecord, parseRecord } from "./discovered_record.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const text = encodeRecord("a".repeat(64), [["../../etc/passwd"], ["c/a.h"]]);
 * assertEquals(parseRecord(text, "a".repeat(64)), [["c/a.h"]]);
 * assertEquals(parseRecord("not json", "a".repeat(64)), undefined);
 * ```
 */
export function parseRecord(text: string, primary: string): string[][] | undefined {
  let data: { version?: unknown; primary?: unknown; sets?: unknown };
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (
    typeof data !== "object" || data === null || data.version !== RECORD_FORMAT ||
    data.primary !== primary || !Array.isArray(data.sets)
  ) {
    return undefined;
  }
  return data.sets.filter((set): set is string[] =>
    Array.isArray(set) && set.length > 0 && set.every(isSafePath)
  ).slice(0, MAX_SETS);
}

/** A path a record may hold: absolute, or relative without leaving the root. */
function isSafePath(path: unknown): boolean {
  if (typeof path !== "string" || path === "" || path.includes("\0")) return false;
  if (path.startsWith("/")) return true;
  return !path.split("/").some((part) => part === ".." || part === "." || part === "");
}
