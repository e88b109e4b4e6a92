/**
 * A bounded queue for producer/consumer jobs, with back-pressure: `put`
 * waits while the queue is full, `get` waits while it is empty, and `close`
 * lets consumers drain what is left. (The std `Channel` would fit, but the
 * npm mirror of std we use ships it broken: it imports a missing module.)
 *
 * @module
 */

/** Options of {@linkcode Queue.put} and {@linkcode Queue.get}. */
export interface QueueWaitOptions {
  /** Stop waiting when it aborts (pass `ctx.signal`). */
  signal?: AbortSignal;
}

/** Thrown by {@linkcode Queue.put} on a closed queue. */
export class QueueClosedError extends Error {
  /**
   * Construct the error.
   *
   * @param message What was refused.
   */
  constructor(message = "Cannot put into a closed queue") {
    super(message);
    this.name = "QueueClosedError";
  }
}

interface Waiter {
  wake: () => void;
}

/**
 * A first-in first-out queue with a capacity, shared between jobs.
 *
 * @typeParam T The items.
 *
 * @example Usage
 * ```ts
 * import { Queue } from "./queue.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const queue = new Queue<number>(2);
 * await queue.put(1);
 * await queue.put(2);
 * queue.close();
 * const seen: number[] = [];
 * for await (const item of queue) seen.push(item);
 * assertEquals(seen, [1, 2]);
 * ```
 */
export class Queue<T> implements AsyncIterable<T> {
  /** How many items it holds before `put` waits. */
  readonly capacity: number;
  #items: T[] = [];
  #head = 0;
  #closed = false;
  #getters: Waiter[] = [];
  #putters: Waiter[] = [];

  /**
   * Create a queue.
   *
   * @param capacity How many items it holds before `put` waits.
   * @throws {RangeError} If `capacity` is not a whole number >= 1.
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create a queue of capacity ${capacity}: expected a whole number >= 1`,
      );
    }
    this.capacity = capacity;
  }

  /** Items waiting to be taken. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Add an item, waiting while the queue is full.
   *
   * @param item The item.
   * @param options A signal to stop waiting.
   * @throws {QueueClosedError} If the queue is closed.
   */
  async put(item: T, options: QueueWaitOptions = {}): Promise<void> {
    while (this.size >= this.capacity && !this.#closed) await this.#wait(this.#putters, options);
    if (this.#closed) throw new QueueClosedError();
    this.#items.push(item);
    this.#getters.shift()?.wake();
  }

  /**
   * Take the oldest item, waiting while the queue is empty.
   *
   * @param options A signal to stop waiting.
   * @returns The item, or `undefined` once the queue is closed and empty.
   */
  async get(options: QueueWaitOptions = {}): Promise<T | undefined> {
    while (this.size === 0 && !this.#closed) await this.#wait(this.#getters, options);
    if (this.size === 0) return undefined;
    const item = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#putters.shift()?.wake();
    return item;
  }

  /** Refuse new items; consumers still get what is queued, then `undefined`. */
  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#getters, ...this.#putters]) waiter.wake();
    this.#getters = [];
    this.#putters = [];
  }

  /** Iterate until the queue is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      if (this.size === 0 && this.#closed) return;
      const item = await this.get();
      if (item === undefined && this.size === 0 && this.#closed) return;
      yield item as T;
    }
  }

  #wait(list: Waiter[], { signal }: QueueWaitOptions): Promise<void> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = list.indexOf(waiter);
        if (at >= 0) list.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      list.push(waiter);
    });
  }
}
