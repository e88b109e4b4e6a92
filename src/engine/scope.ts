/**
 * Which job is running the current code, kept across `await` by
 * `AsyncLocalStorage`, so output and errors can be attributed to a job.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Tracks the job that the current async context belongs to.
 *
 * @example Usage
 * ```ts
 * import { JobScope } from "./scope.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const scope = new JobScope();
 * await scope.run("build", async () => {
 *   await Promise.resolve();
 *   assertEquals(scope.current(), "build");
 * });
 * assertEquals(scope.current(), undefined);
 * ```
 */
export class JobScope {
  #storage = new AsyncLocalStorage<string>();

  /**
   * Run `fn` as part of a job.
   *
   * @param job The job's name.
   * @param fn The code to run.
   * @param args Arguments for `fn`.
   * @returns What `fn` returns.
   */
  run<A extends unknown[], T>(job: string, fn: (...args: A) => T, ...args: A): T {
    return this.#storage.run(job, fn, ...args);
  }

  /**
   * The job the calling code belongs to.
   *
   * @returns Its name, or `undefined` outside every job.
   */
  current(): string | undefined {
    return this.#storage.getStore();
  }
}
