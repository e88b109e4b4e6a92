/**
 * Which jobs to look up on the remote cache before they start, and when.
 *
 * - A job whose inputs no job of the run writes (no input glob can meet an
 *   output glob of the run's cached jobs), and whose dependencies are all
 *   such jobs, has a key that does not depend on anything the run does: it is
 *   keyed as the run starts, in the graph's order, and looked up at once
 *   (turbo hashes a whole run up front the same way). Unless its inputs are
 *   read through a symbolic link: where that leads, no glob says, so it may
 *   be where a job of the run writes.
 * - Any other cached job is looked up once all its dependencies have settled
 *   `ok`: then its inputs are what it will see, but it may still wait for a
 *   slot or a pool.
 *
 * The lookups themselves, bounded in flight and in bytes held, are the
 * {@linkcode Prefetcher}'s.
 *
 * @module
 */

import type { JobSpec } from "../types.ts";
import type { FetchedEntry } from "./backing.ts";
import type { ParsedGlob } from "./glob.ts";
import type { KeyParts } from "./key.ts";
import { type Looked, Prefetcher } from "./_prefetch.ts";

/** What is known of a job as it starts, from ahead. */
export interface Ahead {
  /** Its key parts and key, when they were computed ahead. */
  parts?: KeyParts;
  key?: string;
  /** Its remote lookup, when one was sent (`null`: none was). */
  looked: Promise<Looked> | null;
}

/** What the look-ahead needs from the cache runner. */
export interface KeySource {
  /**
   * A job's key parts, with these dependency keys, or why it cannot be keyed
   * (`early`: as the run starts, when a job whose inputs are read through a
   * symbolic link cannot be).
   */
  parts(
    job: JobSpec,
    deps: ReadonlyMap<string, unknown>,
    depKeys?: ReadonlyMap<string, string>,
    early?: boolean,
  ): Promise<KeyParts | string>;
  /** The key of a job's parts. */
  key(job: JobSpec, parts: KeyParts): Promise<string>;
  /**
   * Whether the local store has an entry for a job's key (a damaged one
   * counts: the job reports it), or a record of the files it discovered.
   */
  hasLocal(key: string, job: JobSpec): boolean;
  /** Looks a key up on the remote cache. */
  fetch(key: string, job: string): Promise<FetchedEntry | undefined>;
}

/**
 * Remote lookups ahead of the job slots for one run.
 *
 * @example Usage
 * ```ts ignore
 * const ahead = new LookAhead(cachedSpecs, globsByJob, keySource);
 * ahead.begin();                       // as the run starts
 * const looked = ahead.claim("build"); // as a job starts
 * ahead.settled("build", result);      // as it settles ok
 * await ahead.close();                 // as the run drains
 * ```
 */
export class LookAhead {
  #source: KeySource;
  #prefetch: Prefetcher;
  #specs: ReadonlyMap<string, JobSpec>;
  /** The run's cached jobs that depend on each job. */
  #dependents = new Map<string, JobSpec[]>();
  /** Jobs keyed as the run starts, in the graph's order. */
  #early: JobSpec[] = [];
  #earlyKeys = new Map<string, Promise<string | undefined>>();
  /** Each job that settled `ok` this run, and its result. */
  #results = new Map<string, unknown>();
  /** Jobs keyed ahead and not started yet: their parts and key. */
  #keyed = new Map<string, { parts: KeyParts; key: string }>();

  /**
   * Plan a run's lookups.
   *
   * @param cached The run's cached jobs, in the graph's order.
   * @param globs Each cached job's input and output globs.
   * @param source Keys, the local store and the remote cache.
   */
  constructor(
    cached: readonly JobSpec[],
    globs: ReadonlyMap<string, { inputs: ParsedGlob[]; outputs: ParsedGlob[] }>,
    source: KeySource,
  ) {
    this.#source = source;
    this.#prefetch = new Prefetcher((key, job) => source.fetch(key, job));
    this.#specs = new Map(cached.map((spec) => [spec.name, spec]));
    const outputs = new GlobBuckets([...globs.values()].flatMap((g) => g.outputs));
    const early = new Set<string>();
    const discovers = new Set(
      cached.filter((s) => s.cache?.discovers === true).map((s) => s.name),
    );
    for (const spec of cached) {
      for (const dep of spec.deps) {
        const list = this.#dependents.get(dep);
        if (list === undefined) this.#dependents.set(dep, [spec]);
        else list.push(spec);
      }
      const inputs = globs.get(spec.name)?.inputs.filter((i) => !i.negated) ?? [];
      if (
        // A job that only waits for some of its dependencies is keyed once they have settled:
        // its key holds the files they make, not their keys.
        spec.cache?.orderOnly === undefined &&
        // A dependency with a depfile settles with a final key no key computed ahead knows.
        spec.deps.every((dep) => early.has(dep) && !discovers.has(dep)) &&
        !inputs.some((input) => outputs.near(input).some((output) => mayMeet(input, output)))
      ) {
        early.add(spec.name);
        this.#early.push(spec);
      }
    }
  }

  /** The run starts: key the jobs whose keys nothing in the run changes, and look them up. */
  begin(): void {
    for (const spec of this.#early) this.#want(spec, () => this.#earlyKey(spec));
  }

  /**
   * A job starts: its key, when it was computed ahead (its inputs are what
   * they were then: no job of the run writes them, or its dependencies had
   * settled), and its lookup, if one was sent.
   *
   * @param job The job's name.
   * @returns What is known ahead of it, or `undefined`: the job keys itself and asks the server itself.
   */
  claim(job: string): Ahead | undefined {
    const keyed = this.#keyed.get(job);
    this.#keyed.delete(job);
    const looked = this.#prefetch.claim(job);
    if (keyed === undefined) return looked === null ? undefined : { looked };
    return { ...keyed, looked };
  }

  /**
   * Whether a job's settling matters here (some cached job depends on it).
   *
   * @param job The job's name.
   * @returns `true` when {@linkcode settled} should be called.
   */
  watches(job: string): boolean {
    return this.#dependents.has(job);
  }

  /**
   * A job settled `ok`: look up each cached dependent whose dependencies all have.
   *
   * @param job The job's name.
   * @param result Its result (a cached dependent's key may depend on it).
   */
  settled(job: string, result: unknown): void {
    this.#results.set(job, result);
    for (const dependent of this.#dependents.get(job) ?? []) {
      if (dependent.deps.every((dep) => this.#results.has(dep))) {
        this.#want(dependent, () => this.#keyAhead(dependent, this.#results));
      }
    }
  }

  /** Look nothing more up; wait for the lookups in flight. */
  close(): Promise<void> {
    return this.#prefetch.close();
  }

  #want(spec: JobSpec, keyOf: () => Promise<string | undefined>): void {
    this.#prefetch.want(spec.name, async () => {
      const key = await keyOf();
      return key === undefined || this.#source.hasLocal(key, spec) ? undefined : key;
    });
  }

  /** Key a job before it starts (`early`: as the run starts), and keep its parts and key for its start. */
  async #keyAhead(
    spec: JobSpec,
    deps: ReadonlyMap<string, unknown>,
    depKeys?: ReadonlyMap<string, string>,
    early = false,
  ): Promise<string | undefined> {
    const parts = await this.#source.parts(spec, deps, depKeys, early);
    if (typeof parts === "string") return undefined;
    const key = await this.#source.key(spec, parts);
    if (!this.#prefetch.started(spec.name)) this.#keyed.set(spec.name, { parts, key });
    return key;
  }

  /** A job's key from its dependencies' keys, all computed ahead. */
  #earlyKey(spec: JobSpec): Promise<string | undefined> {
    let key = this.#earlyKeys.get(spec.name);
    if (key === undefined) {
      key = (async () => {
        const depKeys = new Map<string, string>();
        for (const dep of spec.deps) {
          const depKey = await this.#earlyKey(this.#specs.get(dep)!);
          if (depKey === undefined) return undefined;
          depKeys.set(dep, depKey);
        }
        return await this.#keyAhead(spec, new Map(), depKeys, true);
      })().catch(() => undefined);
      this.#earlyKeys.set(spec.name, key);
    }
    return key;
  }
}

/** Globs by the first folder of where they start: only globs in the same first folder (or at the root) can meet. */
class GlobBuckets {
  #byTop = new Map<string, ParsedGlob[]>();

  constructor(globs: readonly ParsedGlob[]) {
    for (const glob of globs) {
      if (glob.negated) continue; // it only removes files
      const top = topOf(glob);
      const list = this.#byTop.get(top);
      if (list === undefined) this.#byTop.set(top, [glob]);
      else list.push(glob);
    }
  }

  /** The globs that may meet this one. */
  near(glob: ParsedGlob): ParsedGlob[] {
    const top = topOf(glob);
    if (top === "") return [...this.#byTop.values()].flat();
    return [...this.#byTop.get(top) ?? [], ...this.#byTop.get("") ?? []];
  }
}

/** The first folder of where a glob starts ("" for the root). */
function topOf(glob: ParsedGlob): string {
  const start = glob.wild ? glob.base : glob.pattern;
  const slash = start.indexOf("/");
  return slash < 0 ? start : start.slice(0, slash);
}

/** Whether a job's input glob may match a file an output glob matches (when unsure: yes). */
export function mayMeet(input: ParsedGlob, output: ParsedGlob): boolean {
  if (!input.wild && !output.wild) return related(input.pattern, output.pattern);
  if (!input.wild) {
    return output.regex.test(input.pattern) || output.base === input.pattern ||
      output.base.startsWith(`${input.pattern}/`);
  }
  if (!output.wild) return input.regex.test(output.pattern) || related(input.base, output.pattern);
  return related(input.base, output.base);
}

/** One path is the other, or a folder holding it (the root holds everything). */
function related(a: string, b: string): boolean {
  return a === "" || b === "" || a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
