/**
 * The keys of a run's cached jobs: what each key is made of (the job's code,
 * the task file's code around it, its options, its input files' hashes, its
 * listed environment variables, its dependencies' keys), and the key itself.
 * An uncached dependency stands in a key by the hash of its result, a
 * service by its code and its inputs.
 *
 * @module
 */

import type { DepResults, JobSpec } from "../types.ts";
import { VERSION } from "../version.ts";
import { encodeValue } from "./codec.ts";
import { type ParsedGlob, parseGlob, type Walker } from "./glob.ts";
import type { HasherSource } from "./hash.ts";
import { CACHE_FORMAT, canonicalParts, type KeyParts } from "./key.ts";
import type { RecentEntries } from "./recent.ts";
import { type StatIndex, UNREADABLE } from "./stat_index.ts";

/** How a dry run's note begins for a job whose key needs a result no dry run has: hit or not, unknown. */
export const UNKNOWN_UNTIL = "hit or not: unknown until";

/**
 * The dependencies that are part of a job's key: its `deps`, without those
 * that only order it (a workspace member's task waits for the same task of
 * the members it imports; its inputs hold what they read and make instead).
 *
 * @param spec The job.
 * @returns The names, in the order of its `deps`.
 *
 * @example Usage
 * ```ts ignore
 * keyDeps({ ...spec, deps: ["gen", "@w/a#build"], cache: { ...cache, orderOnly: ["@w/a#build"] } });
 * // ["gen"]
 * ```
 */
export function keyDeps(spec: JobSpec): string[] {
  const only = spec.cache?.orderOnly;
  return only === undefined ? spec.deps : spec.deps.filter((dep) => !only.includes(dep));
}

/** What {@linkcode JobKeys} reads. */
export interface JobKeysOptions {
  /** The project root: input paths are relative to it. */
  root: string;
  /** What the task file's code depends on outside the job functions: each module's hash, by path. */
  context: Record<string, string>;
  /** Each cached job's code hash, by name. */
  codes: ReadonlyMap<string, string | undefined>;
  /** Each cached job's input globs and its options, as JSON. */
  globs: ReadonlyMap<string, { inputs: ParsedGlob[]; options: string }>;
  /** Hashes files, remembering them by their stat. */
  index: StatIndex;
  /** Expands globs. */
  walker: Walker;
  /** Last run's keys, by job, with the parts they were hashed from. */
  recent: RecentEntries;
  /** SHA-256. */
  hasher: HasherSource;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** A dry run: a dependency with no key yet is a reason, not a result to hash. */
  dry: boolean;
  /**
   * In a dry run, whether a job was found in the cache: one that was not
   * would run first, and may change the inputs of a job that waits for it.
   */
  found: (job: string) => boolean;
  /** Says something once per key (a glob that matches nothing). */
  warnOnce: (key: string, message: string, job: string) => void;
}

/**
 * The keys of one run's cached jobs.
 *
 * @example Usage
 * ```ts ignore
 * const keys = new JobKeys(options);
 * const parts = await keys.parts(job, deps);
 * if (typeof parts !== "string") keys.remember(job.name, await keys.key(job, parts), parts);
 * ```
 */
export class JobKeys {
  #options: JobKeysOptions;
  #tool =
    `${CACHE_FORMAT}/gather ${VERSION}/deno ${Deno.version.deno}/${Deno.build.os}-${Deno.build.arch}`;
  /** Each cached job's key (`null`: it could not be keyed), by name, once known. */
  #keys = new Map<string, string | null>();
  /** Each cached job's key parts, by name, once known. */
  #parts = new Map<string, KeyParts>();

  /**
   * Key a run's jobs.
   *
   * @param options Where the parts come from.
   */
  constructor(options: JobKeysOptions) {
    this.#options = options;
  }

  /**
   * A job's key parts, or why it cannot be keyed this run.
   *
   * @param job The job.
   * @param results Its dependencies' results (an uncached one stands by its result's hash).
   * @param depKeys Its dependencies' keys, when they were computed ahead.
   * @param early Keyed as the run starts, before any job has run (the remote cache's look-ahead):
   * a job whose inputs are read through a symbolic link is not, since no glob says where it leads.
   * @returns The parts, or the reason.
   */
  async parts(
    job: JobSpec,
    results: DepResults,
    depKeys?: ReadonlyMap<string, string>,
    early = false,
  ): Promise<KeyParts | string> {
    const spec = job.cache!;
    const options = this.#options;
    const globs = options.globs.get(job.name)!;
    const { files, unmatched, metLinks } = options.walker.expand(globs.inputs);
    if (early && metLinks) {
      return "its inputs are read through a symbolic link, which a job of the run may write through";
    }
    for (const glob of unmatched) {
      options.warnOnce(
        `input:${job.name}:${glob}`,
        `input glob "${glob}" matches no file (keyed as an empty set)`,
        job.name,
      );
    }
    const hashed = await this.#hashFiles(files);
    const deps: [string, string][] = [];
    const orderOnly = spec.orderOnly;
    for (const [d, dep] of job.deps.entries()) {
      if (orderOnly?.includes(dep)) {
        // Not in the key: the job is keyed after it settled, and its inputs see what it made.
        if (options.dry && !options.found(dep)) {
          return `${UNKNOWN_UNTIL} "${dep}" runs: it runs first, and may change this job's inputs`;
        }
        continue;
      }
      let key = depKeys?.get(dep) ?? this.#keys.get(dep);
      const depSpec = job.resolvedWith[job.depIds[d]!];
      // A service's ready value (a URL, a port) says nothing of its code: key it by its inputs.
      if (key === undefined && depSpec?.service !== undefined) {
        key = await this.#serviceKey(depSpec, results.get(dep));
      }
      if (key === undefined && options.dry) {
        return `${UNKNOWN_UNTIL} "${dep}" runs: its key depends on that job's result`;
      }
      if (key === undefined) key = await this.#resultHash(results.get(dep));
      if (key === null) return `its dependency "${dep}" returned a value the cache cannot hash`;
      deps.push([dep, key]);
    }
    const hasher = spec.env.length > 0 || !options.codes.get(job.name) || spec.codeParts
      ? await options.hasher()
      : undefined;
    const codeParts = spec.codeParts === undefined ? undefined : Object.entries(spec.codeParts)
      .map(([name, text]): [string, string] => [name, hasher!.sha256(text)]);
    return {
      tool: this.#tool,
      job: job.name,
      code: options.codes.get(job.name) ?? hasher!.sha256(spec.code ?? job.fn.toString()),
      ...(codeParts === undefined ? {} : { codeParts }),
      context: spec.fromConfig ? {} : options.context,
      options: globs.options,
      files: hashed,
      env: spec.env.map((name) => {
        const value = options.env(name);
        return [name, value === undefined ? null : hasher!.sha256(value)];
      }),
      deps,
    };
  }

  /**
   * The key of a job's parts: the last run's, when its parts are the same
   * (nothing is hashed), else their hash.
   *
   * @param job The job.
   * @param parts Its parts.
   * @returns The key.
   */
  async key(job: JobSpec, parts: KeyParts): Promise<string> {
    const canonical = canonicalParts(parts);
    const last = this.#options.recent.lastKey(job.name, canonical);
    if (last !== undefined) return last;
    const key = (await this.#options.hasher()).sha256(canonical);
    this.#options.recent.rememberKey(job.name, key, canonical);
    return key;
  }

  /**
   * Remember a job's key (and its parts), for its dependents.
   *
   * @param job The job's name.
   * @param key Its key, or `null` when it could not be keyed.
   * @param parts What the key was made of.
   */
  remember(job: string, key: string | null, parts?: KeyParts): void {
    this.#keys.set(job, key);
    if (parts !== undefined) this.#parts.set(job, parts);
  }

  /**
   * A job's key in this run, once known.
   *
   * @param job The job's name.
   * @returns The key (`null`: it could not be keyed), or `undefined`.
   */
  keyOf(job: string): string | null | undefined {
    return this.#keys.get(job);
  }

  /**
   * What a job's key was made of in this run, once known.
   *
   * @param job The job's name.
   * @returns The parts.
   */
  partsOf(job: string): KeyParts | undefined {
    return this.#parts.get(job);
  }

  /** Each file's hash ({@linkcode UNREADABLE} for one that cannot be read), by path relative to the root. */
  async #hashFiles(files: readonly string[]): Promise<[string, string][]> {
    const { root, index, walker } = this.#options;
    const hashed: [string, string][] = [];
    for (const path of files) {
      try {
        // Read through a link: a job of the run may have written it since, under another name.
        const hash = index.hash(`${root}/${path}`, path, undefined, walker.throughLink(path));
        hashed.push([path, typeof hash === "string" ? hash : await hash]);
      } catch {
        hashed.push([path, UNREADABLE]);
      }
    }
    return hashed;
  }

  /**
   * What stands for a service's key in its dependents' keys: its code, its
   * dependencies' keys and the contents of its inputs (a service without
   * inputs: its ready value too). A job tested against a server thus runs
   * again when the server's files change, whatever port it listens on.
   */
  async #serviceKey(spec: JobSpec, value: unknown): Promise<string | null> {
    const hasher = await this.#options.hasher();
    const parts: unknown[] = [spec.name, hasher.sha256(spec.fn.toString())];
    parts.push(spec.deps.map((dep) => this.#keys.get(dep) ?? null));
    if (spec.files === undefined) {
      const result = await this.#resultHash(value);
      if (result === null) return null;
      parts.push(result);
    } else {
      let globs: ParsedGlob[];
      try {
        globs = spec.files.inputs.map((glob) =>
          parseGlob(glob, spec.files!.dir, this.#options.root)
        );
      } catch {
        return null; // a glob outside the root: not keyed this run
      }
      parts.push(...await this.#hashFiles(this.#options.walker.expand(globs).files));
    }
    return `service:${hasher.sha256(JSON.stringify(parts))}`;
  }

  /** An uncached dependency's result stands for its key: hashed when a cached dependent asks. */
  async #resultHash(value: unknown): Promise<string | null> {
    let encoded: string;
    try {
      encoded = encodeValue(value);
    } catch {
      return null;
    }
    return `result:${(await this.#options.hasher()).sha256(encoded)}`;
  }
}
