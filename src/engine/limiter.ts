/**
 * The ready queue: jobs whose dependencies are done, waiting for a slot under
 * the global limit and their pool's limit, highest priority first.
 *
 * @module
 */

import { BinaryHeap } from "../deps/data_structures_binary_heap.ts";

interface Lane {
  limit: number;
  running: number;
  heap: BinaryHeap<number>;
}

/**
 * Hands out ready jobs in priority order, never exceeding the global limit or
 * any pool's limit. A full pool does not hold back jobs of other pools.
 *
 * @example Usage
 * ```ts
 * import { Limiter } from "./limiter.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const limiter = new Limiter(1, new Float64Array([1, 5]));
 * limiter.push(0);
 * limiter.push(1);
 * assertEquals(limiter.take(), 1); // the higher priority first
 * assertEquals(limiter.take(), undefined); // the global limit is 1
 * ```
 */
export class Limiter {
  #concurrency: number;
  #running = 0;
  #lanes = new Map<string, Lane>();
  #laneOf: (job: number) => { name: string; limit: number } | undefined;
  #compare: (a: number, b: number) => number;
  #waiting = 0;

  /**
   * Construct a limiter.
   *
   * @param concurrency The global limit.
   * @param priority Each job's priority, higher first; ties go to the lower index.
   * @param poolOf Each job's pool, if any.
   */
  constructor(
    concurrency: number,
    priority: Float64Array,
    poolOf: (job: number) => { name: string; limit: number } | undefined = () => undefined,
  ) {
    this.#concurrency = concurrency;
    this.#laneOf = poolOf;
    this.#compare = (a, b) => (priority[b]! - priority[a]!) || a - b;
  }

  /** Jobs in use of a slot. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Add a ready job.
   *
   * @param job The job's index.
   */
  push(job: number): void {
    this.#lane(job).heap.push(job);
    this.#waiting++;
  }

  /**
   * Take the highest-priority job that has a free slot, and occupy the slot.
   *
   * @returns The job's index, or `undefined` if none can start now.
   */
  take(): number | undefined {
    if (this.#running >= this.#concurrency) return undefined;
    let best: Lane | undefined;
    let bestJob = -1;
    for (const lane of this.#lanes.values()) {
      if (lane.running >= lane.limit) continue;
      const head = lane.heap.peek();
      if (head === undefined) continue;
      if (best === undefined || this.#compare(head, bestJob) < 0) {
        best = lane;
        bestJob = head;
      }
    }
    if (best === undefined) return undefined;
    best.heap.pop();
    best.running++;
    this.#running++;
    this.#waiting--;
    return bestJob;
  }

  /**
   * Free the slot a job held.
   *
   * @param job The job's index.
   */
  release(job: number): void {
    this.#lane(job).running--;
    this.#running--;
  }

  /** Forget every waiting job. */
  clear(): void {
    for (const lane of this.#lanes.values()) lane.heap.clear();
    this.#waiting = 0;
  }

  #lane(job: number): Lane {
    const pool = this.#laneOf(job);
    const key = pool === undefined ? "" : `pool:${pool.name}`;
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { limit: pool?.limit ?? Infinity, running: 0, heap: new BinaryHeap(this.#compare) };
      this.#lanes.set(key, lane);
    }
    return lane;
  }
}
