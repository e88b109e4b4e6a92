/**
 * Setting up the cache for a run: the task file's code context hashed (or
 * remembered), the store opened, every cached job's globs checked.
 *
 * @module
 */

import { fromFileUrl, relative } from "../deps/path.ts";
import type { JobSpec } from "../types.ts";
import { rememberedCodeContext } from "./code.ts";
import { type CacheMode, CachingRunner } from "./runner.ts";
import { sha256 } from "./stat_index.ts";
import { LocalStore } from "./store.ts";

/** Where and how a run uses the cache (the same shape as the session's `CachePlace`). */
export interface CacheSetup {
  /** The cache folder. */
  dir: string;
  /** The project root (absolute). */
  root: string;
  /** The task file's URL. */
  taskFile?: string;
  /** `read-write`, `write-only` or `dry`. */
  mode: CacheMode;
  /** Say why each job runs. */
  explain?: boolean;
  /** Deno's cache directory. */
  denoDir?: string | undefined;
}

/**
 * The cache for a graph: its code context hashed, its jobs' globs checked.
 *
 * @param jobs The run's jobs.
 * @param place Where and how to use the cache.
 * @param source Where the jobs come from, for messages.
 * @returns The cache, or `undefined` when no job is cached.
 * @throws {GatherError} When a glob leaves the project root.
 */
export function prepareCache(
  jobs: readonly JobSpec[],
  place: CacheSetup,
  source: string,
): CachingRunner | undefined {
  const cached = jobs.filter((spec) => spec.cache !== undefined);
  if (cached.length === 0) return undefined;
  const root = place.root;
  const store = new LocalStore(place.dir);
  const context = place.taskFile === undefined
    ? { hash: "", modules: {} }
    : rememberedCodeContext(store.memoPath(`context-${sha256(place.taskFile)}`), {
      taskFile: place.taskFile,
      jobTexts: cached.map((spec) => spec.cache!.code ?? spec.fn.toString()),
      root,
      denoDir: place.denoDir,
    });
  const taskId = place.taskFile?.startsWith("file:")
    ? relative(root, fromFileUrl(place.taskFile))
    : place.taskFile ?? "run()";
  const caching = new CachingRunner({
    store,
    root,
    context,
    taskId,
    mode: place.mode,
    ...(place.explain === undefined ? {} : { explain: place.explain }),
  });
  caching.check(cached, source);
  return caching;
}
