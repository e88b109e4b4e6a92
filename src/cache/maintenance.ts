/**
 * Keeping a cache folder in shape: its size, the last run's hits and misses,
 * pruning it to its cap after a run (`prune.ts`), and emptying it.
 *
 * @module
 */

import { join } from "../deps/path.ts";
import { readTextFileOnly } from "../file_kind.ts";
import { writeAtomic } from "./atomic.ts";
import { cacheFiles, isManifestFile } from "./_cache_files.ts";
import { mergePacks, packedEntries } from "./pack.ts";
import { pruneCache } from "./prune.ts";

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
  for (const file of await cacheFiles(join(dir, "v1"))) {
    stats.bytes += file.size;
    if (isManifestFile(file.path)) stats.entries++;
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

function readStats(dir: string): StatsFile {
  try {
    const data = JSON.parse(readTextFileOnly(join(dir, "v1", "stats.json")));
    if (data?.version === 1) return data as StatsFile;
  } catch {
    // missing or damaged
  }
  return { version: 1 };
}
