/**
 * The graph of a run, weighted by the durations the history remembers:
 * what every run needs, without the cache (which `plan.ts` adds, and which
 * only runs with cached jobs load).
 *
 * @module
 */

import { buildGraph, type Graph } from "../engine/graph.ts";
import type { CachingRunner } from "../cache/runner.ts";
import type { JobNames } from "../load/resolve.ts";
import { History } from "../state/history.ts";
import type { JobSpec } from "../types.ts";

/** Where a run's remembered durations are kept. */
export interface HistoryPlace {
  /** The history file. */
  path: string;
  /** Whose durations: the task file's URL, say. */
  key: string;
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
}

/** Options of {@linkcode planGraph}. */
export interface PlanGraphOptions {
  /** Where the jobs come from, for error messages (a quoted file name). */
  source: string;
  /** Read remembered durations from here. @default {no history} */
  history?: HistoryPlace;
}

/**
 * Build the graph of the targets, weighted by their remembered durations.
 *
 * @param specs Every job, by name.
 * @param names Each handle's name.
 * @param targets The jobs to run.
 * @param options Where they come from and where their history is.
 * @returns The plan, without a cache.
 * @throws {GatherError} On an unknown target or dependency, or a cycle.
 *
 * @example Usage
 * ```ts
 * import { planGraph } from "./plan_graph.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = job(() => 1);
 * const { specs, names } = resolveJobs([["a", a], ["b", job({ deps: [a] }, () => 2)]], "x");
 * assertEquals(planGraph(specs, names, ["b"], { source: "x" }).graph.jobs.length, 2);
 * ```
 */
export function planGraph(
  specs: ReadonlyMap<string, JobSpec>,
  names: JobNames,
  targets: readonly string[],
  options: PlanGraphOptions,
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
  return plan;
}
