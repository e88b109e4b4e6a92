/**
 * Check a gather run against its graph from the JSON events: every job ran
 * once, succeeded, and started only after its dependencies ended. Also yields
 * the makespan.
 *
 * @module
 */

import type { BenchGraph } from "./graphs.ts";

/** What a gather run's events show. */
export interface RunCheck {
  /** What is wrong; empty if the run is right. */
  problems: string[];
  /** From the first `job:start` to the last `job:end`, in ms. */
  makespanMs: number;
  /** Time of the first `job:start`, ms since the epoch. */
  firstStart: number;
  /** Each job's measured duration (`job:end` `durationMs`), by graph index; NaN if unknown. */
  durations: Float64Array;
}

interface Event {
  type: string;
  time: number;
  job?: string;
  status?: string;
  started?: boolean;
  durationMs?: number;
}

/**
 * Check the NDJSON events of `gather --reporter json` against the graph.
 *
 * @param graph The graph the task file was made from.
 * @param stdout The events.
 * @param code gather's exit code.
 * @returns The problems found and the makespan.
 *
 * @example Usage
 * ```ts
 * import { checkGatherRun } from "./verify.ts";
 * import { makeGraph } from "./graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const graph = makeGraph({ shape: "wide", n: 1 });
 * const stdout = [
 *   { type: "run:start", time: 1 },
 *   { type: "job:start", time: 2, job: "j0" },
 *   { type: "job:end", time: 5, job: "j0", status: "ok", started: true },
 *   { type: "run:end", time: 6, status: "ok" },
 * ].map((event) => JSON.stringify(event)).join("\n");
 * const check = checkGatherRun(graph, stdout, 0);
 * assertEquals([check.problems, check.makespanMs, check.firstStart], [[], 3, 2]);
 * ```
 */
export function checkGatherRun(graph: BenchGraph, stdout: string, code: number): RunCheck {
  const problems: string[] = [];
  if (code !== 0) problems.push(`gather exited with code ${code}`);
  const index = new Map(graph.jobs.map((job, i) => [job.name, i]));
  const n = graph.jobs.length;
  const startedAt = new Int32Array(n).fill(-1);
  const endedAt = new Int32Array(n).fill(-1);
  const durations = new Float64Array(n).fill(NaN);
  let firstStart = Infinity;
  let lastEnd = -Infinity;
  let runEnd: Event | undefined;
  let seq = 0;
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    let event: Event;
    try {
      event = JSON.parse(line);
    } catch {
      problems.push(`not JSON: ${line.slice(0, 80)}`);
      continue;
    }
    seq++;
    if (event.type === "run:end") runEnd = event;
    if (event.type !== "job:start" && event.type !== "job:end") continue;
    const i = index.get(event.job ?? "");
    if (i === undefined) {
      problems.push(`unknown job ${event.job}`);
      continue;
    }
    if (event.type === "job:start") {
      if (startedAt[i] !== -1) problems.push(`${event.job} started twice`);
      startedAt[i] = seq;
      firstStart = Math.min(firstStart, event.time);
    } else {
      if (endedAt[i] !== -1) problems.push(`${event.job} ended twice`);
      if (event.status !== "ok" || event.started !== true) {
        problems.push(`${event.job} ended ${event.status}`);
      }
      endedAt[i] = seq;
      durations[i] = event.durationMs ?? NaN;
      lastEnd = Math.max(lastEnd, event.time);
    }
  }
  if (runEnd?.status !== "ok") problems.push(`run:end status ${runEnd?.status ?? "missing"}`);
  graph.jobs.forEach((job, i) => {
    if (startedAt[i] === -1 || endedAt[i] === -1) {
      problems.push(`${job.name} has no job:start or job:end`);
      return;
    }
    for (const dep of job.deps) {
      if (endedAt[dep]! > startedAt[i]!) {
        problems.push(`${job.name} started before its dependency ${graph.jobs[dep]!.name} ended`);
      }
    }
  });
  return {
    problems: problems.slice(0, 20),
    makespanMs: lastEnd - firstStart,
    firstStart,
    durations,
  };
}

/**
 * What is wrong with a run of `jobs` jobs, or `undefined`: it exited 0, and
 * every job ended once, `ok`, and passed `check` (which names what is wrong
 * with a job's `job:end` event, if anything).
 *
 * @param code The run's exit code.
 * @param stdout Its JSON events.
 * @param jobs How many jobs it has.
 * @param check One more check of each job's end.
 * @returns What is wrong, in a few words.
 *
 * @example Usage
 * ```ts
 * import { checkAllOk } from "./verify.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const stdout = '{"type":"job:end","job":"a","status":"ok","cache":"hit"}\n';
 * assertEquals(checkAllOk(0, stdout, 1, () => undefined), undefined);
 * assertEquals(checkAllOk(0, stdout, 2, () => undefined), "1 of 2 jobs ended");
 * ```
 */
export function checkAllOk(
  code: number,
  stdout: string,
  jobs: number,
  check: (end: { job: string; cache?: string; worker?: string }) => string | undefined,
): string | undefined {
  if (code !== 0) return `exit ${code}`;
  let ends = 0;
  for (const line of stdout.split("\n")) {
    if (!line.includes('"job:end"')) continue;
    const event = JSON.parse(line);
    if (event.status !== "ok") return `${event.job} ${event.status}`;
    const wrong = check(event);
    if (wrong !== undefined) return wrong;
    ends++;
  }
  return ends === jobs ? undefined : `${ends} of ${jobs} jobs ended`;
}
