/**
 * The in-process runner: runs a job's function in this process, with its
 * attempts, retries with backoff, per-attempt timeout, and cancellation with
 * a grace period for jobs that are slow to stop.
 *
 * @module
 */

import { retry, RetryError } from "../../deps/async_retry.ts";
import { type ContextEnv, createContext, type WorkTracker } from "../context.ts";
import { GatherError, toError } from "../../errors.ts";
import type { DiagnosticKind, EventSink } from "../../events.ts";
import { errorInfo } from "../../events.ts";
import type { DepResults, Job, JobSpec, Settlement } from "../../types.ts";
import type { Instrument } from "../instrument.ts";
import type { JobInput, JobRun, JobRunner } from "../runner.ts";
import { JobScope } from "../scope.ts";
import type { TaskGroup } from "../task_group.ts";
import { createSpawner, type Spawner } from "../../process/spawn.ts";

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

/** What the run shares with each of its jobs. */
interface RunnerEnv {
  scope: JobScope;
  emit: EventSink;
  graceMs: number;
  defaultTimeoutMs: number | undefined;
  nameOf: (handle: Job<unknown>) => string | undefined;
  instrument: Instrument | undefined;
  process: ContextEnv["process"];
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
    const graceMs = options.graceMs ?? 5000;
    this.#env = {
      scope: options.scope ?? new JobScope(),
      emit: options.emit ?? (() => {}),
      graceMs,
      defaultTimeoutMs: options.timeoutMs,
      nameOf: options.nameOf ?? (() => undefined),
      instrument: options.instrument,
      process: {
        graceMs,
        forceSignal: options.forceSignal ?? new AbortController().signal,
        registry: new Set(),
        spawner: options.spawner ?? createSpawner(),
      },
    };
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
    await Promise.allSettled([...this.#env.process.registry]);
  }
}

/**
 * One attempt of a job: what its context reads (the env), what it started
 * (the tracker), and its abort signal, made only when someone reads it. One
 * object, so an attempt that uses none of these costs little.
 */
class Attempt implements ContextEnv, WorkTracker {
  readonly name: string;
  readonly attempt: number;
  readonly results: DepResults;
  readonly nameOf: (handle: Job<unknown>) => string | undefined;
  readonly emit: EventSink;
  readonly process: ContextEnv["process"];
  readonly tracker: WorkTracker = this;
  pending: Map<Promise<unknown>, string> | undefined = undefined;
  group: TaskGroup | undefined = undefined;
  heldOpen: string | undefined = undefined;
  aborted = false;
  reason: unknown = undefined;
  onAbort: ((reason: unknown) => void) | undefined = undefined;
  #controller: AbortController | undefined = undefined;

  constructor(name: string, attempt: number, results: DepResults, env: RunnerEnv) {
    this.name = name;
    this.attempt = attempt;
    this.results = results;
    this.nameOf = env.nameOf;
    this.emit = env.emit;
    this.process = env.process;
  }

  signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.onAbort?.(reason);
  }
}

/** One job in a run: its attempts run at once; `cancel()` aborts it, `force()` stops waiting. */
class RunningJob implements JobRun {
  readonly spec: JobSpec;
  readonly settled: Promise<Settlement>;
  #results: DepResults;
  #env: RunnerEnv;
  #attempts = 0;
  #current: Attempt | undefined;
  #cancelReason: Error | undefined;
  #retryAbort: AbortController | undefined;
  #stopWaiting: (() => void) | undefined;
  #ignoredCancellation = false;

  /**
   * Prepare a job to run.
   *
   * @param spec The job.
   * @param results Its dependencies' results by name (a `Map` will do).
   * @param env What the run shares with its jobs.
   */
  constructor(spec: JobSpec, results: DepResults, env: RunnerEnv) {
    this.spec = spec;
    this.#results = results;
    this.#env = env;
    this.settled = this.#settle();
  }

  /** Run the job to the end, retries included; never rejects. */
  async #settle(): Promise<Settlement> {
    const maxAttempts = this.spec.retries + 1;
    try {
      let result: unknown;
      if (maxAttempts === 1) {
        result = await this.#attempt();
      } else {
        this.#retryAbort = new AbortController();
        result = await retry(() => this.#attempt(), {
          maxAttempts,
          minTimeout: this.spec.retryDelayMs,
          maxTimeout: Math.max(this.spec.retryDelayMs * 2 ** this.spec.retries, 1),
          multiplier: 2,
          signal: this.#retryAbort.signal,
          isRetriable: (error) => this.#willRetry(error, maxAttempts),
        });
      }
      return this.#settlement("ok", undefined, result);
    } catch (thrown) {
      const error = toError(thrown instanceof RetryError ? thrown.cause : thrown);
      if (this.#cancelReason !== undefined && !isTimeout(error)) {
        return this.#settlement("cancelled", this.#cancelReason);
      }
      return this.#settlement("failed", error);
    }
  }

  /**
   * Abort the job: its signal fires, no retry starts, and it has the grace
   * period to stop.
   *
   * @param reason Why, given to the signal.
   */
  cancel(reason: Error): void {
    if (this.#cancelReason !== undefined) return;
    this.#cancelReason = reason;
    this.#retryAbort?.abort(reason);
    this.#current?.abort(reason);
  }

  /** Stop waiting for a cancelled job now, rather than at the end of its grace period. */
  force(): void {
    this.#stopWaiting?.();
  }

  #settlement(status: Settlement["status"], error?: Error, result?: unknown): Settlement {
    const settlement: Settlement = {
      status,
      attempts: this.#attempts,
      ignoredCancellation: this.#ignoredCancellation,
    };
    if (error !== undefined) settlement.error = error;
    if (status === "ok") settlement.result = result;
    return settlement;
  }

  #willRetry(error: unknown, maxAttempts: number): boolean {
    if (this.#cancelReason !== undefined) return false;
    if (this.#attempts < maxAttempts) {
      this.#env.emit({
        type: "job:retry",
        time: Date.now(),
        job: this.spec.name,
        attempt: this.#attempts,
        error: errorInfo(toError(error)),
      });
    }
    return true;
  }

  #attempt(): Promise<unknown> {
    const env = this.#env;
    const { name } = this.spec;
    const abort = new Attempt(name, ++this.#attempts, this.#results, env);
    this.#current = abort;
    if (this.#cancelReason !== undefined) return Promise.reject(this.#cancelReason);
    const tracker: WorkTracker = abort;
    const ctx = createContext(abort);
    let value: unknown;
    let threw = false;
    const instrument = env.instrument;
    const calledAt = instrument?.jobReturned === undefined ? 0 : Date.now();
    try {
      value = env.scope.run(name, this.spec.fn, ctx);
    } catch (error) {
      threw = true;
      value = error;
    }
    let thenable = !threw && typeof (value as { then?: unknown } | null)?.then === "function";
    // Returning what ctx.sh or ctx.offload returned runs no more of the job's code.
    instrument?.jobReturned?.(
      name,
      Date.now() - calledAt,
      tracker.group !== undefined || (thenable && !tracker.pending?.has(value as Promise<unknown>)),
    );
    if (threw) {
      if (tracker.group === undefined && tracker.pending === undefined) {
        return Promise.reject(value);
      }
      value = Promise.reject(value);
      thenable = true;
    }
    // The fast path: a job that returned at once and left nothing running.
    if (!thenable && tracker.group === undefined && !tracker.pending?.size) {
      return Promise.resolve(value);
    }
    const timeoutMs = this.spec.timeoutMs ?? env.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(graceTimer);
        abort.onAbort = undefined;
        this.#stopWaiting = undefined;
        settle();
      };
      abort.onAbort = (reason) => {
        const cancelledAt = Date.now();
        // After the grace period, or sooner when told to stop waiting (a second Ctrl-C).
        const giveUp = (forced: boolean) =>
          finish(() => {
            const waited = forced ? Math.round(Date.now() - cancelledAt) : env.graceMs;
            const stopped = `gather stopped waiting for it${
              forced ? " when told to stop at once" : ""
            }`;
            if (abort.heldOpen !== undefined) {
              // Not the job's fault: it passed its signal on, and its command has ended.
              this.#diagnose(
                "escaped-process",
                `Job "${name}" was still waiting ${waited}ms after it was cancelled: ${abort.heldOpen}; ${stopped}`,
                "a process started with setsid or as a daemon keeps the job's output pipe open: redirect its output (> /dev/null 2>&1), or stop it before the command ends",
              );
              return reject(reason);
            }
            this.#ignoredCancellation = true;
            this.#diagnose(
              "ignored-cancellation",
              `Job "${name}" was still running ${waited}ms after it was cancelled (${
                reason instanceof Error ? reason.message : "cancelled"
              }); ${stopped}`,
              "pass ctx.signal on to fetch, ctx.sh, delay and every other wait, or check ctx.signal.aborted in loops",
            );
            reject(reason);
          });
        this.#stopWaiting = () => giveUp(true);
        graceTimer = setTimeout(() => giveUp(false), env.graceMs);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          abort.abort(
            new GatherError("TIMEOUT", `Job "${name}" timed out after ${timeoutMs}ms`, {
              job: name,
            }),
          );
        }, timeoutMs);
      }
      // A timed-out attempt fails with the timeout error, whatever it does after.
      const timedOut = () => isTimeout(abort.reason) ? abort.reason as Error : undefined;
      Promise.resolve(value).then(
        async (result) => {
          const childError = await this.#afterBody(tracker, abort);
          finish(() => {
            const error = timedOut() ?? childError;
            error === undefined ? resolve(result) : reject(error);
          });
        },
        async (error) => {
          const childError = await this.#afterBody(tracker, abort);
          finish(() => reject(timedOut() ?? childError ?? error));
        },
      );
      if (this.#cancelReason !== undefined) abort.abort(this.#cancelReason);
    });
  }

  /**
   * Once the job's function has settled: wait for its `ctx.spawn` children,
   * and stop (and report) commands it started but did not wait for.
   *
   * @returns The first child failure, if any.
   */
  async #afterBody(tracker: WorkTracker, abort: Attempt): Promise<Error | undefined> {
    let childError: Error | undefined;
    if (tracker.group !== undefined) {
      try {
        await tracker.group.drain();
      } catch (error) {
        childError = toError(error);
      }
    }
    if (tracker.pending !== undefined && tracker.pending.size > 0) {
      const what = [...new Set(tracker.pending.values())];
      const shown = what.slice(0, 3).join(", ") +
        (what.length > 3 ? ` and ${what.length - 3} more` : "");
      this.#diagnose(
        "pending-work",
        `Job "${this.spec.name}" finished while work it started was still running: ${shown}; gather stopped it`,
        "await every ctx.sh, ctx.exec and ctx.offload call, or start it with ctx.spawn so the job waits for it",
      );
      const pending = [...tracker.pending.keys()];
      abort.abort(
        new GatherError("CANCELLED", `Job "${this.spec.name}" finished before this work`, {
          job: this.spec.name,
        }),
      );
      await Promise.allSettled(pending);
    }
    return childError;
  }

  #diagnose(kind: DiagnosticKind, message: string, hint: string): void {
    this.#env.emit({
      type: "diagnostic",
      time: Date.now(),
      job: this.spec.name,
      kind,
      message,
      hint,
    });
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === "TIMEOUT";
}
