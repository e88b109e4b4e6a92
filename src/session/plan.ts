/**
 * What a run will do, before it does it: the graph of the selected jobs,
 * weighted by the durations the history remembers.
 *
 * @module
 */

import { buildGraph, type Graph } from "../engine/graph.ts";
import type { JobNames } from "../load/resolve.ts";
import type { CachingRunner } from "../cache/runner.ts";
import type { CacheSetup } from "../cache/setup.ts";
import { History } from "../state/history.ts";
import type { JobSpec } from "../types.ts";
import { lazy } from "../lazy.ts";

/** Where a run's remembered durations are kept. */
export interface HistoryPlace {
  /** The history file. */
  path: string;
  /** Whose durations: the task file's URL, say. */
  key: string;
}

/** How a run uses the cache: the cache's own {@linkcode CacheSetup}. */
export type CachePlace = CacheSetup;

/** Options of {@linkcode planRun}. */
export interface PlanOptions {
  /** Where the jobs come from, for error messages (a quoted file name). */
  source: string;
  /** Read remembered durations from here. @default {no history} */
  history?: HistoryPlace;
}

/** A run ready to start. */
export interface RunPlan {
  /** The selected jobs and their dependencies. */
  graph: Graph;
  /** The name given to each job handle. */
  names: JobNames;
  /** The history read, to be written back after the run. */
  history?: History;
  /** The cache, checked and ready to stand in front of the runner. */
  cache?: CachingRunner;
  /** Only services were asked for: they run until the run is cancelled (Ctrl-C). */
  keepServices?: boolean;
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
  const history = options.history
    ? History.load(options.history.path, options.history.key)
    : undefined;
  const weights = history?.weights([...specs.keys()]);
  const graph = buildGraph(specs, targets, {
    source: options.source,
    ...(weights && weights.size > 0 ? { weights } : {}),
  });
  const plan: RunPlan = { graph, names };
  if (history) plan.history = history;
  if (targets.length > 0 && targets.every((name) => specs.get(name)?.service !== undefined)) {
    plan.keepServices = true;
  }
  return plan;
}

/**
 * Put the cache in front of a planned run, when some of its jobs are cached.
 * The cache's modules (and `node:crypto`) are loaded only then: a run
 * without cached jobs does not pay for them at start-up.
 *
 * @param plan The planned run.
 * @param all Every job the run's jobs were loaded with (the task file's).
 * @param place Where and how to use the cache.
 * @param source Where the jobs come from, for messages.
 * @throws {GatherError} When a cached job's glob leaves the project root.
 */
export async function attachCache(
  plan: RunPlan,
  all: ReadonlyMap<string, JobSpec>,
  place: CachePlace,
  source: string,
): Promise<void> {
  if (!plan.graph.jobs.some((spec) => spec.cache !== undefined)) return;
  const { prepareCache } = await lazy<typeof import("../cache/setup.ts")>(
    new URL("../cache/setup.ts", import.meta.url),
  );
  const cache = await prepareCache(all.values(), plan.graph.jobs, place, source);
  if (cache) plan.cache = cache;
}
