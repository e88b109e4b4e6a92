/**
 * Pruning a cache folder to a size: the memos of the last runs' entries go
 * first (copies of manifests, they would serve a removed entry), then the
 * least recently used entries (a pack of entries from the remote cache as a
 * whole), each with the blobs only it named, until the folder fits. When no
 * entry is left and the folder still does not fit, the bookkeeping goes too
 * (the stat index, the memos, the last-entry pointers, the counts: each is
 * made again when missing). Only what a run may be storing right now stays:
 * a blob written in the last minute that no entry names.
 *
 * @module
 */

import { join } from "../deps/path.ts";
import { readTextFileOnly } from "../file_kind.ts";
import {
  type CacheFile,
  cacheFiles,
  isBlob,
  isBookkeeping,
  isManifestFile,
  isPack,
  isRecentMemo,
} from "./_cache_files.ts";
import { entriesInPack, indexOf, packedEntries } from "./pack.ts";

/** A blob younger than this that no entry names may belong to an entry being stored now. */
const IN_FLIGHT_MS = 60_000;

/** What pruning did. */
export interface Pruned {
  /** Entries removed. */
  removedEntries: number;
  /** Entries left. */
  entriesLeft: number;
  /** Bytes freed. */
  freed: number;
  /** Bytes left in the folder. */
  bytes: number;
  /**
   * Bytes of bookkeeping left: the stat index, the memos, the last-entry
   * pointers, the counts.
   */
  bookkeeping: number;
  /** Whether the bookkeeping went too, as removing every entry was not enough. */
  bookkeepingRemoved: boolean;
  /** Bytes kept because a run may be storing them now: blobs of the last minute that no entry names. */
  inFlight: number;
}

/**
 * Remove the least recently used entries until the cache fits, then what
 * they alone used; then, if it still does not fit, the bookkeeping.
 *
 * @param dir The cache folder.
 * @param maxBytes The size to fit in.
 * @returns What was removed and what is left.
 *
 * @example Usage
 * ```ts
 * import { pruneCache } from "./prune.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/v1/entries/ab`, { recursive: true });
 * await Deno.writeTextFile(`${dir}/v1/entries/ab/ab12.json`, "{}");
 * await Deno.writeTextFile(`${dir}/v1/index.json`, "{}");
 * const pruned = await pruneCache(dir, 0);
 * assertEquals([pruned.removedEntries, pruned.entriesLeft, pruned.bytes], [1, 0, 0]);
 * ```
 */
export async function pruneCache(dir: string, maxBytes: number): Promise<Pruned> {
  const root = join(dir, "v1");
  const all = await cacheFiles(root);
  const total = sizeOf(all);
  let bytes = total;
  const entries = all.filter((file) => isManifestFile(file.path) || isPack(file.path))
    .sort((a, b) => a.mtime - b.mtime);
  let manifestsLeft = entries.filter((file) => isManifestFile(file.path)).length;
  const bookkeeping = all.filter((file) => isBookkeeping(file.path));
  if (total <= maxBytes) {
    const entriesLeft = manifestsLeft + packedEntries(root);
    const fits = { removedEntries: 0, entriesLeft, freed: 0, bytes, inFlight: 0 };
    return { ...fits, bookkeeping: sizeOf(bookkeeping), bookkeepingRemoved: false };
  }
  const blobs = new Blobs(all);
  // The memos of the last runs' entries would serve a removed one: they go first.
  const memos = entries.length > 0 ? all.filter((file) => isRecentMemo(file.path)) : [];
  bytes -= removeFiles(memos);
  let removedEntries = 0;
  for (const entry of entries) {
    if (bytes <= maxBytes) break;
    const pack = isPack(entry.path);
    try {
      const count = pack ? entriesInPack(entry.path) : 1;
      Deno.removeSync(entry.path);
      bytes -= entry.size;
      removedEntries += count;
      // The blobs only it named go with it: counted now, so no more entries go than must.
      if (!pack) bytes -= blobs.release(entry.path);
      if (!pack) manifestsLeft--;
    } catch {
      // already gone
    }
    if (pack) bytes -= removeFiles(all.filter((file) => file.path === indexOf(entry.path)));
  }
  removeFiles(blobs.released);
  // A blob no entry names, older than a minute, was left by a run that stopped.
  bytes -= removeFiles(blobs.stale);
  // Every entry is gone and it still does not fit: what only speeds runs up goes too.
  const kept = bookkeeping.filter((file) => !memos.includes(file));
  const bookkeepingRemoved = bytes > maxBytes && kept.length > 0;
  if (bookkeepingRemoved) bytes -= removeFiles(kept);
  return {
    removedEntries,
    entriesLeft: manifestsLeft + packedEntries(root),
    freed: total - bytes,
    bytes,
    bookkeeping: bookkeepingRemoved ? 0 : sizeOf(kept),
    bookkeepingRemoved,
    inFlight: sizeOf(blobs.inFlight),
  };
}

function sizeOf(files: readonly CacheFile[]): number {
  return files.reduce((sum, file) => sum + file.size, 0);
}

/**
 * The blob files of a cache and how many manifests name each: removing a
 * manifest releases the blobs no other manifest names.
 */
class Blobs {
  /** Blobs whose last manifest was removed: no run is storing them, whatever their age. */
  readonly released: CacheFile[] = [];
  /** Blobs no manifest names, older than a minute. */
  readonly stale: CacheFile[] = [];
  /** Blobs no manifest names, younger than a minute: a run may be storing their entry now. */
  readonly inFlight: CacheFile[] = [];
  #files = new Map<string, CacheFile>();
  #names = new Map<string, string[]>();
  #count = new Map<string, number>();

  constructor(all: readonly CacheFile[]) {
    for (const file of all) {
      if (isBlob(file.path)) this.#files.set(file.path.slice(file.path.lastIndexOf("/") + 1), file);
    }
    for (const file of all) {
      if (!isManifestFile(file.path)) continue;
      const names = [...new Set(blobsNamed(file.path))];
      this.#names.set(file.path, names);
      for (const name of names) this.#count.set(name, (this.#count.get(name) ?? 0) + 1);
    }
    const now = Date.now();
    for (const [name, file] of this.#files) {
      if (this.#count.has(name)) continue;
      (now - file.mtime >= IN_FLIGHT_MS ? this.stale : this.inFlight).push(file);
    }
  }

  /** A manifest was removed: the bytes of the blobs it alone named, now released. */
  release(manifest: string): number {
    let freed = 0;
    for (const name of this.#names.get(manifest) ?? []) {
      const count = this.#count.get(name)! - 1;
      this.#count.set(name, count);
      const file = this.#files.get(name);
      if (count > 0 || file === undefined) continue;
      this.released.push(file);
      freed += file.size;
    }
    return freed;
  }
}

/** The blobs a manifest names (its outputs, its log and result when large). */
function blobsNamed(manifest: string): string[] {
  try {
    const text = readTextFileOnly(manifest);
    return [...text.matchAll(/"(?:hash|blob)":"([0-9a-f]{64})"/g)].map((match) => match[1]!);
  } catch {
    return [];
  }
}

/** Remove files; returns the bytes freed. */
function removeFiles(files: readonly CacheFile[]): number {
  let freed = 0;
  for (const file of files) {
    try {
      Deno.removeSync(file.path);
      freed += file.size;
    } catch {
      // already gone
    }
  }
  return freed;
}
