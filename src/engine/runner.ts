/**
 * The seam between deciding and doing, after ninja's `CommandRunner`: the
 * scheduler decides which job runs next, under the limits and the failure
 * policy; a {@linkcode JobRunner} starts one job and settles it. The
 * in-process runner (`runners/in_process.ts`) runs the job's function; the
 * dry runner (`runners/dry.ts`) only pretends; a cache, a remote worker or a
 * sandbox is another runner, or a decorator around one.
 *
 * @module
 */

import type { DepResults, JobSpec, Settlement } from "../types.ts";

/**
 * What a runner tells the scheduler of a job that waits before it runs,
 * once started: a distributed run's job waits in the work queue until a
 * worker claims it. The scheduler emits `job:queued`, and times the job from
 * when it began to run, so that its wait is neither its duration nor its
 * weight in the history.
 */
export interface JobWaits {
  /**
   * The job waits now; again after it began, when a worker gave it back (it is shown waiting
   * again, and still timed from when it first began). A call while it waits is ignored.
   *
   * @param job The job's name.
   */
  queued(job: string): void;
  /**
   * The job begins to run (its first call counts; without a `queued()` before, ignored).
   *
   * @param job The job's name.
   */
  began(job: string): void;
}

/** What the scheduler hands a runner with each job. */
export interface JobInput {
  /** The results of the job's dependencies, by name. */
  deps: DepResults;
  /** Where a runner whose job waits before it runs says so (see {@linkcode JobWaits}). */
  waits?: JobWaits;
}

/**
 * One started job, as the scheduler holds it. Cancellation is a call, not a
 * signal in {@linkcode JobInput}: most jobs are never cancelled, and a signal
 * per job would cost an `AbortController` each (runners make one when a job
 * reads `ctx.signal`).
 */
export interface JobRun {
  /** Settles once the job has ended (all its attempts); never rejects. */
  readonly settled: Promise<Settlement>;
  /**
   * For a job whose dependents may start before it ends (a service): resolves
   * with the value they receive from `ctx.result()` once it is ready. The
   * scheduler releases the dependents then, and the job gives its slot back
   * (a server waiting for requests holds none).
   */
  readonly ready?: Promise<unknown>;
  /**
   * For a service: no job needs it any more. Stop it as `cancel` would; once
   * ready, it then settles `ok` with its ready value (being stopped is how a
   * service ends). Without it, the scheduler calls `cancel`.
   */
  stop?(): void;
  /**
   * Ask the job to stop: no new attempt starts, its signal aborts and it gets
   * the grace period; `settled` then reports it `cancelled`.
   *
   * @param reason Why, given to its signal.
   */
  cancel(reason: Error): void;
  /** Stop waiting for a cancelled job now rather than at the end of its grace period. */
  force(): void;
}

/**
 * Starts jobs for a scheduler.
 *
 * @example A runner that succeeds at once with each job's name
 * ```ts
 * import type { JobRunner } from "./runner.ts";
 * import { schedule } from "./scheduler.ts";
 * import { buildGraph } from "./graph.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const names: JobRunner = {
 *   start: (spec) => ({
 *     settled: Promise.resolve({ status: "ok", result: spec.name, attempts: 1, ignoredCancellation: false }),
 *     cancel: () => {},
 *     force: () => {},
 *   }),
 * };
 * const { specs } = resolveJobs([["a", job(() => 1)]], "example");
 * const result = await schedule(buildGraph(specs, ["a"]), { runner: names });
 * assertEquals(result.jobs[0]?.result, "a");
 * ```
 */
export interface JobRunner {
  /**
   * Start one job, all its attempts.
   *
   * @param job The job.
   * @param input What the scheduler knows of its inputs.
   * @returns The running job.
   */
  start(job: JobSpec, input: JobInput): JobRun;
  /**
   * Wait until nothing the runner started for the run is left (process trees
   * of jobs it gave up on, say). The scheduler awaits it before `run:end`.
   */
  drain?(): Promise<void>;
  /**
   * Fail a running job from outside: its code threw an exception that
   * nothing caught, in a callback it scheduled (a timer, a listener). Its
   * current attempt fails with `error` as if its function had thrown it: its
   * signal aborts, its work is stopped, it may be retried; the scheduler sees
   * an ordinary failure. Whoever watches for such exceptions (the session's
   * diagnostics) calls it; the scheduler never does.
   *
   * @param job The job's name.
   * @param error What it threw.
   * @returns `false` when the job is not running an attempt (it ended, or has not started).
   */
  fail?(job: string, error: Error): boolean;
  /**
   * Start a job on this machine, whatever the runner would do with it (a
   * distributed run's coordinator: a job whose outputs a worker made but
   * could not bring here runs again here).
   *
   * @param job The job.
   * @param input What the scheduler knows of its inputs.
   * @returns The running job.
   */
  startHere?(job: JobSpec, input: JobInput): JobRun;
}
