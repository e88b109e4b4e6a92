/**
 * Remote lookups ahead of the job slots. A job whose dependencies have all
 * settled is ready, but may wait for a slot (`-j`) or a pool; its key can be
 * computed already, and its artifact asked for while it waits. Each lookup
 * is held until its job starts and claims it. A bounded number are in
 * flight at once, and the artifacts held for jobs not started yet are
 * bounded in bytes.
 *
 * @module
 */

import type { FetchedEntry } from "./backing.ts";

/** Lookups in flight at once (being keyed or asked). */
export const PREFETCH_FLIGHT = 16;

/** Bytes of artifacts held for jobs that have not started: no lookup is sent past it. */
export const PREFETCH_HOLD_BYTES = 64 * 1024 * 1024;

/** A lookup made ahead: the key it was made for, and what the server had. */
export interface Looked {
  key: string | undefined;
  entry: FetchedEntry | undefined;
}

interface Lookup {
  job: string;
  keyOf: () => Promise<string | undefined>;
  done?: Promise<Looked>;
  /** Its job started before it was sent: skipped. */
  dropped?: boolean;
  /** Its bytes count among those held (until its job claims it). */
  held?: number;
}

/**
 * Remote lookups made before their jobs start.
 *
 * @example Usage
 * ```ts
 * import { Prefetcher } from "./_prefetch.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const asked: string[] = [];
 * const prefetch = new Prefetcher((key) => {
 *   asked.push(key);
 *   return Promise.resolve(undefined);
 * });
 * prefetch.want("build", () => Promise.resolve("k1"));
 * assertEquals(await prefetch.claim("build"), { key: "k1", entry: undefined }); // a miss
 * assertEquals(asked, ["k1"]);
 * prefetch.want("build", () => Promise.resolve("k1")); // started already: ignored
 * assertEquals(prefetch.claim("build"), null);
 * ```
 */
export class Prefetcher {
  #fetch: (key: string, job: string) => Promise<FetchedEntry | undefined>;
  #flight: number;
  #holdBytes: number;
  #queue: Lookup[] = [];
  #head = 0;
  /** Lookups queued or out, by job. */
  #byJob = new Map<string, Lookup>();
  /** Jobs that started: never looked up ahead again. */
  #started = new Set<string>();
  #inFlight = 0;
  #heldBytes = 0;
  #closed = false;

  /**
   * Set up lookups ahead.
   *
   * @param fetch Looks a key up on the remote cache.
   * @param limits Lookups in flight at once, and bytes held for jobs not started.
   *   @default {{ flight: PREFETCH_FLIGHT, holdBytes: PREFETCH_HOLD_BYTES }}
   */
  constructor(
    fetch: (key: string, job: string) => Promise<FetchedEntry | undefined>,
    limits: { flight?: number; holdBytes?: number } = {},
  ) {
    this.#fetch = fetch;
    this.#flight = limits.flight ?? PREFETCH_FLIGHT;
    this.#holdBytes = limits.holdBytes ?? PREFETCH_HOLD_BYTES;
  }

  /**
   * Look a job up ahead of its start (ignored once the job started).
   *
   * @param job The job's name.
   * @param keyOf Its key, or `undefined` when there is nothing to ask the server (a local hit).
   */
  want(job: string, keyOf: () => Promise<string | undefined>): void {
    if (this.#closed || this.#started.has(job) || this.#byJob.has(job)) return;
    const lookup: Lookup = { job, keyOf };
    this.#byJob.set(job, lookup);
    this.#queue.push(lookup);
    this.#pump();
  }

  /**
   * A job starts: its lookup ahead, if one was sent. Once a job started it is
   * never looked up ahead again.
   *
   * @param job The job's name.
   * @returns What the lookup found (for the key it was made for), or `null`
   *   when none was sent: the job asks the server itself.
   */
  claim(job: string): Promise<Looked> | null {
    this.#started.add(job);
    const lookup = this.#byJob.get(job);
    if (lookup === undefined) return null;
    this.#byJob.delete(job);
    if (lookup.done === undefined) {
      lookup.dropped = true;
      return null;
    }
    return lookup.done.finally(() => this.#release(lookup));
  }

  /**
   * Whether a job has started (claimed its lookup, or found none).
   *
   * @param job The job's name.
   * @returns `true` once {@linkcode Prefetcher.claim} was called for it.
   */
  started(job: string): boolean {
    return this.#started.has(job);
  }

  /** Look nothing more up, and wait for the lookups out (none is left running after a run). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    const out = [...this.#byJob.values()].flatMap((lookup) => lookup.done ?? []);
    this.#byJob.clear();
    await Promise.all(out);
  }

  #pump(): void {
    while (
      this.#inFlight < this.#flight && this.#heldBytes < this.#holdBytes &&
      this.#head < this.#queue.length
    ) {
      const lookup = this.#queue[this.#head++]!;
      if (lookup.dropped) continue;
      this.#inFlight++;
      lookup.done = this.#lookUp(lookup).then((looked) => {
        this.#inFlight--;
        // Held until its job claims it (unless it already did).
        if (looked.entry !== undefined && this.#byJob.get(lookup.job) === lookup) {
          lookup.held = looked.entry.artifact.length;
          this.#heldBytes += lookup.held;
        }
        this.#pump();
        return looked;
      });
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #release(lookup: Lookup): void {
    if (lookup.held === undefined) return;
    this.#heldBytes -= lookup.held;
    delete lookup.held;
    this.#pump();
  }

  async #lookUp(lookup: Lookup): Promise<Looked> {
    try {
      const key = await lookup.keyOf();
      if (key === undefined || this.#closed) return { key: undefined, entry: undefined };
      return { key, entry: await this.#fetch(key, lookup.job) };
    } catch {
      return { key: undefined, entry: undefined };
    }
  }
}
