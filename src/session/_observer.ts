/**
 * A run's `onEvent`, called one way whatever emits the event (the
 * scheduler, a job's `ctx.log`, a command's output, a timer, the
 * diagnostics): a throw never reaches the code that emitted the event. It stops the run instead, through
 * {@linkcode Observer.halted}, and the run rejects with it.
 *
 * @module
 */

import type { EventSink, GatherEvent } from "../events.ts";

/**
 * Delivers events to an `onEvent` callback and keeps its first failure.
 *
 * @example Usage
 * ```ts
 * import { Observer } from "./_observer.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const observer = new Observer(() => { throw new Error("observer bug"); });
 * observer.deliver({ type: "warning", time: 0, message: "hi" });
 * assertEquals(observer.halted.aborted, true);
 * assertEquals((observer.failure?.error as Error).message, "observer bug");
 * ```
 */
export class Observer {
  #fn: EventSink;
  #halt = new AbortController();
  #failure: { error: unknown } | undefined;

  /**
   * Watch a callback.
   *
   * @param fn The callback.
   */
  constructor(fn: EventSink) {
    this.#fn = fn;
  }

  /** Aborted when the callback first throws: the run must stop. */
  get halted(): AbortSignal {
    return this.#halt.signal;
  }

  /** The callback's first error, once it failed. */
  get failure(): { error: unknown } | undefined {
    return this.#failure;
  }

  /**
   * Hand an event to the callback, unless it already failed (it then gets
   * no more). It never throws.
   *
   * @param event The event.
   */
  deliver(event: GatherEvent): void {
    if (this.#failure) return;
    try {
      this.#fn(event);
    } catch (error) {
      this.#fail(error);
      return;
    }
  }

  #fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = { error };
    this.#halt.abort(error);
  }
}
