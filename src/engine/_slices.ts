/**
 * Slices of scheduling work: jobs that settle at once would chain in
 * microtasks for a whole run, starving signals, output and redraws. After
 * ~10 ms of such work the scheduler yields to the event loop, and goes on in
 * its next turn.
 *
 * @module
 */

import { setImmediate } from "node:timers";

/** Longest stretch of scheduling work before yielding to the event loop, in ms. */
const SLICE_MS = 10;

/**
 * Decides when the scheduler yields. A slice ends when the event loop gets a
 * turn: a marker scheduled with `setImmediate` runs only once the current
 * task and its microtasks are done. `setImmediate`, not `setTimeout(0)`:
 * nested timeouts are clamped to 4 ms each.
 *
 * @example Usage
 * ```ts
 * import { Slices } from "./_slices.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const slices = new Slices();
 * let resumed = false;
 * assertEquals(slices.enter(0, true, () => resumed = true), true); // a slice starts
 * assertEquals(slices.enter(50, true, () => resumed = true), false); // 50 ms later: yield
 * assertEquals(slices.resumePending, true);
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * assertEquals(resumed, true);
 * ```
 */
export class Slices {
  #start = -1;
  #resumePending = false;
  #endSlice = () => void (this.#start = -1);

  /**
   * Whether scheduling work may go on now.
   *
   * @param now The clock, in ms.
   * @param wantsMore Whether there is work left to start (jobs waiting, the run not stopping).
   * @param resume Called in the event loop's next turn when this returns `false`.
   * @returns `false` when the slice is over and there is more to do: stop, `resume` will be called.
   */
  enter(now: number, wantsMore: boolean, resume: () => void): boolean {
    if (this.#start < 0) {
      this.#start = now;
      setImmediate(this.#endSlice);
      return true;
    }
    if (now - this.#start <= SLICE_MS || !wantsMore) return true;
    if (!this.#resumePending) {
      this.#resumePending = true;
      setImmediate(() => {
        this.#resumePending = false;
        resume();
      });
    }
    return false;
  }

  /** Whether the work goes on in the event loop's next turn. */
  get resumePending(): boolean {
    return this.#resumePending;
  }
}
