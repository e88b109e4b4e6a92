/**
 * One job in the in-process runner: its attempts (each with its context,
 * timeout and tracked work), retries with backoff, and cancellation with a
 * grace period.
 *
 * @module
 */

import { type ContextEnv, createContext, type WorkTracker } from "../context.ts";
import type { RetryError } from "../../deps/async_retry.ts";
import { lazy } from "../../lazy.ts";
import { MAX_TIMER_MS } from "../../duration.ts";
import { GatherError, toError } from "../../errors.ts";
import type { DiagnosticKind, EventSink } from "../../events.ts";
import { errorInfo } from "../../events.ts";
import type { DepResults, Job, JobSpec, Settlement } from "../../types.ts";
import type { Instrument } from "../instrument.ts";
import type { JobRun } from "../runner.ts";
import type { JobScope } from "../scope.ts";
import type { TaskGroup } from "../task_group.ts";
import { Readiness } from "./_readiness.ts";

/** What a run shares with each of its jobs. */
export interface RunnerEnv {
  scope: JobScope;
  emit: EventSink;
  graceMs: number;
  defaultTimeoutMs: number | undefined;
  nameOf: (handle: Job<unknown>) => string | undefined;
  instrument: Instrument | undefined;
  process: ContextEnv["process"];
  /** The jobs started and not yet settled, by name: whom `fail()` can reach. */
  live: Map<string, RunningJob>;
  /** Running services' readiness, by name: their output lines feed their line probe. */
  services: Map<string, Readiness>;
}

/** A job stopped at once sooner than this after its cancellation is not said to ignore it. */
const FAIR_CHANCE_MS = 1_000;

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
  /** The attempt has settled. */
  done = false;
  /** It was aborted by `fail()`: it fails with `reason`, whatever its function does after. */
  failed = false;
  onAbort: ((reason: unknown) => void) | undefined = undefined;
  ready: ((value: unknown) => void) | undefined = undefined;
  /** The files its context reported with `ctx.discovered()`, absolute. */
  found: Set<string> | undefined = undefined;
  /** A cached job that declares neither `discovers` nor a `depfile`: `ctx.discovered()` fails. */
  undeclared = false;
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

  discovered(paths: readonly string[]): void {
    if (this.undeclared) {
      throw new GatherError(
        "BAD_OPTION",
        `Job "${this.name}" called ctx.discovered() but does not declare it: add discovers: true to its options, so that its lookups ask for the files it read`,
        { job: this.name },
      );
    }
    const found = this.found ??= new Set();
    for (const path of paths) found.add(path);
  }

  /** Fail the attempt from outside; `false` if it has settled or was aborted already. */
  fail(error: Error): boolean {
    if (this.done || this.aborted) return false;
    this.failed = true;
    this.abort(error);
    return true;
  }
}

/** One job in a run: its attempts run at once; `cancel()` aborts it, `force()` stops waiting. */
export class RunningJob implements JobRun {
  readonly spec: JobSpec;
  readonly settled: Promise<Settlement>;
  readonly ready?: Promise<unknown>;
  #results: DepResults;
  #env: RunnerEnv;
  #attempts = 0;
  #current: Attempt | undefined;
  #cancelReason: Error | undefined;
  #retryAbort: AbortController | undefined;
  #stopWaiting: (() => void) | undefined;
  #ignoredCancellation = false;
  /** The error `fail()` failed the last attempt with. */
  #failure: Error | undefined;
  #service: Readiness | undefined;
  #stopped = false;

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
    env.live.set(spec.name, this);
    if (spec.service !== undefined) {
      const service = this.#service = new Readiness(spec.name, spec.service);
      this.ready = service.promise;
      this.settled = this.#settleService(service);
    } else {
      this.settled = this.#settle();
    }
  }

  /** Run the job to the end, retries included; never rejects. */
  async #settle(): Promise<Settlement> {
    const maxAttempts = this.spec.retries + 1;
    let retryError: typeof RetryError | undefined;
    try {
      let result: unknown;
      if (maxAttempts === 1) {
        result = await this.#attempt();
      } else {
        this.#retryAbort = new AbortController();
        // std's retry loads only for a job that may retry: it costs start-up.
        const { retry, RetryError } = await lazy<typeof import("../../deps/async_retry.ts")>(
          new URL("../../deps/async_retry.ts", import.meta.url),
        );
        retryError = RetryError;
        result = await retry(() => this.#attempt(), {
          maxAttempts,
          minTimeout: Math.min(this.spec.retryDelayMs, MAX_TIMER_MS),
          maxTimeout: Math.min(
            Math.max(this.spec.retryDelayMs * 2 ** this.spec.retries, 1),
            MAX_TIMER_MS,
          ),
          multiplier: 2,
          // The waits are retryDelay, twice it, four times… as documented: std's default jitter
          // would make each a random time below that.
          jitter: 0,
          signal: this.#retryAbort.signal,
          isRetriable: (error) => this.#willRetry(error, maxAttempts),
        });
      }
      return this.#settlement("ok", undefined, result);
    } catch (thrown) {
      const error = jobError(isRetryError(thrown, retryError) ? thrown.cause : thrown);
      const failedOutright = isTimeout(error) || error === this.#failure;
      if (this.#cancelReason !== undefined && !failedOutright) {
        return this.#settlement("cancelled", this.#cancelReason);
      }
      return this.#settlement("failed", error);
    } finally {
      this.#env.live.delete(this.spec.name);
    }
  }

  /**
   * Run a service to its end: it is ready when its probe passes; it ends
   * `ok` when it was ready and gather stopped it, `failed` when it was not
   * ready in time or ended on its own, `cancelled` when cancelled.
   */
  async #settleService(service: Readiness): Promise<Settlement> {
    const { services } = this.#env;
    services.set(this.spec.name, service);
    try {
      const taken = await service.taken();
      if (taken !== undefined) return this.#settlement("failed", taken);
      let cause: Error | undefined;
      try {
        await this.#attempt();
      } catch (thrown) {
        cause = jobError(thrown);
      }
      if (this.#stopped && service.isReady) return this.#settlement("ok", undefined, service.value);
      if (cause !== undefined && (isTimeout(cause) || cause === this.#failure)) {
        return this.#settlement("failed", cause);
      }
      if (this.#cancelReason !== undefined) {
        return this.#settlement("cancelled", this.#cancelReason);
      }
      return this.#settlement("failed", service.endedError(cause));
    } finally {
      service.dispose();
      if (services.get(this.spec.name) === service) services.delete(this.spec.name);
      this.#env.live.delete(this.spec.name);
    }
  }

  /**
   * For a service that is no longer needed: stop it as `cancel` does (its
   * process trees get SIGTERM, then SIGKILL after the grace period); once
   * ready, it then ends `ok` with its ready value.
   */
  stop(): void {
    if (this.#cancelReason !== undefined) return;
    this.#stopped = true;
    this.cancel(
      new GatherError("CANCELLED", `Service "${this.spec.name}" was stopped: no job needs it now`, {
        job: this.spec.name,
      }),
    );
  }

  /**
   * Fail the current attempt with an exception the job's code threw outside
   * its function.
   *
   * @param error What it threw.
   * @returns Whether an attempt was running (and not already aborted) to fail.
   */
  fail(error: Error): boolean {
    if (this.#current?.fail(error) !== true) return false;
    this.#failure = error;
    return true;
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
    const found = this.#current?.found;
    if (status === "ok" && found !== undefined) settlement.discovered = [...found];
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
        error: errorInfo(jobError(error)),
      });
    }
    return true;
  }

  #attempt(): Promise<unknown> {
    const env = this.#env;
    const { name } = this.spec;
    const abort = new Attempt(name, ++this.#attempts, this.#results, env);
    abort.undeclared = this.spec.cache !== undefined && this.spec.cache.discovers !== true;
    this.#current = abort;
    if (this.#cancelReason !== undefined) {
      abort.done = true;
      return Promise.reject(this.#cancelReason);
    }
    const service = this.#service;
    if (service !== undefined) {
      abort.ready = (value) => service.manualReady(value);
      service.start((error) => abort.abort(error));
    }
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
        abort.done = true;
        return Promise.reject(abort.failed ? abort.reason : value);
      }
      value = Promise.reject(value);
      thenable = true;
    }
    // The fast path: a job that returned at once and left nothing running (a listener it
    // dispatched to may have thrown meanwhile: that fails it).
    if (!thenable && tracker.group === undefined && !tracker.pending?.size) {
      abort.done = true;
      return abort.failed ? Promise.reject(abort.reason) : Promise.resolve(value);
    }
    // A service runs until it is stopped: only its readiness has a timeout.
    const timeoutMs = service !== undefined
      ? undefined
      : this.spec.timeoutMs ?? env.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        abort.done = true;
        clearTimeout(timer);
        clearTimeout(graceTimer);
        abort.onAbort = undefined;
        this.#stopWaiting = undefined;
        settle();
      };
      abort.onAbort = (reason) => {
        const cancelledAt = Date.now();
        env.instrument?.jobStopping?.(name, reason);
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
            // Told to stop at once before the job had a fair chance to stop (a quick second
            // Ctrl-C): not the job's fault, and no diagnostic says it is.
            if (forced && waited < Math.min(env.graceMs, FAIR_CHANCE_MS)) return reject(reason);
            this.#ignoredCancellation = true;
            const why = toError(reason).message;
            // The job passed its signal on to its commands: one of them outlived its SIGTERM.
            const commands = [...(tracker.pending?.values() ?? [])].filter((what) =>
              what.startsWith("ctx.sh") || what.startsWith("ctx.exec")
            );
            if (commands.length > 0) {
              this.#diagnose(
                "ignored-cancellation",
                `Job "${name}" was still running ${waited}ms after it was cancelled (${why}): its ${
                  commands.join(", ")
                } had not exited on SIGTERM; ${stopped}, and the command was killed (SIGKILL)`,
                "make the program exit on SIGTERM (a shell script must not trap TERM away; a server should stop on it), or give it less time with --grace",
              );
              return reject(reason);
            }
            this.#diagnose(
              "ignored-cancellation",
              `Job "${name}" was still running ${waited}ms after it was cancelled (${why}); ${stopped}`,
              "pass ctx.signal on to fetch, ctx.sh, delay and every other wait, or check ctx.signal.aborted in loops",
            );
            reject(reason);
          });
        this.#stopWaiting = () => giveUp(true);
        graceTimer = setTimeout(() => giveUp(false), env.graceMs);
      };
      if (timeoutMs !== undefined) {
        const limitMs = Math.min(timeoutMs, MAX_TIMER_MS);
        timer = setTimeout(() => {
          abort.abort(
            new GatherError("TIMEOUT", `Job "${name}" timed out after ${timeoutMs}ms`, {
              job: name,
            }),
          );
        }, limitMs);
      }
      // A timed-out attempt, or one failed from outside, fails with that error, whatever it does after.
      const decided = () =>
        abort.failed || isTimeout(abort.reason) ? abort.reason as Error : undefined;
      Promise.resolve(value).then(
        async (result) => {
          const childError = await this.#afterBody(tracker, abort);
          finish(() => {
            const error = decided() ?? childError;
            error === undefined ? resolve(result) : reject(error);
          });
        },
        async (error) => {
          const childError = await this.#afterBody(tracker, abort);
          finish(() => reject(decided() ?? childError ?? error));
        },
      );
      if (this.#cancelReason !== undefined) abort.abort(this.#cancelReason);
      // Failed while its function ran (a listener it dispatched to threw): the grace period starts.
      if (abort.aborted && graceTimer === undefined) abort.onAbort?.(abort.reason);
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
  try {
    // A service not ready in time fails too.
    const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
    return code === "TIMEOUT" || code === "NOT_READY";
  } catch {
    return false; // a revoked proxy, a throwing getter: not gather's timeout
  }
}

function isRetryError(
  thrown: unknown,
  type: typeof RetryError | undefined,
): thrown is RetryError {
  if (type === undefined) return false;
  try {
    return thrown instanceof type;
  } catch {
    return false;
  }
}

/** A job's failure as an Error: one that threw `undefined` or `null` is told what to throw. */
function jobError(thrown: unknown): Error {
  if (thrown !== undefined && thrown !== null) return toError(thrown);
  return new Error(`the job threw ${thrown}, not an Error (throw an Error to say why)`);
}
