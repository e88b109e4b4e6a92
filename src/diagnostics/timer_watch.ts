/**
 * Time timer callbacks and note the job each one belongs to, so a stall
 * inside a timer callback is blamed on its job even when the callback was
 * defined outside the job's function (`AsyncLocalStorage` follows timers).
 *
 * @module
 */

import type { JobScope } from "../engine/scope.ts";

/** A timer callback that ran longer than the threshold. */
export interface SlowCallback {
  /** The job it belongs to. */
  job: string;
  /** When it started, `performance.now()`. */
  start: number;
  /** When it ended, `performance.now()`. */
  end: number;
}

interface TimerTarget {
  setTimeout: typeof setTimeout;
  setInterval: typeof setInterval;
}

/**
 * Wrap `setTimeout` and `setInterval` of `target` so that callbacks running
 * longer than `thresholdMs` inside a job are reported.
 *
 * @param target The global object (or a stand-in).
 * @param scope Tells which job a callback belongs to.
 * @param thresholdMs The shortest callback worth reporting.
 * @param onSlow Receives each slow callback.
 * @returns A function that restores the originals.
 *
 * @example Usage
 * ```ts
 * import { watchTimers } from "./timer_watch.ts";
 * import { JobScope } from "../engine/scope.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const scope = new JobScope();
 * const slow: string[] = [];
 * const target = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };
 * const restore = watchTimers(target, scope, 20, (s) => slow.push(s.job));
 * await scope.run("spinner", () =>
 *   new Promise<void>((resolve) => target.setTimeout(() => {
 *     const end = performance.now() + 30;
 *     while (performance.now() < end) continue;
 *     resolve();
 *   }, 0)));
 * restore();
 * assertEquals(slow, ["spinner"]);
 * ```
 */
export function watchTimers(
  target: TimerTarget,
  scope: JobScope,
  thresholdMs: number,
  onSlow: (callback: SlowCallback) => void,
): () => void {
  const { setTimeout: originalTimeout, setInterval: originalInterval } = target;
  const wrap = (callback: unknown) => {
    if (typeof callback !== "function") return callback;
    return function (this: unknown, ...args: unknown[]) {
      const start = performance.now();
      try {
        return callback.apply(this, args);
      } finally {
        const end = performance.now();
        if (end - start >= thresholdMs) {
          const job = scope.current();
          if (job !== undefined) onSlow({ job, start, end });
        }
      }
    };
  };
  // deno-lint-ignore no-explicit-any
  const timeout = originalTimeout as (...args: any[]) => ReturnType<typeof setTimeout>;
  // deno-lint-ignore no-explicit-any
  const interval = originalInterval as (...args: any[]) => ReturnType<typeof setInterval>;
  target.setTimeout =
    ((callback: unknown, ...rest: unknown[]) =>
      timeout(wrap(callback), ...rest)) as typeof setTimeout;
  target.setInterval =
    ((callback: unknown, ...rest: unknown[]) =>
      interval(wrap(callback), ...rest)) as typeof setInterval;
  return () => {
    target.setTimeout = originalTimeout;
    target.setInterval = originalInterval;
  };
}
