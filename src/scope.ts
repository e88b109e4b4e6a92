/**
 * Which job is running the current code, kept across `await` by
 * `AsyncLocalStorage`, so output and errors can be attributed to a job.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";

/** Watches when jobs' code runs (the diagnostics do). */
export interface CodeWatcher {
  /**
   * A job's function has returned: how long its synchronous part ran (whole
   * ms, by `Date.now()`: cheap enough to take for every job), and whether the
   * job may run more of its own code later (it returned a promise of its own
   * making, or started children with `ctx.spawn`), rather than only waiting
   * on work gather runs for it (`ctx.sh`, `ctx.offload`).
   */
  returned(job: string, ms: number, runsLater: boolean): void;
  /** The scheduler started every job it could for now; none has run on past its first `await`. */
  started(): void;
}

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

const watchers = new WeakMap<JobScope, CodeWatcher>();

/**
 * Set (or, with `undefined`, remove) what watches the code of a scope's jobs.
 *
 * @param scope The scope.
 * @param watcher The watcher.
 *
 * @example Usage
 * ```ts
 * import { codeWatcher, JobScope, watchCode } from "./scope.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const scope = new JobScope();
 * watchCode(scope, { returned: () => {}, started: () => {} });
 * assertEquals(typeof codeWatcher(scope)?.started, "function");
 * watchCode(scope, undefined);
 * assertEquals(codeWatcher(scope), undefined);
 * ```
 */
export function watchCode(scope: JobScope, watcher: CodeWatcher | undefined): void {
  if (watcher === undefined) watchers.delete(scope);
  else watchers.set(scope, watcher);
}

/**
 * What watches the code of a scope's jobs, if anything.
 *
 * @param scope The scope.
 * @returns The watcher.
 *
 * @example Usage
 * ```ts
 * import { codeWatcher, JobScope } from "./scope.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(codeWatcher(new JobScope()), undefined);
 * ```
 */
export function codeWatcher(scope: JobScope): CodeWatcher | undefined {
  return watchers.get(scope);
}
