/**
 * `run()`: the scheduler for programs that embed gather without the CLI,
 * with what the CLI has: diagnostics, history and every event. Importing
 * `mod.ts` loads only this module's types and `run()` itself: the session
 * (scheduler, diagnostics, processes, cache) loads on the first call, so a
 * task file that imports gather does not pay for it at start-up.
 *
 * @module
 */

import type { DiagnosticEvent, EventSink, JobCounts, RunSummaryInfo } from "../events.ts";
import type { Duration, FailurePolicy, Job, JobReport, RunStatus } from "../types.ts";
import { lazy } from "../lazy.ts";
import { resolveJobs } from "../load/resolve.ts";

/** What `run()`'s diagnostics watch. */
export interface RunDiagnosticsOptions {
  /** Report event-loop stalls longer than this. @default {"100ms"} */
  stallThreshold?: Duration;
  /** Watch for stalls at all (rejections, pending work and ignored cancellation are always reported). @default {true} */
  stalls?: boolean;
}

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** How many jobs may run at once. @default {navigator.hardwareConcurrency} */
  concurrency?: number;
  /**
   * What to do when a job fails: `abort` cancels running jobs and starts
   * nothing new; `finish` starts nothing new and lets running jobs end;
   * `continue` runs everything that does not depend on a failed job.
   * @default {"abort"}
   */
  onFailure?: FailurePolicy;
  /** Timeout for jobs that set none. @default {no limit} */
  timeout?: Duration;
  /** How long cancelled jobs and their processes get to stop. @default {"5s"} */
  grace?: Duration;
  /**
   * Aborting it cancels the run, as Ctrl-C does for the CLI. When you pass
   * one, your program owns its signals: `run()` listens to none. Without it,
   * `run()` listens for SIGINT, SIGTERM and SIGHUP while it runs (the first
   * cancels the run, a second stops waiting and kills what is left, as in
   * the CLI) and removes its listeners when it returns; it then resolves
   * with status `"cancelled"` and your program carries on, so check
   * `report.status`. @default {SIGINT, SIGTERM and SIGHUP cancel the run}
   */
  signal?: AbortSignal;
  /** Aborting it stops waiting for cancelled jobs and kills their processes now. */
  forceSignal?: AbortSignal;
  /**
   * Receives every event of the run (the JSON stream's events, as objects).
   * If it throws, on any event (a job's log line, a command's output, a
   * diagnostic), no job is blamed: the run stops (running jobs cancelled,
   * their processes killed at once), `run()` rejects with the error, and it
   * gets no more events. It may be async: it is not awaited between events,
   * a returned promise that rejects counts as a throw, and `run()` settles
   * once every promise it returned has settled (or `forceSignal`, or a
   * second signal, stops that wait).
   *
   * @example An async observer
   * ```ts
   * import { job, run } from "../../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const seen: string[] = [];
   * const report = await run({ one: job(() => 1) }, {
   *   onEvent: async (event) => {
   *     await Promise.resolve(); // a write, a request...
   *     seen.push(event.type);
   *   },
   * });
   * assertEquals(report.status, "ok");
   * assertEquals(seen.at(-1), "run:end"); // run() waited for it
   * ```
   */
  onEvent?: EventSink;
  /**
   * Watch the run for the mistakes async code hides, as the CLI does: event-
   * loop stalls blamed on the job that blocked, promises a job never awaited
   * that reject (reported, and kept from killing the program), work left
   * running. They arrive as `diagnostic` events and in the report.
   * `false` adds no listener of any kind. @default {false}
   */
  diagnostics?: boolean | RunDiagnosticsOptions;
  /**
   * Remember how long jobs took, to run the longest paths first next time:
   * `true` keeps it in `.gather/history.json` under the current directory, a
   * string names the file. @default {false}
   */
  history?: boolean | string;
  /**
   * Use the result cache for jobs that declare `inputs` (their globs are
   * relative to the current folder): `true` keeps it in `.gather/cache` under
   * the project root (the folder of the nearest deno.json, else the current
   * one); an object sets the folder, the root, `force` (run and store every
   * job) or `explain` (a `job:cache` event says why each job runs).
   * @default {false}
   */
  cache?: boolean | RunCacheOptions;
}

/** Where and how `run()` uses the result cache. */
export interface RunCacheOptions {
  /** The cache folder. @default {".gather/cache" under the root} */
  dir?: string;
  /** The project root: keys use paths relative to it. @default {the nearest deno.json's folder} */
  root?: string;
  /** Run every job and store the results. @default {false} */
  force?: boolean;
  /** Say why each job runs, in its `job:cache` event. @default {false} */
  explain?: boolean;
  /**
   * The remote cache, consulted after the local one and sent each entry
   * stored (as the CLI's `--remote-cache`): its URL, or the URL with a
   * timeout per request and read-only mode. The token, team and signature
   * key come from `GATHER_REMOTE_CACHE_TOKEN`, `GATHER_REMOTE_CACHE_TEAM`
   * and `GATHER_REMOTE_CACHE_SIGNATURE_KEY`, never from code. `false` turns
   * it off even when `GATHER_REMOTE_CACHE_URL` is set.
   * @default {the URL in `GATHER_REMOTE_CACHE_URL`, if any}
   */
  remote?: string | RunRemoteCacheOptions | false;
}

/** The remote cache of {@linkcode RunCacheOptions}. */
export interface RunRemoteCacheOptions {
  /** The server, e.g. `http://cache.local:3000`. */
  url: string;
  /** The timeout of one request, e.g. `"2s"`. @default {"5s"} */
  timeout?: string;
  /** Download, never upload (for untrusted branches). @default {false} */
  readOnly?: boolean;
}

/** The report of a run: how it ended and how each job ended. */
export interface RunReport {
  /** `ok`, `failed`, or `cancelled` if the run was interrupted. */
  status: RunStatus;
  /** Wall time of the run, in ms. */
  durationMs: number;
  /** Every job, dependencies first. */
  jobs: JobReport[];
  /** Jobs by how they ended. */
  counts: JobCounts;
  /** Every failure, first one first. */
  errors: Error[];
  /** The critical path, the slowest jobs and the failures. */
  summary: RunSummaryInfo;
  /** Every diagnostic of the run (empty unless `diagnostics` was asked for). */
  diagnostics: DiagnosticEvent[];
}

/** Jobs to run: one, an array (named by their `name` option or function name), or a record by name. */
export type JobSelection =
  | Job<unknown>
  | readonly Job<unknown>[]
  | Readonly<Record<string, Job<unknown>>>;

/**
 * Run jobs and everything they depend on, and report how each ended.
 *
 * @param jobs The jobs to run.
 * @param options Concurrency, failure policy, timeouts, cancellation, events, diagnostics, history, cache.
 * @returns The report; a failing job does not make it reject.
 * @throws {GatherError} At once, on two jobs with one name; the promise
 * rejects with one, before anything runs, on a cycle or an unknown dependency.
 * @throws {TypeError} At once, if a job in an array has no name.
 *
 * @example Usage
 * ```ts
 * import { job, run } from "../../mod.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const fetchNames = job(async () => ["a", "b"]);
 * const count = job({ deps: [fetchNames] }, (ctx) => ctx.result(fetchNames).length);
 * const report = await run({ fetchNames, count });
 * assertEquals(report.status, "ok");
 * assertEquals(report.jobs.find((j) => j.name === "count")?.result, 2);
 * ```
 *
 * @example A stall, named by job
 * ```ts
 * import { job, run } from "../../mod.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spin = job(() => {
 *   const cpuMs = () => process.cpuUsage().user / 1000;
 *   const until = cpuMs() + 300;
 *   while (cpuMs() < until) Math.sqrt(until); // 300 ms of CPU: blocks every other job
 * });
 * const report = await run({ spin }, { diagnostics: true });
 * assertEquals(report.diagnostics[0]?.job, "spin");
 * ```
 */
export function run(jobs: JobSelection, options: RunOptions = {}): Promise<RunReport> {
  // Naming the jobs throws at once; the rest loads and runs.
  const entries = namedEntries(jobs);
  const resolved = resolveJobs(entries, "run()");
  return lazy<typeof import("./_run_now.ts")>(new URL("./_run_now.ts", import.meta.url))
    .then(({ runNow }) => runNow(entries, resolved, options));
}

function namedEntries(jobs: JobSelection): [string, Job<unknown>, string][] {
  if (Array.isArray(jobs) || (jobs as Job<unknown>).kind === "gather:job") {
    const list = (Array.isArray(jobs) ? jobs : [jobs]) as Job<unknown>[];
    return list.map((handle, i) => {
      const name = handle.options.name ?? handle.fn.name;
      if (!name) {
        throw new TypeError(
          "Cannot run a job without a name: give it { name }, or pass a record of jobs by name",
        );
      }
      return [name, handle, `item ${i} of the array`];
    });
  }
  return Object.entries(jobs as Record<string, Job<unknown>>).map((
    [key, handle],
  ) => [key, handle, `key "${key}" of the record`]);
}
