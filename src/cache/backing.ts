/**
 * The seam between the cache runner and a store behind the local one (the
 * remote cache): asked on a local miss, told of each entry stored, flushed
 * at the end of the run. Whatever goes wrong behind it is a warning and a
 * miss, never a failed run.
 *
 * @module
 */

import type { EventSink } from "../events.ts";
import type { Manifest } from "./entry.ts";

/** An entry found behind the local store, checked. */
export interface FetchedEntry {
  /** Its manifest. */
  manifest: Manifest;
  /** Its blobs (output files, a large log or result), by hash. */
  blobs: ReadonlyMap<string, Uint8Array>;
  /** The artifact they came in, as the local store keeps it. */
  artifact: Uint8Array;
}

/** What {@linkcode BackingStore.whyMissing} says of a key the store simply does not have. */
export const NOT_THERE = "it is not on the remote cache";

/**
 * A second store, consulted after the local one.
 *
 * @example A store behind the local one that never has anything
 * ```ts
 * import type { BackingStore } from "./backing.ts";
 *
 * const none: BackingStore = {
 *   open: () => {},
 *   fetch: () => Promise.resolve(undefined),
 *   stored: () => {},
 *   flush: () => Promise.resolve(),
 * };
 * ```
 */
export interface BackingStore {
  /**
   * Get ready for a run.
   *
   * @param emit Where warnings (and the upload progress line) go.
   * @param signal The run's signal: when it aborts, give up everything at once.
   */
  open(emit: EventSink, signal?: AbortSignal): void;
  /**
   * On a local miss: find the entry of a key (the cache runner keeps it in
   * the local store, and restores it).
   *
   * @param key The key.
   * @param job The job, for warnings.
   * @returns The entry, checked; `undefined` for a miss.
   */
  fetch(key: string, job: string): Promise<FetchedEntry | undefined>;
  /**
   * Whether the store has the entry of a key, without fetching it (a dry
   * run). Trouble is a warning and `false`, as for {@linkcode BackingStore.fetch}.
   *
   * @param key The key.
   * @param job The job, for warnings.
   * @returns `true` when it has it.
   */
  has?(key: string, job: string): Promise<boolean>;
  /**
   * Why the last {@linkcode BackingStore.fetch} of a key found no entry, when
   * known (`it is not on the remote cache`, refused for its signature, the
   * server did not answer), in a few words.
   *
   * @param key The key.
   * @returns The cause, or `undefined`.
   */
  whyMissing?(key: string): string | undefined;
  /**
   * An entry was stored in the local store (share it, in the background).
   *
   * @param manifest The entry.
   */
  stored(manifest: Manifest): void;
  /**
   * Wait until the entry of a key told to {@linkcode BackingStore.stored}
   * has been shared (a distributed run's dependents on other machines need it).
   *
   * @param key The entry's key.
   * @returns Whether it was shared; `false` when it was never sent or could not be.
   */
  whenShared?(key: string): Promise<boolean>;
  /**
   * Why an entry of this key is not shared, when the store will not take it:
   * the artifact there was refused for its signature, and is not uploaded over.
   *
   * @param key The entry's key.
   * @returns The cause, or `undefined`.
   */
  whyNotShared?(key: string): string | undefined;
  /**
   * The record of a primary key: the sets of files a job with discovered
   * inputs read lately (see `discovered_record.ts`). Trouble is a warning
   * and `undefined`, as for {@linkcode BackingStore.fetch}.
   *
   * @param primary The primary key.
   * @param job The job, for warnings.
   * @returns The sets, most recent first; `undefined` when there is none.
   */
  fetchRecord?(primary: string, job: string): Promise<string[][] | undefined>;
  /**
   * A record was written in the local store (share it, in the background,
   * as an entry is).
   *
   * @param primary The primary key it is under.
   * @param sets Its sets, most recent first.
   * @param job The job, for warnings.
   * @returns The key it is shared under (for {@linkcode BackingStore.whenShared}), if it is.
   */
  storedRecord?(
    primary: string,
    sets: readonly (readonly string[])[],
    job: string,
  ): Promise<string | undefined>;
  /** The run is over: wait for what is pending, unless the run's signal aborts. */
  flush(): Promise<void>;
}
