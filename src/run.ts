/**
 * `run()`: the scheduler for programs that embed gather without the CLI.
 *
 * @module
 */

import { type Duration, parseDuration } from "./duration.ts";
import { buildGraph } from "./graph.ts";
import type { Job } from "./job.ts";
import { resolveJobs } from "./resolve.ts";
import { schedule, type ScheduleOptions, type ScheduleResult } from "./scheduler.ts";

/** Options of {@linkcode run}. */
export interface RunOptions
  extends Omit<ScheduleOptions, "nameOf" | "timeoutMs" | "graceMs" | "scope"> {
  /** Timeout for jobs that set none. @default {no limit} */
  timeout?: Duration;
  /** How long cancelled jobs and their processes get to stop. @default {"5s"} */
  grace?: Duration;
}

/** The report of a run: how it ended and how each job ended. */
export type RunReport = ScheduleResult;

/** Jobs to run: one, an array (named by their `name` option or function name), or a record by name. */
export type JobSelection =
  | Job<unknown>
  | readonly Job<unknown>[]
  | Readonly<Record<string, Job<unknown>>>;

/**
 * Run jobs and everything they depend on, and report how each ended.
 *
 * @param jobs The jobs to run.
 * @param options Concurrency, failure policy, timeouts, cancellation, events.
 * @returns The report; a failing job does not make it reject.
 * @throws {GatherError} On a cycle, an unknown dependency, or two jobs with one name.
 * @throws {TypeError} If a job in an array has no name.
 *
 * @example Usage
 * ```ts
 * import { job, run } from "../mod.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const fetchNames = job(async () => ["a", "b"]);
 * const count = job({ deps: [fetchNames] }, (ctx) => ctx.result(fetchNames).length);
 * const report = await run({ fetchNames, count });
 * assertEquals(report.status, "ok");
 * assertEquals(report.jobs.find((j) => j.name === "count")?.result, 2);
 * ```
 */
export function run(jobs: JobSelection, options: RunOptions = {}): Promise<RunReport> {
  const entries = namedEntries(jobs);
  const { specs, names } = resolveJobs(entries, "run()");
  const graph = buildGraph(specs, entries.map(([, handle]) => names.get(handle)!), {
    source: "run()",
  });
  const { timeout, grace, ...rest } = options;
  const scheduleOptions: ScheduleOptions = { ...rest, nameOf: (handle) => names.get(handle) };
  if (timeout !== undefined) scheduleOptions.timeoutMs = parseDuration(timeout);
  if (grace !== undefined) scheduleOptions.graceMs = parseDuration(grace);
  return schedule(graph, scheduleOptions);
}

function namedEntries(jobs: JobSelection): [string, Job<unknown>][] {
  if (Array.isArray(jobs) || (jobs as Job<unknown>).kind === "gather:job") {
    const list = (Array.isArray(jobs) ? jobs : [jobs]) as Job<unknown>[];
    return list.map((handle) => {
      const name = handle.options.name ?? handle.fn.name;
      if (!name) {
        throw new TypeError(
          "Cannot run a job without a name: give it { name }, or pass a record of jobs by name",
        );
      }
      return [name, handle];
    });
  }
  return Object.entries(jobs as Record<string, Job<unknown>>);
}
