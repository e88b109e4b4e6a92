/**
 * What every format writer shares: the two kinds of job, the programs that
 * process jobs run, and the tool-independent form a format is read back into.
 *
 * @module
 */

import type { BenchGraph, BenchJob } from "../graphs.ts";

/** `async`: in-process sleeps (or no-ops); `process`: a `sleep` or `true` subprocess per job. */
export type JobKind = "async" | "process";

/** Absolute paths of the programs process jobs run. */
export interface Programs {
  /** `true`, for 0 ms jobs. */
  true: string;
  /** `sleep`, for the others. */
  sleep: string;
}

/** The programs at their usual Debian paths. */
export const DEFAULT_PROGRAMS: Programs = { true: "/usr/bin/true", sleep: "/usr/bin/sleep" };

/** A graph read back from a format: each job's name and its dependencies' names, sorted. */
export type Edges = Record<string, string[]>;

/**
 * The command a process job runs: `true` for a 0 ms job, else `sleep <seconds>`.
 *
 * @param job The job.
 * @param programs Where `true` and `sleep` are.
 * @returns Program and arguments. Absolute paths, so `deno task` cannot use its
 *   built-in `sleep` and `true` and every tool really spawns a process.
 *
 * @example Usage
 * ```ts
 * import { commandOf, DEFAULT_PROGRAMS } from "./shared.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const job = { name: "j0", deps: [], durationMs: 25 };
 * assertEquals(commandOf(job, DEFAULT_PROGRAMS), ["/usr/bin/sleep", "0.025"]);
 * ```
 */
export function commandOf(job: BenchJob, programs: Programs): string[] {
  return job.durationMs === 0 ? [programs.true] : [programs.sleep, String(job.durationMs / 1000)];
}

/**
 * The graph as {@linkcode Edges}, to compare with what a format reads back.
 *
 * @param graph The graph.
 * @returns Each job's sorted dependency names, by job name.
 *
 * @example Usage
 * ```ts
 * import { edgesOf } from "./shared.ts";
 * import { makeGraph } from "../graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(edgesOf(makeGraph({ shape: "chain", n: 2 })), { j0: [], j1: ["j0"] });
 * ```
 */
export function edgesOf(graph: BenchGraph): Edges {
  const edges: Edges = {};
  for (const job of graph.jobs) {
    edges[job.name] = job.deps.map((dep) => graph.jobs[dep]!.name).sort();
  }
  return edges;
}

/**
 * The graph as compact JSON, `[[durationMs, [dep, ...]], ...]`, for formats
 * that embed their data: parsing one JSON string loads faster than a large
 * array literal.
 *
 * @param graph The graph.
 * @returns The JSON text (digits, commas and brackets only).
 *
 * @example Usage
 * ```ts
 * import { compactJson } from "./shared.ts";
 * import { makeGraph } from "../graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(compactJson(makeGraph({ shape: "chain", n: 2 })), "[[0,[]],[0,[0]]]");
 * ```
 */
export function compactJson(graph: BenchGraph): string {
  return JSON.stringify(graph.jobs.map((job) => [job.durationMs, job.deps]));
}

/**
 * Read back {@linkcode compactJson} data.
 *
 * @param json The JSON text.
 * @returns The edges, jobs named `j<index>`.
 *
 * @example Usage
 * ```ts
 * import { edgesFromCompactJson } from "./shared.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(edgesFromCompactJson("[[0,[]],[5,[0]]]"), { j0: [], j1: ["j0"] });
 * ```
 */
export function edgesFromCompactJson(json: string): Edges {
  const data = JSON.parse(json) as [number, number[]][];
  const edges: Edges = {};
  data.forEach(([, deps], i) => edges[`j${i}`] = deps.map((dep) => `j${dep}`).sort());
  return edges;
}

/**
 * Sort each job's dependencies, so two {@linkcode Edges} compare equal.
 *
 * @param edges Parsed edges.
 * @returns The same edges, each list sorted.
 *
 * @example Usage
 * ```ts
 * import { sortEdges } from "./shared.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(sortEdges({ c: ["b", "a"] }), { c: ["a", "b"] });
 * ```
 */
export function sortEdges(edges: Edges): Edges {
  return Object.fromEntries(Object.entries(edges).map(([name, deps]) => [name, deps.toSorted()]));
}
