/**
 * What a run will do, before it does it: the graph of the selected jobs,
 * weighted by the durations the history remembers.
 *
 * @module
 */

import type { JobNames } from "../load/resolve.ts";
import { rememberedCodeContext } from "../cache/code.ts";
import { sha256 } from "../cache/stat_index.ts";
import { type CacheMode, CachingRunner } from "../cache/runner.ts";
import { LocalStore } from "../cache/store.ts";
import { fromFileUrl, relative } from "../deps/path.ts";
import type { JobSpec } from "../types.ts";
import { type HistoryPlace, planGraph, type RunPlan } from "./plan_graph.ts";

export type { HistoryPlace, RunPlan } from "./plan_graph.ts";

/** How a run uses the cache. */
export interface CachePlace {
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
  /** More of the code context, by name: hashes of files every job's key depends on. */
  context?: Record<string, string>;
}

/** Options of {@linkcode planRun}. */
export interface PlanOptions {
  /** Where the jobs come from, for error messages (a quoted file name). */
  source: string;
  /** Read remembered durations from here. @default {no history} */
  history?: HistoryPlace;
  /** Use the result cache. @default {no cache} */
  cache?: CachePlace;
}

/**
 * Build the graph of the targets, weighted by their remembered durations.
 *
 * @param specs Every job, by name.
 * @param names Each handle's name.
 * @param targets The jobs to run.
 * @param options Where they come from and where their history is.
 * @returns The plan.
 * @throws {GatherError} On an unknown target or dependency, or a cycle.
 *
 * @example Usage
 * ```ts
 * import { planRun } from "./plan.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = job(() => 1);
 * const { specs, names } = resolveJobs([["a", a], ["b", job({ deps: [a] }, () => 2)]], "x");
 * const plan = planRun(specs, names, ["b"], { source: "x" });
 * assertEquals(plan.graph.jobs.map((spec) => spec.name), ["a", "b"]);
 * ```
 */
export function planRun(
  specs: ReadonlyMap<string, JobSpec>,
  names: JobNames,
  targets: readonly string[],
  options: PlanOptions,
): RunPlan {
  const plan = planGraph(specs, names, targets, options);
  const cache = options.cache && prepareCache(plan.graph.jobs, options.cache, options.source);
  if (cache) plan.cache = cache;
  return plan;
}

/**
 * The cache for a graph: its code context hashed, its jobs' globs checked.
 *
 * @param jobs The graph's jobs.
 * @param place Where and how the run uses the cache.
 * @param source Where the jobs come from, for messages.
 * @returns The cache, or `undefined` when no job is cached.
 * @throws {GatherError} When a glob leaves the project root.
 */
export function prepareCache(
  jobs: readonly JobSpec[],
  place: CachePlace,
  source: string,
): CachingRunner | undefined {
  const cached = jobs.filter((spec) => spec.cache !== undefined);
  if (cached.length === 0) return undefined;
  const root = place.root;
  const store = new LocalStore(place.dir);
  let context = place.taskFile === undefined
    ? { hash: "", modules: {} }
    : rememberedCodeContext(store.memoPath(`context-${sha256(place.taskFile)}`), {
      taskFile: place.taskFile,
      jobTexts: cached.map((spec) => spec.cache!.code ?? spec.fn.toString()),
      root,
      denoDir: place.denoDir,
    });
  if (place.context !== undefined && Object.keys(place.context).length > 0) {
    const modules = { ...context.modules, ...place.context };
    context = { hash: sha256(JSON.stringify(Object.entries(modules).sort())), modules };
  }
  const taskId = place.taskFile?.startsWith("file:")
    ? relative(root, fromFileUrl(place.taskFile))
    : place.taskFile ?? (place.context === undefined ? "run()" : "deno.json");
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
