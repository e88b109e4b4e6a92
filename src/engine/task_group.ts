/**
 * Structured child work inside a job, like Python's `TaskGroup`: children
 * share a signal, a child's failure aborts its siblings, and the group is
 * done only when every child has settled.
 *
 * @module
 */

import { toError } from "../errors.ts";

/**
 * A group of child tasks bound to a parent signal.
 *
 * @example Usage
 * ```ts
 * import { TaskGroup } from "./task_group.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const group = new TaskGroup(new AbortController().signal);
 * const a = group.spawn(async () => 1);
 * const b = group.spawn(async () => 2);
 * await group.drain();
 * assertEquals(await a + await b, 3);
 * ```
 */
export class TaskGroup {
  #controller = new AbortController();
  #pending = new Set<Promise<unknown>>();
  #error: Error | undefined;
  #onParentAbort: () => void;
  #parent: AbortSignal;
  #onFailure: ((error: Error) => void) | undefined;

  /**
   * Create a group whose children are cancelled when `parent` aborts.
   *
   * @param parent The job's signal.
   * @param onFailure Called with the first child failure (to cancel the job's own work too).
   */
  constructor(parent: AbortSignal, onFailure?: (error: Error) => void) {
    this.#parent = parent;
    this.#onFailure = onFailure;
    this.#onParentAbort = () => this.#controller.abort(parent.reason);
    if (parent.aborted) this.#controller.abort(parent.reason);
    else parent.addEventListener("abort", this.#onParentAbort, { once: true });
  }

  /** Aborts when the job is cancelled or a child fails. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The first child failure, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** How many children have not settled yet. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Start a child. Its failure aborts the group's signal; the returned
   * promise is observed by the group, so leaving it un-awaited is safe.
   *
   * @param fn The child's work; it receives the group's signal.
   * @returns The child's result.
   */
  spawn<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T> {
    const child = (async () => {
      this.#controller.signal.throwIfAborted();
      return await fn(this.#controller.signal);
    })();
    this.#pending.add(child);
    child.then(
      () => this.#pending.delete(child),
      (error) => {
        this.#pending.delete(child);
        if (this.#error === undefined && !this.#controller.signal.aborted) {
          this.#error = toError(error);
          this.#controller.abort(this.#error);
          this.#onFailure?.(this.#error);
        }
      },
    );
    return child;
  }

  /**
   * Wait for every child, including those started while waiting.
   *
   * @throws The first child failure.
   */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    this.#parent.removeEventListener("abort", this.#onParentAbort);
    if (this.#error !== undefined) throw this.#error;
  }
}
