/**
 * Setting up the cache for a run: the task file's code context hashed (or
 * remembered), the store opened, every cached job's globs checked.
 *
 * @module
 */

import { fromFileUrl, relative } from "../deps/path.ts";
import type { JobSpec } from "../types.ts";
import type { RemoteCacheConfig } from "./remote_client.ts";
import { rememberedCodeContext } from "./code.ts";
import { type CacheMode, CachingRunner } from "./runner.ts";
import { lazyHasher, nameFor } from "./hash.ts";
import { LocalStore } from "./store.ts";
import { lazy } from "../lazy.ts";

/** Where and how a run uses the cache. */
export interface CacheSetup {
  /** The cache folder. */
  dir: string;
  /** The project root (absolute). */
  root: string;
  /** The task file's URL: its code outside the jobs, and its local imports, are in every key. */
  taskFile?: string;
  /** `read-write`, `write-only` (`--force`) or `dry` (`--dry-run`). */
  mode: CacheMode;
  /** Say why each job runs. */
  explain?: boolean;
  /** Deno's cache directory, where the task file's emitted JavaScript is. */
  denoDir?: string | undefined;
  /** The remote cache, consulted after the local one. */
  remote?: RemoteCacheConfig;
}

/**
 * The cache for a graph: its code context hashed (or remembered), its jobs'
 * globs checked. The code context takes every cached job of the task file,
 * not only the selected ones: a job's key must not depend on which other
 * jobs were asked for.
 *
 * @param all Every job the jobs were loaded with.
 * @param jobs The run's jobs.
 * @param place Where and how to use the cache.
 * @param source Where the jobs come from, for messages.
 * @returns The cache, or `undefined` when no job of the run is cached.
 * @throws {GatherError} When a glob leaves the project root.
 */
export async function prepareCache(
  all: Iterable<JobSpec>,
  jobs: readonly JobSpec[],
  place: CacheSetup,
  source: string,
): Promise<CachingRunner | undefined> {
  const cached = jobs.filter((spec) => spec.cache !== undefined);
  if (cached.length === 0) return undefined;
  const root = place.root;
  const hasher = lazyHasher();
  const store = new LocalStore(place.dir, hasher);
  const specs = [...all];
  // A deno.json task's code is its command and settings (`cache.code`), hashed as it is: the
  // same key whether or not a task file is loaded beside its config.
  const declared = specs.filter((spec) => spec.cache !== undefined && !spec.cache.fromConfig);
  const texts = declared.map((spec) => spec.cache!.code ?? spec.fn.toString());
  const uncachedJobs = specs.filter((spec) => spec.cache === undefined)
    .map((spec) => ({ text: spec.fn.toString(), name: spec.fn.name }));
  const context = place.taskFile === undefined
    ? { hash: "", modules: {}, codes: [] }
    : await rememberedCodeContext(store.memoPath(`context-${nameFor(place.taskFile)}`), {
      taskFile: place.taskFile,
      jobTexts: texts,
      jobNames: declared.map((spec) => spec.fn.name),
      uncachedJobs,
      root,
      denoDir: place.denoDir,
    }, hasher);
  const codes = new Map(declared.map((spec, i) => [spec.name, context.codes[i]]));
  const taskId = place.taskFile?.startsWith("file:")
    ? relative(root, fromFileUrl(place.taskFile))
    : place.taskFile ?? "run()";
  // The remote cache's modules (zstd, the archive, HTTP) load only when one is configured.
  // A dry run asks it whether it has each key, and downloads nothing.
  const remote = place.remote === undefined
    ? undefined
    : new (await lazy<typeof import("./remote.ts")>(new URL("./remote.ts", import.meta.url)))
      .RemoteStore(place.remote, store);
  const caching = new CachingRunner({
    store,
    root,
    context: context.modules,
    codes,
    taskId,
    mode: place.mode,
    ...(place.explain === undefined ? {} : { explain: place.explain }),
    ...(remote === undefined ? {} : { remote }),
  });
  caching.check(cached, source);
  return caching;
}
