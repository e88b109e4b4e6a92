/**
 * Benchmark job graphs from a seed: a chain, a wide fan-out, a diamond and
 * layered random DAGs, with no-op or random 10-100 ms jobs. Every tool runs the
 * same graph, written in its own format by `formats/`.
 *
 * @module
 */

import { mulberry32, type Random, randomInt } from "./prng.ts";

/** The shapes of graph the generator makes. */
export type Shape = "chain" | "wide" | "diamond" | "layered";

/** How long jobs take: `zero` (no-ops) or `random` (a whole number of ms in 10-100). */
export type Durations = "zero" | "random";

/** What graph to make. */
export interface GraphSpec {
  /** `chain`: each job waits for the one before; `wide`: no deps at all;
   * `diamond`: one root, N-2 jobs in the middle, one sink; `layered`: random DAG. */
  shape: Shape;
  /** Number of jobs. */
  n: number;
  /** How long jobs take. @default {"zero"} */
  durations?: Durations;
  /** Layers of a `layered` graph. @default {10} */
  layers?: number;
  /** Most dependencies a `layered` job has. @default {3} */
  maxDeps?: number;
  /** Seed of the random deps and durations. @default {1} */
  seed?: number;
}

/** One job of a benchmark graph. */
export interface BenchJob {
  /** Its name, `j<index>`. */
  name: string;
  /** Indices of the jobs it waits for, all lower than its own index. */
  deps: number[];
  /** How long it works, in milliseconds (0: a no-op). */
  durationMs: number;
}

/** A benchmark graph: jobs in topological order. */
export interface BenchGraph {
  /** What it was made from. */
  spec: GraphSpec;
  /** The jobs; every dependency comes before its dependents. */
  jobs: BenchJob[];
}

/**
 * Make a graph from its spec; the same spec always gives the same graph.
 *
 * @param spec Shape, size, durations and seed.
 * @returns The graph.
 * @throws {RangeError} If `n` is below 1, or `layers` is not in `1..n`.
 *
 * @example Usage
 * ```ts
 * import { makeGraph } from "./graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const graph = makeGraph({ shape: "diamond", n: 4 });
 * assertEquals(graph.jobs.map((job) => job.deps), [[], [0], [0], [1, 2]]);
 * ```
 */
export function makeGraph(spec: GraphSpec): BenchGraph {
  const { shape, n } = spec;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot make a graph of ${n} jobs: expected a whole number >= 1`);
  }
  const random = mulberry32(spec.seed ?? 1);
  const deps = shape === "chain"
    ? chain(n)
    : shape === "wide"
    ? Array.from({ length: n }, () => [])
    : shape === "diamond"
    ? diamond(n)
    : layered(n, spec.layers ?? 10, spec.maxDeps ?? 3, random);
  const durations = spec.durations ?? "zero";
  const jobs = deps.map((list, i) => ({
    name: `j${i}`,
    deps: list,
    durationMs: durations === "zero" ? 0 : randomInt(random, 10, 100),
  }));
  return { spec, jobs };
}

/**
 * A short name for a graph, for tables and directories.
 *
 * @param spec The graph's spec.
 * @returns For example `layered-200x10-random`.
 *
 * @example Usage
 * ```ts
 * import { graphLabel } from "./graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(graphLabel({ shape: "chain", n: 100 }), "chain-100-zero");
 * ```
 */
export function graphLabel(spec: GraphSpec): string {
  const size = spec.shape === "layered" ? `${spec.n}x${spec.layers ?? 10}` : `${spec.n}`;
  return `${spec.shape}-${size}-${spec.durations ?? "zero"}`;
}

/**
 * The jobs no other job depends on: what a tool must be asked to build.
 *
 * @param graph The graph.
 * @returns Their indices, in order.
 *
 * @example Usage
 * ```ts
 * import { makeGraph, sinks } from "./graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(sinks(makeGraph({ shape: "chain", n: 3 })), [2]);
 * ```
 */
export function sinks(graph: BenchGraph): number[] {
  const used = new Uint8Array(graph.jobs.length);
  for (const job of graph.jobs) for (const dep of job.deps) used[dep] = 1;
  const result: number[] = [];
  used.forEach((flag, i) => flag === 0 && result.push(i));
  return result;
}

function chain(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => i === 0 ? [] : [i - 1]);
}

function diamond(n: number): number[][] {
  if (n < 3) return chain(n);
  const middle = Array.from({ length: n - 2 }, (_, i) => i + 1);
  return [[], ...middle.map(() => [0]), middle];
}

/** Jobs split evenly into layers; each job after the first layer waits for one
 * random job of the layer before, plus up to `maxDeps - 1` of any earlier layer. */
function layered(n: number, layers: number, maxDeps: number, random: Random): number[][] {
  if (!Number.isInteger(layers) || layers < 1 || layers > n) {
    throw new RangeError(`Cannot split ${n} jobs into ${layers} layers`);
  }
  const start = (layer: number) => Math.floor((layer * n) / layers);
  const deps: number[][] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let i = start(layer); i < start(layer + 1); i++) {
      if (layer === 0) {
        deps.push([]);
        continue;
      }
      const previous = start(layer - 1);
      const mine = new Set([randomInt(random, previous, start(layer) - 1)]);
      const extra = randomInt(random, 0, Math.max(maxDeps - 1, 0));
      for (let k = 0; k < extra; k++) mine.add(randomInt(random, 0, start(layer) - 1));
      deps.push([...mine].sort((a, b) => a - b));
    }
  }
  return deps;
}
