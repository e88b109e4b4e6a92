/**
 * Keeping a cache folder in shape: its size, the last run's hits and misses,
 * pruning the least recently used entries, and emptying it.
 *
 * @module
 */

import { join } from "../deps/path.ts";
import { writeAtomic } from "./atomic.ts";
import { entriesInPack, indexOf, mergePacks, packedEntries } from "./pack.ts";

/** The numbers `gather cache status` prints. */
export interface CacheStats {
  /** Entries (one per job run stored, or restored from the remote cache). */
  entries: number;
  /** Bytes of manifests and blobs. */
  bytes: number;
  /** The last run's hits (of which remote ones) and misses among cached jobs, when one was recorded. */
  lastRun?: LastRun;
}

/** A run's hits and misses among cached jobs. */
export interface LastRun {
  /** Jobs restored. */
  hits: number;
  /** Jobs that ran. */
  misses: number;
  /** When the run ended, ms since the epoch. */
  at: number;
  /** Of the hits, those from the remote cache (absent when none). */
  remote?: number;
}

interface StatsFile {
  version: 1;
  lastRun?: LastRun;
  /** Bytes stored since the last full count: a cheap check of the size cap. */
  added?: number;
  /** The size at the last full count. */
  counted?: number;
}

/** The default size cap: 5 GB. */
export const DEFAULT_MAX_BYTES = 5 * 1024 ** 3;

/**
 * Count a cache folder.
 *
 * @param dir The cache folder.
 * @returns Its entries, bytes and the last run's hit ratio.
 *
 * @example Usage
 * ```ts
 * import { cacheStats } from "./maintenance.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals((await cacheStats(await Deno.makeTempDir())).entries, 0);
 * ```
 */
export async function cacheStats(dir: string): Promise<CacheStats> {
  const stats: CacheStats = { entries: 0, bytes: 0 };
  for (const file of await files(join(dir, "v1"))) {
    stats.bytes += file.size;
    if (file.path.includes("/entries/")) stats.entries++;
  }
  stats.entries += packedEntries(join(dir, "v1"));
  const last = readStats(dir).lastRun;
  if (last) stats.lastRun = last;
  return stats;
}

/**
 * Record a run's hits and misses, and the bytes it stored; merge the packs
 * of remote hits when there are many; prune if that may have taken the
 * cache past its cap (a full count happens only then).
 *
 * @param dir The cache folder.
 * @param run The run's hits, misses and bytes stored.
 * @param maxBytes The size cap.
 */
export async function recordRun(
  dir: string,
  run: { hits: number; remoteHits?: number; misses: number; bytes: number },
  maxBytes: number = DEFAULT_MAX_BYTES,
): Promise<void> {
  const stats = readStats(dir);
  stats.lastRun = { hits: run.hits, misses: run.misses, at: Date.now() };
  if (run.remoteHits) stats.lastRun.remote = run.remoteHits;
  stats.added = (stats.added ?? 0) + run.bytes;
  mergePacks(join(dir, "v1"));
  if (stats.counted === undefined || stats.counted + stats.added > maxBytes) {
    const { bytes } = await pruneCache(dir, maxBytes);
    stats.counted = bytes;
    stats.added = 0;
  }
  writeAtomic(join(dir, "v1", "stats.json"), JSON.stringify(stats));
}

/**
 * Remove the least recently used entries until the cache fits, then every
 * blob no entry names. A pack (the entries one run restored from the remote
 * cache) goes as a whole.
 *
 * @param dir The cache folder.
 * @param maxBytes The size to fit in.
 * @returns What was removed, and the size left.
 */
export async function pruneCache(
  dir: string,
  maxBytes: number,
): Promise<{ removedEntries: number; bytes: number }> {
  const root = join(dir, "v1");
  const all = await files(root);
  let bytes = all.reduce((sum, file) => sum + file.size, 0);
  const entries = all.filter((file) => file.path.includes("/entries/") || isPack(file.path))
    .sort((a, b) => a.mtime - b.mtime);
  let removedEntries = 0;
  for (const entry of entries) {
    if (bytes <= maxBytes) break;
    try {
      const count = isPack(entry.path) ? entriesInPack(entry.path) : 1;
      Deno.removeSync(entry.path);
      bytes -= entry.size;
      removedEntries += count;
    } catch {
      // already gone
    }
    if (isPack(entry.path)) bytes -= removeIndex(entry.path, all);
  }
  if (removedEntries > 0) bytes -= removeUnusedBlobs(all);
  return { removedEntries, bytes };
}

/**
 * Empty a cache folder.
 *
 * @param dir The cache folder.
 * @returns How many bytes it held.
 */
export async function cleanCache(dir: string): Promise<number> {
  const { bytes } = await cacheStats(dir);
  try {
    await Deno.remove(join(dir, "v1"), { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return bytes;
}

function isPack(path: string): boolean {
  return path.includes("/packs/") && path.endsWith(".pack");
}

/** Remove the index of a removed pack; returns the bytes freed. */
function removeIndex(pack: string, all: FileInfo[]): number {
  const index = all.find((file) => file.path === indexOf(pack));
  try {
    Deno.removeSync(indexOf(pack));
    return index?.size ?? 0;
  } catch {
    return 0;
  }
}

/** Remove the blobs no remaining manifest names; returns the bytes freed. */
function removeUnusedBlobs(all: FileInfo[]): number {
  const used = new Set<string>();
  for (const file of all) {
    if (!file.path.includes("/entries/")) continue;
    try {
      const text = Deno.readTextFileSync(file.path);
      for (const match of text.matchAll(/"(?:hash|blob)":"([0-9a-f]{64})"/g)) used.add(match[1]!);
    } catch {
      // removed above
    }
  }
  let freed = 0;
  for (const file of all) {
    if (!file.path.includes("/blobs/")) continue;
    const name = file.path.slice(file.path.lastIndexOf("/") + 1);
    if (used.has(name)) continue;
    // A blob written in the last minute may belong to an entry being stored right now.
    if (Date.now() - file.mtime < 60_000) continue;
    try {
      Deno.removeSync(file.path);
      freed += file.size;
    } catch {
      // already gone
    }
  }
  return freed;
}

interface FileInfo {
  path: string;
  size: number;
  mtime: number;
}

async function files(root: string): Promise<FileInfo[]> {
  const found: FileInfo[] = [];
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

function readStats(dir: string): StatsFile {
  try {
    const data = JSON.parse(Deno.readTextFileSync(join(dir, "v1", "stats.json")));
    if (data?.version === 1) return data as StatsFile;
  } catch {
    // missing or damaged
  }
  return { version: 1 };
}
