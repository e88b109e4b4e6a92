/**
 * The dependency graph of a run: the requested jobs and everything they
 * depend on, in topological order, with each job's critical-path priority.
 * Pure and iterative, so a 100,000-job chain cannot overflow the stack.
 *
 * @module
 */

import { didYouMean } from "../suggest.ts";
import { GatherError } from "../errors.ts";
import type { JobSpec } from "../types.ts";

/**
 * Jobs by index, in an order that puts every dependency before its
 * dependents. Edges are kept flat: the jobs job `i` waits for are
 * `depList[depStart[i]]` up to (not including) `depList[depStart[i + 1]]`,
 * and likewise for its dependents, in increasing order.
 */
export interface Graph {
  /** The jobs, dependencies first. */
  jobs: JobSpec[];
  /** Index of each job by name (made on first use). */
  readonly index: Map<string, number>;
  /** Where each job's deps start in `depList`; one more entry than jobs. */
  depStart: Int32Array;
  /** Indices of the jobs each job waits for, job after job. */
  depList: Int32Array;
  /** Where each job's dependents start in `dependentList`; one more entry than jobs. */
  dependentStart: Int32Array;
  /** Indices of the jobs that wait for each job, job after job, in increasing order. */
  dependentList: Int32Array;
  /** `deps[i]`: indices of the jobs job `i` waits for (made on first use). */
  readonly deps: number[][];
  /** `dependents[i]`: indices of the jobs that wait for job `i` (made on first use). */
  readonly dependents: number[][];
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
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
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
        `Unknown job "${target}" in ${source}${didYouMean(target, known)}; available: ${
          known.join(", ")
        }`,
        { job: target },
      );
    }
  }
  // Jobs by number. The numbers resolveJobs gave are used when the map holds
  // exactly the jobs it resolved, in order; otherwise the jobs are numbered here.
  const byId = numbered(specs);
  const index = byId === undefined
    ? new Map([...specs.keys()].map((name, id) => [name, id]))
    : undefined;
  const list = byId ?? [...specs.values()];
  /** The numbers of the jobs a job's deps name, -1 for a name no job has. */
  const depIdsOf = (spec: JobSpec): readonly number[] =>
    index === undefined ? spec.depIds : spec.deps.map((name) => index.get(name) ?? -1);
  // Collect the closure of the targets, positioning jobs as they are reached.
  const positionOf = new Int32Array(list.length).fill(-1);
  const selected: JobSpec[] = [];
  const depIds: (readonly number[])[] = []; // by position
  let edges = 0;
  const stack = targets.map((name) => index?.get(name) ?? specs.get(name)!.id).reverse();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (positionOf[id]! >= 0) continue;
    positionOf[id] = selected.length;
    const spec = list[id]!;
    const deps = depIdsOf(spec);
    selected.push(spec);
    depIds.push(deps);
    edges += deps.length;
    for (let d = deps.length - 1; d >= 0; d--) {
      const dep = deps[d]!;
      if (dep < 0) {
        const name = spec.deps[d]!;
        throw new GatherError(
          "UNKNOWN_DEPENDENCY",
          `Cannot schedule "${spec.name}" in ${source}: dependency "${name}" is not defined${
            didYouMean(name, specs.keys(), spec.name)
          }`,
          { job: spec.name },
        );
      }
      if (positionOf[dep]! < 0) stack.push(dep);
    }
  }
  return sortTopologically(selected, positionOf, depIds, edges, source, options.weights);
}

/** The jobs by the numbers resolveJobs gave them, if the map holds exactly those, in order. */
function numbered(specs: ReadonlyMap<string, JobSpec>): readonly JobSpec[] | undefined {
  const first = specs.values().next();
  if (first.done) return [];
  const list = first.value.resolvedWith;
  if (list.length !== specs.size) return undefined;
  let id = 0;
  for (const [name, spec] of specs) {
    if (spec !== list[id++] || spec.name !== name) return undefined;
  }
  return list;
}

const NONE: number[] = Object.freeze([]) as unknown as number[];

/**
 * Order the selected jobs with Kahn's algorithm and renumber them in that
 * order. Edges are kept in flat typed arrays (each job's slice found by its
 * start offset), so a large graph costs a few arrays rather than objects per job.
 */
function sortTopologically(
  selected: JobSpec[],
  positionOf: Int32Array,
  depIds: (readonly number[])[],
  edges: number,
  source: string,
  weights: ReadonlyMap<string, number> | undefined,
): Graph {
  const n = selected.length;
  // Each job's distinct deps, by position: those of job p are depAt[depStart[p]..depStart[p + 1]).
  const depStart = new Int32Array(n + 1);
  const depAt = new Int32Array(edges);
  const userCount = new Int32Array(n);
  const seenBy = new Int32Array(n).fill(-1);
  let e = 0;
  for (let p = 0; p < n; p++) {
    depStart[p] = e;
    for (const id of depIds[p]!) {
      const dep = positionOf[id]!;
      if (seenBy[dep] === p) continue; // a dependency named twice
      seenBy[dep] = p;
      depAt[e++] = dep;
      userCount[dep]!++;
    }
  }
  depStart[n] = e;
  // Who waits for each job, in position order: users[userStart[p]..userStart[p + 1]).
  const userStart = new Int32Array(n + 1);
  for (let p = 0; p < n; p++) userStart[p + 1] = userStart[p]! + userCount[p]!;
  const users = new Int32Array(e);
  const next = userStart.slice(0, n);
  for (let p = 0; p < n; p++) {
    for (let k = depStart[p]!; k < depStart[p + 1]!; k++) users[next[depAt[k]!]!++] = p;
  }
  // Kahn's algorithm, keeping declaration order among ready jobs.
  const waiting = new Int32Array(n);
  const order = new Int32Array(n);
  let done = 0;
  for (let p = 0; p < n; p++) {
    waiting[p] = depStart[p + 1]! - depStart[p]!;
    if (waiting[p] === 0) order[done++] = p;
  }
  for (let head = 0; head < done; head++) {
    const p = order[head]!;
    for (let k = userStart[p]!; k < userStart[p + 1]!; k++) {
      if (--waiting[users[k]!]! === 0) order[done++] = users[k]!;
    }
  }
  if (done < n) throw cycleError(selected, waiting, depStart, depAt, source);

  // Renumber in topological order; each dependents list in increasing order.
  const jobs = new Array<JobSpec>(n);
  const rank = new Int32Array(n);
  const newDepStart = new Int32Array(n + 1);
  const dependentStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const p = order[i]!;
    jobs[i] = selected[p]!;
    rank[p] = i;
    newDepStart[i + 1] = newDepStart[i]! + depStart[p + 1]! - depStart[p]!;
    dependentStart[i + 1] = dependentStart[i]! + userCount[p]!;
  }
  const depList = new Int32Array(e);
  const dependentList = new Int32Array(e);
  const filled = dependentStart.slice(0, n);
  for (let i = 0; i < n; i++) {
    const p = order[i]!;
    let at = newDepStart[i]!;
    for (let k = depStart[p]!; k < depStart[p + 1]!; k++) {
      const dep = rank[depAt[k]!]!;
      depList[at++] = dep;
      dependentList[filled[dep]!++] = i;
    }
  }
  const priority = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let longest = 0;
    for (let k = dependentStart[i]!; k < dependentStart[i + 1]!; k++) {
      const user = dependentList[k]!;
      if (priority[user]! > longest) longest = priority[user]!;
    }
    priority[i] = longest +
      (weights === undefined ? 1 : Math.max(weights.get(jobs[i]!.name) ?? 1, 1e-3));
  }
  let index: Map<string, number> | undefined;
  let deps: number[][] | undefined;
  let dependents: number[][] | undefined;
  return {
    jobs,
    get index() {
      return index ??= new Map(jobs.map((spec, i) => [spec.name, i]));
    },
    depStart: newDepStart,
    depList,
    dependentStart,
    dependentList,
    get deps() {
      return deps ??= lists(newDepStart, depList);
    },
    get dependents() {
      return dependents ??= lists(dependentStart, dependentList);
    },
    priority,
  };
}

/** Flat edges as one array per job. */
function lists(start: Int32Array, list: Int32Array): number[][] {
  return Array.from(
    { length: start.length - 1 },
    (_, i) => start[i] === start[i + 1] ? NONE : Array.from(list.subarray(start[i], start[i + 1])),
  );
}

function cycleError(
  selected: JobSpec[],
  waiting: Int32Array,
  depStart: Int32Array,
  depAt: Int32Array,
  source: string,
): GatherError {
  // Every job left waiting has a waiting dependency: walk them until one repeats.
  let at = waiting.findIndex((count) => count > 0);
  const visitedAt = new Map<number, number>();
  const path: number[] = [];
  while (!visitedAt.has(at)) {
    visitedAt.set(at, path.length);
    path.push(at);
    at = depAt.subarray(depStart[at], depStart[at + 1]).find((dep) => waiting[dep]! > 0)!;
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
