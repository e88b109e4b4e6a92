/**
 * Catch exceptions that nothing catches (thrown in a timer callback, a
 * microtask, an event listener, an `EventEmitter` handler), which would
 * otherwise end the process with a bare stack trace, and say which job's code
 * threw them.
 *
 * Deno reports them as an `error` event on the global object, in the async
 * context of the code that threw for microtasks, `process.nextTick` and event
 * listeners, but outside it for timers: timer callbacks are wrapped, so an
 * exception in one is caught while its job is still known.
 *
 * @module
 */

import type { JobScope } from "../engine/scope.ts";

/** Timer functions whose callbacks are wrapped (the global object, or a stand-in). */
export interface TimerFunctions {
  /** Wrapped. */
  setTimeout: typeof setTimeout;
  /** Wrapped. */
  setInterval: typeof setInterval;
  /** Wrapped when there is one (Node's, global in Deno 2). */
  setImmediate?: typeof setImmediate;
}

/** Options of {@linkcode catchUncaught}. */
export interface CatchUncaughtOptions {
  /** Receives the `error` events of uncaught exceptions. */
  target: EventTarget;
  /** Tells which job the code that threw belongs to. */
  scope: JobScope;
  /** Timer functions to wrap, so their callbacks' exceptions are attributed. @default {none} */
  timers?: TimerFunctions | undefined;
  /**
   * Receives each uncaught exception: the job whose code threw it (when
   * known) and the value thrown. It must not throw.
   */
  onError: (job: string | undefined, thrown: unknown) => void;
}

/**
 * Catch uncaught exceptions until the returned function is called. The
 * process is not ended by them meanwhile.
 *
 * @param options Where to listen, what to wrap and whom to tell.
 * @returns A function that removes the listener and restores the timers.
 *
 * @example Usage
 * ```ts
 * import { catchUncaught } from "./uncaught.ts";
 * import { JobScope } from "../engine/scope.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const scope = new JobScope();
 * const caught: string[] = [];
 * const timers = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };
 * const stop = catchUncaught({
 *   target: new EventTarget(),
 *   scope,
 *   timers,
 *   onError: (job, thrown) => void caught.push(`${job}: ${(thrown as Error).message}`),
 * });
 * await scope.run("build", () =>
 *   new Promise<void>((resolve) => {
 *     timers.setTimeout(() => {
 *       resolve();
 *       throw new Error("boom");
 *     }, 0);
 *   }));
 * stop();
 * assertEquals(caught, ["build: boom"]);
 * ```
 */
export function catchUncaught(options: CatchUncaughtOptions): () => void {
  const { target, scope, timers, onError } = options;
  const onErrorEvent = (event: Event) => {
    event.preventDefault(); // reported against its job; the process goes on
    onError(scope.current(), (event as ErrorEvent).error);
  };
  target.addEventListener("error", onErrorEvent);
  const restoreTimers = timers ? wrapTimers(timers, scope, onError) : () => {};
  return () => {
    restoreTimers();
    target.removeEventListener("error", onErrorEvent);
  };
}

function wrapTimers(
  timers: TimerFunctions,
  scope: JobScope,
  onError: CatchUncaughtOptions["onError"],
): () => void {
  const { setTimeout: originalTimeout, setInterval: originalInterval } = timers;
  const originalImmediate = timers.setImmediate;
  const wrap = (callback: unknown) => {
    if (typeof callback !== "function") return callback;
    return function (this: unknown, ...args: unknown[]) {
      try {
        return callback.apply(this, args);
      } catch (thrown) {
        const job = scope.current();
        if (job === undefined) throw thrown; // not a job's: the `error` event tells
        onError(job, thrown);
      }
    };
  };
  // deno-lint-ignore no-explicit-any
  const timeout = originalTimeout as (...args: any[]) => ReturnType<typeof setTimeout>;
  // deno-lint-ignore no-explicit-any
  const interval = originalInterval as (...args: any[]) => ReturnType<typeof setInterval>;
  timers.setTimeout =
    ((callback: unknown, ...rest: unknown[]) =>
      timeout(wrap(callback), ...rest)) as typeof setTimeout;
  timers.setInterval =
    ((callback: unknown, ...rest: unknown[]) =>
      interval(wrap(callback), ...rest)) as typeof setInterval;
  if (originalImmediate) {
    // deno-lint-ignore no-explicit-any
    const immediate = originalImmediate as (...args: any[]) => unknown;
    timers.setImmediate = ((callback: unknown, ...rest: unknown[]) =>
      immediate(wrap(callback), ...rest)) as typeof setImmediate;
  }
  return () => {
    timers.setTimeout = originalTimeout;
    timers.setInterval = originalInterval;
    if (originalImmediate) timers.setImmediate = originalImmediate;
  };
}
