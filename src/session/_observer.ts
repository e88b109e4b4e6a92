/**
 * A run's `onEvent`, called one way whatever emits the event (the
 * scheduler, a job's `ctx.log`, a command's output, a timer, the
 * diagnostics): a throw, or a returned promise that rejects, never reaches
 * the code that emitted the event. It stops the run instead, through
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
  /** The promises the callback returned that have not settled yet. */
  #pending = new Set<Promise<void>>();

  /**
   * Watch a callback.
   *
   * @param fn The callback; it may return a promise.
   */
  constructor(fn: EventSink) {
    this.#fn = fn;
  }

  /** Aborted when the callback first throws or its promise rejects: the run must stop. */
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
    let returned: unknown;
    try {
      returned = (this.#fn as (event: GatherEvent) => unknown)(event);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (!isThenable(returned)) return;
    const settled = Promise.resolve(returned).then(() => {}, (error) => this.#fail(error));
    this.#pending.add(settled);
    settled.then(() => this.#pending.delete(settled));
  }

  /**
   * Wait until every promise the callback returned has settled, the callback
   * failed, or `force` aborts.
   *
   * @param force Stops the wait (a second Ctrl-C).
   */
  async settled(force?: AbortSignal): Promise<void> {
    const forced = force === undefined ? undefined : Promise.withResolvers<void>();
    const onForce = () => forced?.resolve();
    force?.addEventListener("abort", onForce, { once: true });
    try {
      while (this.#pending.size > 0 && !this.#failure && force?.aborted !== true) {
        await Promise.race([Promise.all(this.#pending), forced?.promise]);
      }
    } finally {
      force?.removeEventListener("abort", onForce);
    }
  }

  #fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = { error };
    this.#halt.abort(error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
