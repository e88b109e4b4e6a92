/**
 * The dependency graph of a run: the requested jobs and everything they
 * depend on, in topological order, with each job's critical-path priority.
 * Pure and iterative, so a 100,000-job chain cannot overflow the stack.
 *
 * @module
 */

import { closestString } from "@std/text/closest-string";
import { GatherError } from "./errors.ts";
import type { JobSpec } from "./resolve.ts";

/** Jobs by index, in an order that puts every dependency before its dependents. */
export interface Graph {
  /** The jobs, dependencies first. */
  jobs: JobSpec[];
  /** Index of each job by name. */
  index: Map<string, number>;
  /** `deps[i]`: indices of the jobs job `i` waits for. */
  deps: number[][];
  /** `dependents[i]`: indices of the jobs that wait for job `i`. */
  dependents: number[][];
  /** Longest weighted path from each job to the end of the graph, itself included. */
  priority: Float64Array;
}

/** Options of {@linkcode buildGraph}. */
export interface BuildGraphOptions {
  /** Where the jobs come from, for error messages. @default {"the task file"} */
  source?: string;
  /** Expected duration of each job (ms), to weight the critical path. @default {1 per job} */
  weights?: ReadonlyMap<string, number>;
}

/**
 * Build the graph of the `targets` and their transitive dependencies.
 *
 * @param specs Every job that can be named, by name.
 * @param targets The names of the jobs to run.
 * @param options The source name for errors and the job weights.
 * @returns The graph.
 * @throws {GatherError} On an unknown target or dependency, or a cycle.
 *
 * @example Usage
 * ```ts
 * import { buildGraph } from "./graph.ts";
 * import { resolveJobs } from "./resolve.ts";
 * import { job } from "./job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = job(() => 1);
 * const b = job({ deps: [a] }, () => 2);
 * const { specs } = resolveJobs([["a", a], ["b", b]], "tasks.ts");
 * assertEquals(buildGraph(specs, ["b"]).jobs.map((spec) => spec.name), ["a", "b"]);
 * ```
 */
export function buildGraph(
  specs: ReadonlyMap<string, JobSpec>,
  targets: readonly string[],
  options: BuildGraphOptions = {},
): Graph {
  const source = options.source ?? "the task file";
  for (const target of targets) {
    if (!specs.has(target)) {
      const known = [...specs.keys()];
      throw new GatherError(
        "UNKNOWN_JOB",
        `Unknown job "${target}" in ${source}${suggest(target, known)}; available: ${
          known.join(", ")
        }`,
        { job: target },
      );
    }
  }
  // Collect the closure of the targets.
  const selected: JobSpec[] = [];
  const seen = new Set<string>();
  const stack = [...targets].reverse();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const spec = specs.get(name)!;
    selected.push(spec);
    for (let d = spec.deps.length - 1; d >= 0; d--) {
      const dep = spec.deps[d]!;
      if (!specs.has(dep)) {
        throw new GatherError(
          "UNKNOWN_DEPENDENCY",
          `Cannot schedule "${name}" in ${source}: dependency "${dep}" is not defined${
            suggest(dep, [...specs.keys()])
          }`,
          { job: name },
        );
      }
      if (!seen.has(dep)) stack.push(dep);
    }
  }
  return sortTopologically(selected, source, options.weights);
}

const NONE: number[] = Object.freeze([]) as unknown as number[];

function sortTopologically(
  selected: JobSpec[],
  source: string,
  weights: ReadonlyMap<string, number> | undefined,
): Graph {
  const n = selected.length;
  const position = new Map<string, number>();
  for (let i = 0; i < n; i++) position.set(selected[i]!.name, i);
  // Positions of each job's distinct deps, and who waits for each job.
  const depsAt: number[][] = new Array(n);
  const users: number[][] = new Array(n).fill(NONE);
  const waiting = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const names = selected[i]!.deps;
    const unique = names.length <= 1 ? names : [...new Set(names)];
    const list = unique.length === 0 ? NONE : unique.map((dep) => position.get(dep)!);
    depsAt[i] = list;
    waiting[i] = list.length;
    for (const dep of list) (users[dep] === NONE ? (users[dep] = []) : users[dep]!).push(i);
  }
  // Kahn's algorithm, keeping declaration order among ready jobs.
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) order.push(i);
  for (let head = 0; head < order.length; head++) {
    for (const user of users[order[head]!]!) if (--waiting[user]! === 0) order.push(user);
  }
  if (order.length < n) throw cycleError(selected, waiting, position, source);

  const jobs = new Array<JobSpec>(n);
  const rank = new Int32Array(n);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    jobs[i] = selected[order[i]!]!;
    rank[order[i]!] = i;
    index.set(jobs[i]!.name, i);
  }
  const deps: number[][] = new Array(n);
  const dependents: number[][] = new Array(n).fill(NONE);
  for (let i = 0; i < n; i++) {
    const list = depsAt[order[i]!]!;
    deps[i] = list.length === 0 ? NONE : list.map((p) => rank[p]!);
    for (const dep of deps[i]!) {
      (dependents[dep] === NONE ? (dependents[dep] = []) : dependents[dep]!).push(i);
    }
  }
  const priority = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let longest = 0;
    for (const user of dependents[i]!) if (priority[user]! > longest) longest = priority[user]!;
    priority[i] = longest + Math.max(weights?.get(jobs[i]!.name) ?? 1, 1e-3);
  }
  return { jobs, index, deps, dependents, priority };
}

function cycleError(
  selected: JobSpec[],
  waiting: Int32Array,
  position: Map<string, number>,
  source: string,
): GatherError {
  // Every job left waiting has a waiting dependency: walk them until one repeats.
  let at = waiting.findIndex((count) => count > 0);
  const visitedAt = new Map<number, number>();
  const path: number[] = [];
  while (!visitedAt.has(at)) {
    visitedAt.set(at, path.length);
    path.push(at);
    at = selected[at]!.deps.map((dep) => position.get(dep)!).find((dep) => waiting[dep]! > 0)!;
  }
  const cycle = path.slice(visitedAt.get(at)).map((i) => selected[i]!.name);
  cycle.push(cycle[0]!);
  return new GatherError(
    "CYCLE",
    `Cannot schedule jobs in ${source}: dependency cycle ${
      cycle.join(" -> ")
    }; remove one of these deps`,
    { job: cycle[0]! },
  );
}

function suggest(name: string, known: string[]): string {
  if (known.length === 0) return "";
  const closest = closestString(name, known);
  return closest.length > 0 ? ` (did you mean "${closest}"?)` : "";
}
