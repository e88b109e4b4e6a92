/**
 * The results of one job's dependencies as the scheduler holds them (an array
 * by job number), looked up by name only when the job asks: a job that never
 * calls `ctx.result()` costs one small object instead of a `Map`.
 *
 * @module
 */

import type { DepResults } from "../types.ts";

/** Up to this many deps are searched in place; more get a `Map` on first use. */
const SCAN = 8;

/**
 * A job's dependency results, read from the run's results.
 *
 * @example Usage
 * ```ts
 * import { GraphResults } from "./_dep_results.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const jobs = [{ name: "fetch" }, { name: "build" }, { name: "test" }];
 * const results = new GraphResults(jobs, [42, "dist/", undefined], [0, 1]);
 * assertEquals(results.get("build"), "dist/");
 * assertEquals(results.has("test"), false); // not a dependency of this job
 * ```
 */
export class GraphResults implements DepResults {
  #jobs: readonly { readonly name: string }[];
  #results: readonly unknown[];
  #list: ArrayLike<number>;
  #from: number;
  #to: number;
  #byName: Map<string, number> | undefined;

  /**
   * View some of a run's results.
   *
   * @param jobs Every job (its name), by number.
   * @param results Every job's result, by number.
   * @param list Holds the numbers of this job's dependencies.
   * @param from Where they start in `list`. @default {0}
   * @param to Where they end in `list` (not included). @default {list.length}
   */
  constructor(
    jobs: readonly { readonly name: string }[],
    results: readonly unknown[],
    list: ArrayLike<number>,
    from: number = 0,
    to: number = list.length,
  ) {
    this.#jobs = jobs;
    this.#results = results;
    this.#list = list;
    this.#from = from;
    this.#to = to;
  }

  /**
   * Whether a dependency of this name has a result.
   *
   * @param name The dependency's name.
   * @returns `true` for a dependency of the job.
   */
  has(name: string): boolean {
    return this.#find(name) >= 0;
  }

  /**
   * The result of a dependency.
   *
   * @param name The dependency's name.
   * @returns What it returned, or `undefined` for a job that is not a dependency.
   */
  get(name: string): unknown {
    const dep = this.#find(name);
    return dep < 0 ? undefined : this.#results[dep];
  }

  #find(name: string): number {
    const list = this.#list;
    if (this.#to - this.#from <= SCAN) {
      for (let k = this.#from; k < this.#to; k++) {
        if (this.#jobs[list[k]!]!.name === name) return list[k]!;
      }
      return -1;
    }
    if (this.#byName === undefined) {
      this.#byName = new Map();
      for (let k = this.#from; k < this.#to; k++) {
        this.#byName.set(this.#jobs[list[k]!]!.name, list[k]!);
      }
    }
    return this.#byName.get(name) ?? -1;
  }
}
