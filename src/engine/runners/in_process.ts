/**
 * The in-process runner: runs a job's function in this process, with its
 * attempts, retries with backoff, per-attempt timeout, and cancellation with
 * a grace period for jobs that are slow to stop.
 *
 * @module
 */

import { MAX_TIMER_MS } from "../../duration.ts";
import type { EventSink, GatherEvent } from "../../events.ts";
import type { Job, JobSpec } from "../../types.ts";
import type { Instrument } from "../instrument.ts";
import type { JobInput, JobRun, JobRunner } from "../runner.ts";
import { JobScope } from "../scope.ts";
import { createSpawner, type Spawner } from "../../process/spawn.ts";
import type { Readiness } from "./_readiness.ts";
import { type RunnerEnv, RunningJob } from "./_running_job.ts";

/** Options of {@linkcode InProcessRunner}. */
export interface InProcessRunnerOptions {
  /** Tracks which job runs the current code. @default {a new JobScope} */
  scope?: JobScope;
  /** Receives the jobs' events (logs, retries, diagnostics). @default {nothing} */
  emit?: EventSink;
  /** How long a cancelled job and its processes get to stop, in ms. @default {5000} */
  graceMs?: number;
  /** Timeout for jobs that set none, in ms. @default {no limit} */
  timeoutMs?: number;
  /** The name of a job handle, for `ctx.result(handle)`. @default {none known} */
  nameOf?: (handle: Job<unknown>) => string | undefined;
  /** Aborting it kills every process tree at once (the second Ctrl-C). */
  forceSignal?: AbortSignal;
  /** Told when each job's function returns. */
  instrument?: Instrument;
  /** Starts the jobs' commands. @default {createSpawner()} */
  spawner?: Spawner;
}

/**
 * Runs each job's function in this process.
 *
 * @example Usage
 * ```ts
 * import { InProcessRunner } from "./in_process.ts";
 * import { resolveJobs } from "../../load/resolve.ts";
 * import { job } from "../../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { specs } = resolveJobs([["one", job(() => 1)]], "example");
 * const runner = new InProcessRunner({ graceMs: 1000 });
 * const run = runner.start(specs.get("one")!, { deps: new Map() });
 * assertEquals((await run.settled).result, 1);
 * await runner.drain();
 * ```
 */
export class InProcessRunner implements JobRunner {
  #env: RunnerEnv;

  /**
   * Prepare a runner for one run.
   *
   * @param options What the run's jobs share.
   */
  constructor(options: InProcessRunnerOptions = {}) {
    // A timer waits at most 2^31-1 ms; a longer delay would fire at once.
    const graceMs = Math.min(options.graceMs ?? 5000, MAX_TIMER_MS);
    const emit = options.emit ?? (() => {});
    const services = new Map<string, Readiness>();
    this.#env = {
      scope: options.scope ?? new JobScope(),
      // Every output line of a running service goes by its readiness: a line probe reads them.
      emit: (event: GatherEvent) => {
        if (services.size > 0 && event.type === "job:log") {
          services.get(event.job)?.line(event.line);
        }
        emit(event);
      },
      services,
      graceMs,
      defaultTimeoutMs: options.timeoutMs === undefined
        ? undefined
        : Math.min(options.timeoutMs, MAX_TIMER_MS),
      nameOf: options.nameOf ?? (() => undefined),
      instrument: options.instrument,
      process: {
        graceMs,
        forceSignal: options.forceSignal ?? new AbortController().signal,
        registry: new Set(),
        spawner: options.spawner ?? createSpawner(),
      },
      live: new Map(),
    };
  }

  /**
   * Where the run's jobs' events go through this runner: give it the output
   * written from outside their contexts (captured `console` calls), so that
   * a service's line probe reads it too.
   */
  get sink(): EventSink {
    return this.#env.emit;
  }

  /**
   * Start a job.
   *
   * @param job The job.
   * @param input Its dependencies' results.
   * @returns The running job.
   */
  start(job: JobSpec, input: JobInput): JobRun {
    return new RunningJob(job, input.deps, this.#env);
  }

  /** Wait until every process tree the run's jobs started is gone. */
  async drain(): Promise<void> {
    // A command whose job was stopped while it was being spawned is registered, but one
    // started by a job still ending may come after: wait until none is left.
    const registry = this.#env.process.registry;
    while (registry.size > 0) await Promise.allSettled([...registry]);
  }

  /**
   * Fail a running job's current attempt with an exception its code threw
   * outside its function (see {@linkcode JobRunner.fail}).
   *
   * @param job The job's name.
   * @param error What it threw.
   * @returns `false` when the job is not running an attempt, or its attempt
   * was already cancelled or timed out.
   */
  fail(job: string, error: Error): boolean {
    return this.#env.live.get(job)?.fail(error) ?? false;
  }
}
