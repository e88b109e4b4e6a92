/**
 * What `deno task bench` measures: the full plan (a few minutes on 2 cores)
 * and the quick plan for CI (well under a minute).
 *
 * @module
 */

import type { ComparisonSpec } from "./compare.ts";
import type { DenoTasksOptions } from "./deno_tasks.ts";
import type { DiagnosticsCostOptions } from "./diagnostics_cost.ts";
import type { RemoteCacheBenchOptions } from "./remote_cache.ts";
import type { DistributedBenchOptions } from "./distributed.ts";
import type { ScaleOptions } from "./scale.ts";
import type { CacheBenchOptions } from "./cache/run.ts";
import type { HashBenchOptions } from "./cache/hash.ts";
import type { WatchBenchOptions } from "./watch.ts";

/** One step of a plan. */
export type Step =
  | { kind: "startup"; reps: number }
  | { kind: "compare"; spec: ComparisonSpec }
  | { kind: "scale"; options: ScaleOptions }
  | { kind: "diagnostics"; options: DiagnosticsCostOptions }
  | { kind: "remote-cache"; options: RemoteCacheBenchOptions }
  | { kind: "distributed"; options: DistributedBenchOptions }
  | { kind: "cache"; options: CacheBenchOptions }
  | { kind: "hash"; options: HashBenchOptions }
  | { kind: "deno-tasks"; options: DenoTasksOptions }
  | { kind: "watch"; options: WatchBenchOptions };

const LAYERED_200 = { shape: "layered", n: 200, layers: 10, durations: "random", seed: 7 } as const;

/**
 * The full plan: start-up; 100,000 no-op jobs against Python asyncio; 1,000
 * `true` processes against ninja, make, `deno task` and the floors; layered
 * random DAGs at -j 4 and -j 8, and one whose critical path is as long as its
 * work divided by 8 (two consecutive gather runs each); the diagnostics' cost
 * on four of those graphs; deno.json tasks against `deno task`; scale; the
 * remote cache (cold, local-hit and remote-hit runs of 1,000 cached jobs);
 * distributed runs (200 CPU-bound jobs of 200 ms, locally and on 2 and 3
 * workers).
 *
 * @returns The steps.
 *
 * @example Usage
 * ```ts
 * import { fullPlan } from "./plan.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(fullPlan()[0]!.kind, "startup");
 * ```
 */
export function fullPlan(): Step[] {
  return [
    { kind: "startup", reps: 10 },
    {
      kind: "compare",
      spec: {
        id: "overhead",
        title: "Scheduling overhead: 100,000 no-op in-process jobs (layered DAG)",
        graph: { shape: "layered", n: 100_000, layers: 100, seed: 1 },
        kind: "async",
        slots: 8,
        reps: 3,
      },
    },
    {
      kind: "compare",
      spec: {
        id: "process",
        title: "Process jobs: 1,000 `true` processes, no deps, -j 8",
        graph: { shape: "wide", n: 1000 },
        kind: "process",
        slots: 8,
        reps: 3,
      },
    },
    ...[4, 8].map((slots): Step => ({
      kind: "compare",
      spec: {
        id: `quality-j${slots}`,
        title: `Schedule quality: layered DAG, 200 jobs of 10-100 ms in-process, -j ${slots}`,
        graph: LAYERED_200,
        kind: "async",
        slots,
        reps: 2,
        secondRun: true,
      },
    })),
    {
      kind: "compare",
      spec: {
        id: "quality-tight-j8",
        title: "Schedule quality, tight: 200 jobs in 25 layers (critical path ≈ work / 8), -j 8",
        graph: { ...LAYERED_200, layers: 25 },
        kind: "async",
        slots: 8,
        reps: 2,
        secondRun: true,
      },
    },
    {
      kind: "compare",
      spec: {
        id: "quality-process-j4",
        title: "Schedule quality with processes: the same DAG as `sleep` processes, -j 4",
        graph: LAYERED_200,
        kind: "process",
        slots: 4,
        reps: 2,
        secondRun: true,
      },
    },
    {
      kind: "diagnostics",
      options: {
        pairs: 7,
        graphs: [
          {
            id: "process",
            title: "1,000 `true` processes, -j 8",
            graph: { shape: "wide", n: 1000 },
            kind: "process",
            slots: 8,
          },
          {
            id: "overhead",
            title: "100,000 no-op jobs, layered",
            graph: { shape: "layered", n: 100_000, layers: 100, seed: 1 },
            kind: "async",
            slots: 8,
          },
          {
            id: "layered",
            title: "200 jobs of 10-100 ms in-process, -j 8",
            graph: LAYERED_200,
            kind: "async",
            slots: 8,
          },
          {
            id: "layered-process",
            title: "the same as `sleep` processes, -j 4",
            graph: LAYERED_200,
            kind: "process",
            slots: 4,
          },
        ],
      },
    },
    { kind: "deno-tasks", options: { reps: 10, tasks: 50, members: 20, inputs: 200 } },
    { kind: "scale", options: { sizes: [1000, 10_000, 100_000], reps: 2, slots: 8 } },
    { kind: "cache", options: { jobs: 1000, layers: 10, files: 10, reps: 5, installPeers: true } },
    { kind: "hash", options: { megabytes: 1024, files: 64, reps: 3 } },
    { kind: "remote-cache", options: { jobs: 1000, reps: 3, slots: 8 } },
    { kind: "watch", options: { edits: 50, restarts: 20 } },
    { kind: "distributed", options: { jobs: 200, jobMs: 200, reps: 2 } },
  ];
}

/**
 * The quick plan, for CI: small graphs, one round, no warm-up; every
 * installed tool runs each job kind once.
 *
 * @returns The steps.
 *
 * @example Usage
 * ```ts
 * import { quickPlan } from "./plan.ts";
 * import { assert } from "@std/assert";
 *
 * assert(quickPlan().every((step) => step.kind !== "scale"));
 * ```
 */
export function quickPlan(): Step[] {
  const small = { shape: "layered", n: 30, layers: 3, durations: "random", seed: 7 } as const;
  return [
    { kind: "startup", reps: 2 },
    ...(["async", "process"] as const).map((kind): Step => ({
      kind: "compare",
      spec: {
        id: `quick-${kind}`,
        title: `Quick: layered DAG, 30 jobs of 10-100 ms, ${kind} jobs, -j 4`,
        graph: small,
        kind,
        slots: 4,
        reps: 1,
        warmup: false,
        secondRun: kind === "async",
      },
    })),
    {
      kind: "compare",
      spec: {
        id: "quick-wide",
        title: "Quick: 100 `true` processes, no deps, -j 4",
        graph: { shape: "wide", n: 100 },
        kind: "process",
        slots: 4,
        reps: 1,
        warmup: false,
      },
    },
    {
      kind: "diagnostics",
      options: {
        pairs: 1,
        graphs: [{
          id: "quick",
          title: "100 `true` processes, -j 4",
          graph: { shape: "wide", n: 100 },
          kind: "process",
          slots: 4,
        }],
      },
    },
    { kind: "cache", options: { jobs: 30, layers: 3, files: 3, reps: 1, installPeers: false } },
    { kind: "deno-tasks", options: { reps: 2, tasks: 10, members: 5, inputs: 20 } },
    { kind: "remote-cache", options: { jobs: 100, reps: 1, slots: 4 } },
    { kind: "watch", options: { edits: 5, restarts: 3 } },
    { kind: "distributed", options: { jobs: 20, jobMs: 50, reps: 1 } },
  ];
}
