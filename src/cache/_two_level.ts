/**
 * The lookups of a job with discovered inputs (see `discovered_record.ts`):
 * its primary key's record lists the sets of files it read lately; each set,
 * hashed as its files are now, gives a final key; the first final key with
 * an entry is the hit. The record is kept in the local store and, as an
 * artifact of its own, on the remote cache, so that another checkout finds
 * the job's entries too.
 *
 * @module
 */

import type { JobSpec } from "../types.ts";
import { type BackingStore, type FetchedEntry, NOT_THERE } from "./backing.ts";
import type { Discovery } from "./_discovered.ts";
import type { Manifest } from "./entry.ts";
import { mergeSets } from "./discovered_record.ts";

/** What {@linkcode TwoLevel} works with. */
export interface TwoLevelOptions {
  /** Hashes the sets' files, keeps the local records. */
  discovery: Discovery;
  /** The local store's entry of a key (a damaged one is reported, and missed). */
  read: (job: JobSpec, key: string) => Manifest | undefined;
  /** The remote cache, if any. */
  remote: BackingStore | undefined;
}

/** A hit through a record: the entry, and the discovered files (with hashes) that found it. */
export interface TwoLevelHit<T> {
  /** The entry (a manifest from the local store, or an entry fetched from the remote cache). */
  found: T;
  /** Its final key. */
  key: string;
  /** The set that gave that key, hashed. */
  files: [string, string][];
}

/**
 * Looks jobs up through their primary keys' records.
 *
 * @example Usage
 * ```ts ignore
 * const twoLevel = new TwoLevel({ discovery, read, remote });
 * const hit = await twoLevel.findLocal(job, primary) ?? await twoLevel.findRemote(job, primary);
 * ```
 */
export class TwoLevel {
  #o: TwoLevelOptions;
  /** Why the last remote lookup of a primary key found no entry through its record, when known. */
  #missing = new Map<string, string>();
  /** Records fetched from the remote cache this run, by primary key. */
  #fetched = new Map<string, Promise<string[][]>>();

  /**
   * Prepare the lookups of a run.
   *
   * @param options The discovery, the local store's lookup, the remote cache.
   */
  constructor(options: TwoLevelOptions) {
    this.#o = options;
  }

  /**
   * Whether the local store has a record under a job's primary key.
   *
   * @param job The job.
   * @param primary Its primary key.
   * @returns `true` when it does.
   */
  hasRecord(job: JobSpec, primary: string): boolean {
    return discovers(job) && this.#o.discovery.sets(primary).length > 0;
  }

  /**
   * Look a job up through the local record of its primary key.
   *
   * @param job The job.
   * @param primary Its primary key.
   * @returns The hit, or `undefined`.
   */
  async findLocal(job: JobSpec, primary: string): Promise<TwoLevelHit<Manifest> | undefined> {
    if (!discovers(job)) return undefined;
    const { discovery, read } = this.#o;
    for await (
      const candidate of discovery.candidates(job.name, primary, discovery.sets(primary))
    ) {
      const manifest = read(job, candidate.key);
      if (manifest === undefined) continue;
      discovery.used(job.name, candidate.files);
      return { found: manifest, key: candidate.key, files: candidate.files };
    }
    return undefined;
  }

  /**
   * Look a job up through the remote record of its primary key (and the
   * local one's sets, whose entries may be on the remote cache only); on a
   * hit, the set is kept first in the local record.
   *
   * @param job The job.
   * @param primary Its primary key.
   * @returns The hit, or `undefined`.
   */
  async findRemote(job: JobSpec, primary: string): Promise<TwoLevelHit<FetchedEntry> | undefined> {
    const remote = this.#o.remote;
    if (remote?.fetchRecord === undefined || !discovers(job)) return undefined;
    this.#missing.delete(primary);
    const { discovery } = this.#o;
    const local = discovery.sets(primary);
    const fetched = await this.#remoteSets(job, primary);
    if (fetched.length === 0 && local.length === 0) return undefined;
    const sets = mergeSets(fetched, local);
    let refused: string | undefined;
    for await (const candidate of discovery.candidates(job.name, primary, sets)) {
      const entry = await remote.fetch(candidate.key, job.name);
      if (entry === undefined) {
        const why = remote.whyMissing?.(candidate.key);
        if (why !== NOT_THERE) refused ??= why;
        continue;
      }
      const set = candidate.files.map(([path]) => path);
      this.#keep(primary, [set], sets);
      discovery.used(job.name, candidate.files);
      return { found: entry, key: candidate.key, files: candidate.files };
    }
    const files = [...new Set(sets.flat())];
    const named = files.slice(0, 3).join(", ") +
      (files.length > 3 ? ` and ${files.length - 3} more` : "");
    this.#missing.set(
      primary,
      refused ??
        `the files it read (${named}) differ here from where its entry was made, so its key here is not the one it was stored under (a checkout of another commit?)`,
    );
    return undefined;
  }

  /**
   * Why the last {@linkcode TwoLevel.findRemote} of a primary key found no
   * entry though it had a record: an entry refused, or the record's files
   * differ here (they give other final keys).
   *
   * @param primary The primary key.
   * @returns The cause, or `undefined` (no record, or a hit).
   */
  whyMissing(primary: string): string | undefined {
    return this.#missing.get(primary);
  }

  /**
   * A dry run's local miss: whether the remote cache has the entry of one
   * of the sets of its primary key's records (nothing is downloaded but the record).
   *
   * @param job The job.
   * @param primary Its primary key.
   * @returns The final key it has, or `undefined`.
   */
  async hasRemote(job: JobSpec, primary: string): Promise<string | undefined> {
    const remote = this.#o.remote;
    if (remote?.fetchRecord === undefined || remote.has === undefined || !discovers(job)) {
      return undefined;
    }
    const { discovery } = this.#o;
    const sets = mergeSets(await this.#remoteSets(job, primary), discovery.sets(primary));
    for await (const candidate of discovery.candidates(job.name, primary, sets)) {
      if (await remote.has(candidate.key, job.name)) return candidate.key;
    }
    return undefined;
  }

  /**
   * A job's entry was stored under its final key: its set goes first in the
   * record of its primary key, here and on the remote cache.
   *
   * @param job The job.
   * @param primary Its primary key.
   * @param files Its discovered files and their hashes.
   * @returns The remote artifact the record goes up as (to wait for), if it does.
   */
  async stored(
    job: JobSpec,
    primary: string,
    files: readonly (readonly [string, string])[],
  ): Promise<string | undefined> {
    const { discovery, remote } = this.#o;
    const set = files.map(([path]) => path);
    // What the remote record held, when this run asked: kept, so one machine does not drop
    // another's sets.
    const known = mergeSets(await (this.#fetched.get(primary) ?? []), discovery.sets(primary));
    const sets = this.#keep(primary, [set], known);
    discovery.used(job.name, files);
    return await remote?.storedRecord?.(primary, sets, job.name);
  }

  #keep(primary: string, first: string[][], known: readonly (readonly string[])[]): string[][] {
    try {
      return this.#o.discovery.keep(primary, first, known);
    } catch {
      return mergeSets(first, known); // a cache folder that cannot be written: said by the entry's write
    }
  }

  /** The remote record's sets, asked each time (a worker may have stored one since: a distributed run). */
  #remoteSets(job: JobSpec, primary: string): Promise<string[][]> {
    const sets = this.#o.remote?.fetchRecord?.(primary, job.name).then((found) => found ?? []) ??
      Promise.resolve([]);
    this.#fetched.set(primary, sets);
    return sets;
  }
}

/**
 * Whether a job's lookups go through records: it declares a `depfile` or
 * `discovers`. Other jobs never have one, and ask for none (no file read, no `GET`).
 */
function discovers(job: JobSpec): boolean {
  return job.cache?.discovers === true;
}
