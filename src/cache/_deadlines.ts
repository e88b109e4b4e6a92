/**
 * The timeouts of a remote cache's requests, kept with one timer.
 *
 * Requests share one timeout and start one after another, so the oldest one
 * in flight is always the next to expire: one timer set for it is enough. A
 * timer per request cost a `setTimeout` and a `clearTimeout` each (Node's
 * timer objects in Deno 2, wrapped by the diagnostics during a run), about
 * 45 µs a request on a remote-hit run of 1,000 jobs here.
 *
 * @module
 */

/**
 * Aborts each request once it has been in flight for the timeout.
 *
 * @example Usage
 * ```ts
 * import { Deadlines } from "./_deadlines.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const deadlines = new Deadlines(20);
 * const slow = new AbortController();
 * const quick = new AbortController();
 * deadlines.add(slow);
 * deadlines.add(quick);
 * deadlines.delete(quick); // answered in time
 * await new Promise((resolve) => slow.signal.addEventListener("abort", resolve));
 * assertEquals((slow.signal.reason as DOMException).name, "TimeoutError");
 * assertEquals(quick.signal.aborted, false);
 * assertEquals([...deadlines.requests()], []);
 * ```
 */
export class Deadlines {
  #timeoutMs: number;
  /** Requests in flight, oldest first, with the time each one expires (`performance.now()`). */
  #pending = new Map<AbortController, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Time requests.
   *
   * @param timeoutMs How long a request may take, in ms.
   */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Start timing a request: it is aborted with a `TimeoutError` once the timeout has passed.
   *
   * @param request The request's controller.
   */
  add(request: AbortController): void {
    this.#pending.set(request, performance.now() + this.#timeoutMs);
    this.#timer ??= setTimeout(this.#expire, this.#timeoutMs);
  }

  /**
   * Stop timing a request that ended; with none left, the timer goes too (it would keep the process alive).
   *
   * @param request The request's controller.
   */
  delete(request: AbortController): void {
    this.#pending.delete(request);
    if (this.#pending.size > 0 || this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The requests in flight.
   *
   * @returns Their controllers, oldest first.
   */
  requests(): IterableIterator<AbortController> {
    return this.#pending.keys();
  }

  #expire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (const [request, deadline] of this.#pending) {
      if (deadline > now) {
        this.#timer = setTimeout(this.#expire, deadline - now);
        return;
      }
      this.#pending.delete(request);
      request.abort(new DOMException("timed out", "TimeoutError"));
    }
  };
}
