/**
 * The best makespan any scheduler could reach on a graph with J slots:
 * `max(critical path, total work / J)`.
 *
 * @module
 */

import type { BenchGraph } from "./graphs.ts";

/**
 * The longest chain of job durations through the graph.
 *
 * @param graph The graph.
 * @returns Its length in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { criticalPath } from "./bounds.ts";
 * import { makeGraph } from "./graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const graph = makeGraph({ shape: "chain", n: 3 });
 * graph.jobs.forEach((job) => job.durationMs = 10);
 * assertEquals(criticalPath(graph), 30);
 * ```
 */
export function criticalPath(graph: BenchGraph): number {
  const finish = new Float64Array(graph.jobs.length);
  let longest = 0;
  graph.jobs.forEach((job, i) => {
    let start = 0;
    for (const dep of job.deps) start = Math.max(start, finish[dep]!);
    finish[i] = start + job.durationMs;
    longest = Math.max(longest, finish[i]!);
  });
  return longest;
}

/**
 * The sum of all job durations.
 *
 * @param graph The graph.
 * @returns Milliseconds.
 *
 * @example Usage
 * ```ts
 * import { totalWork } from "./bounds.ts";
 * import { makeGraph } from "./graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(totalWork(makeGraph({ shape: "wide", n: 5 })), 0);
 * ```
 */
export function totalWork(graph: BenchGraph): number {
  return graph.jobs.reduce((sum, job) => sum + job.durationMs, 0);
}

/**
 * The lower bound of the makespan with `slots` jobs at once.
 *
 * @param graph The graph.
 * @param slots The concurrency limit.
 * @returns `max(critical path, total work / slots)` in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { lowerBound } from "./bounds.ts";
 * import { makeGraph } from "./graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const graph = makeGraph({ shape: "wide", n: 4 });
 * graph.jobs.forEach((job) => job.durationMs = 10);
 * assertEquals(lowerBound(graph, 2), 20);
 * ```
 */
export function lowerBound(graph: BenchGraph, slots: number): number {
  return Math.max(criticalPath(graph), totalWork(graph) / slots);
}
