/**
 * The closing summary of a run, computed once by the engine from how each
 * job ended: the critical path, the slowest jobs and the failures. Every
 * reporter formats this one summary; none computes its own.
 *
 * @module
 */

import type { RunSummaryInfo, TimedJobInfo } from "../events.ts";
import type { Graph } from "./graph.ts";

/** What the summary needs of a job's outcome. */
export interface SummarizedOutcome {
  /** The job's name. */
  name: string;
  /** Whether it started. */
  started: boolean;
  /** How long it ran, in ms. */
  durationMs: number;
  /** For a service: how long it took to be ready, which is what its dependents waited for. */
  readyMs?: number;
  /** Why it failed. */
  error?: Error;
}

/** How many slowest jobs a summary lists. */
const SLOWEST = 5;

/**
 * Summarise a run.
 *
 * The critical path is the longest chain of durations through the graph:
 * among the jobs that ran, the chain of dependencies whose durations add up
 * to the most. It does not depend on when jobs happened to be scheduled, so
 * a short job queued late never appears on it.
 *
 * @param graph The run's graph.
 * @param outcomes Each job's outcome, by graph index.
 * @param failed The indices of the jobs that failed, in the order they failed.
 * @returns The summary.
 *
 * @example Usage
 * ```ts
 * import { summarize } from "./summary.ts";
 * import { buildGraph } from "./graph.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const long = job(() => 1);
 * const short = job(() => 1);
 * const link = job({ deps: [long, short] }, () => 1);
 * const { specs } = resolveJobs([["long", long], ["short", short], ["link", link]], "x");
 * const graph = buildGraph(specs, ["link"]);
 * const ran = (name: string, durationMs: number) => ({ name, started: true, durationMs });
 * const summary = summarize(graph, [ran("long", 1000), ran("short", 50), ran("link", 4)], []);
 * assertEquals(summary.criticalPath.map((job) => job.name), ["long", "link"]);
 * ```
 */
export function summarize(
  graph: Graph,
  outcomes: readonly SummarizedOutcome[],
  failed: readonly number[],
): RunSummaryInfo {
  const timed = (i: number): TimedJobInfo => ({
    name: outcomes[i]!.name,
    durationMs: Math.round(weight(outcomes[i]!) * 100) / 100,
  });
  return {
    criticalPath: criticalPath(graph, outcomes).map(timed),
    slowest: slowest(outcomes).map(timed),
    failures: failed.map((i) => ({
      name: outcomes[i]!.name,
      message: outcomes[i]!.error?.message ?? "failed",
    })),
  };
}

/** The longest chain of durations among the jobs that ran, first to last, by index. */
function criticalPath(graph: Graph, outcomes: readonly SummarizedOutcome[]): number[] {
  const { depStart, depList } = graph;
  const count = outcomes.length;
  const length = new Float64Array(count);
  const before = new Int32Array(count).fill(-1);
  let end = -1;
  // Jobs are in topological order: every dependency's chain is known before its dependents'.
  for (let i = 0; i < count; i++) {
    if (!outcomes[i]!.started) continue;
    let best = -1;
    for (let k = depStart[i]!; k < depStart[i + 1]!; k++) {
      const dep = depList[k]!;
      if (outcomes[dep]!.started && (best < 0 || length[dep]! > length[best]!)) best = dep;
    }
    before[i] = best;
    length[i] = weight(outcomes[i]!) + (best < 0 ? 0 : length[best]!);
    if (end < 0 || length[i]! > length[end]!) end = i;
  }
  const path: number[] = [];
  for (let at = end; at >= 0; at = before[at]!) path.push(at);
  return path.reverse();
}

/** The slowest jobs that ran, slowest first, by index. */
function slowest(outcomes: readonly SummarizedOutcome[]): number[] {
  const top: number[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i]!;
    if (!outcome.started) continue;
    if (top.length === SLOWEST && weight(outcome) <= weight(outcomes[top[SLOWEST - 1]!]!)) {
      continue;
    }
    top.push(i);
    top.sort((a, b) => weight(outcomes[b]!) - weight(outcomes[a]!));
    if (top.length > SLOWEST) top.pop();
  }
  return top;
}

/** How long a job held up the run: a service, until it was ready; any other job, its duration. */
function weight(outcome: SummarizedOutcome): number {
  return outcome.readyMs ?? outcome.durationMs;
}
