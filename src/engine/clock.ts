/**
 * The scheduler's clock, injected so tests can drive a run on virtual time.
 *
 * @module
 */

/** Where the scheduler reads time. */
export interface Clock {
  /** Monotonic milliseconds, for durations. */
  now(): number;
  /** Milliseconds since the Unix epoch, for event times. */
  epochMs(): number;
}

/**
 * The real clock: `performance.now()` and `Date.now()`.
 *
 * @example Usage
 * ```ts
 * import { systemClock } from "./clock.ts";
 * import { assert } from "@std/assert";
 *
 * assert(systemClock.now() >= 0);
 * assert(Math.abs(systemClock.epochMs() - Date.now()) < 1000);
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  epochMs: () => Date.now(),
});
