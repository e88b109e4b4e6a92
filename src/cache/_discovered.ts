/**
 * A run's discovered inputs: the files a cached job read that its `inputs`
 * do not name, from its `depfile` (`cc -MMD -MF`) and `ctx.discovered()`.
 * After the job succeeds they are collected, checked unchanged since it
 * started, and hashed into its final key; before a job runs, the sets of
 * its primary key's record are hashed as they are now to find its entry
 * (`discovered_record.ts` says how the keys are made). Files are hashed
 * through the stat index, so an unchanged header costs a `stat`.
 *
 * @module
 */

import { isAbsolute, join, normalize, relative, resolve } from "../deps/path.ts";
import { readTextFileOnly } from "../file_kind.ts";
import { shownText } from "../shown_text.ts";
import type { JobSpec, Settlement } from "../types.ts";
import { writeAtomic } from "./atomic.ts";
import { DepfileSyntaxError, parseDepfile } from "./depfile.ts";
import { encodeRecord, finalKey, mergeSets, parseRecord } from "./discovered_record.ts";
import { matchesGlobs, type ParsedGlob } from "./glob.ts";
import type { HasherSource } from "./hash.ts";
import type { StatIndex } from "./stat_index.ts";
import type { LocalStore } from "./store.ts";
import type { RecentEntries } from "./recent.ts";

/**
 * A file first seen after its job ran whose modification time is this close
 * to the job's start (or later) may have been edited while the job ran: the
 * kernel stamps files with a clock a tick or two behind the system's.
 */
export const EDITED_WHILE_RUNNING_MS = 20;

/** What {@linkcode Discovery} works with. */
export interface DiscoveryOptions {
  /** The project root: paths under it are kept relative to it. */
  root: string;
  /** Hashes files, remembering them by their stat. */
  index: StatIndex;
  /** SHA-256. */
  hasher: HasherSource;
  /** Where the records are kept. */
  store: LocalStore;
  /** Last run's keys: a final key whose set and hashes are the same is not hashed again. */
  recent: RecentEntries;
}

/** One set of a record, hashed as its files are now: the final key it gives. */
export interface Candidate {
  /** The final key. */
  key: string;
  /** Each file of the set and its hash, sorted by path. */
  files: [string, string][];
}

/** What a job discovered, after it ran, or why it cannot be stored. */
export type Discovered =
  | { ok: true; files: [string, string][] }
  | { ok: false; raced?: string; message: string };

/**
 * The discovered inputs of one run's jobs.
 *
 * @example Usage
 * ```ts ignore
 * const discovery = new Discovery({ root, index, hasher, store });
 * for await (const candidate of discovery.candidates(job.name, discovery.sets(primary))) {
 *   // look candidate.key up
 * }
 * ```
 */
export class Discovery {
  #o: DiscoveryOptions;
  #realRoot: string | undefined;
  /** The files hashed for each job's lookup, before it ran: path, hash. */
  #before = new Map<string, Map<string, string>>();
  /** The discovered files of the entry each job used this run (restored or stored). */
  #used = new Map<string, readonly string[]>();
  /** The records read or written this run, by primary key. */
  #records = new Map<string, string[][]>();

  /**
   * Prepare a run's discovered inputs.
   *
   * @param options The root, the stat index, the hasher and the store.
   */
  constructor(options: DiscoveryOptions) {
    this.#o = options;
  }

  /**
   * The sets of files recorded under a primary key, most recent first.
   *
   * @param primary The primary key.
   * @returns The sets; none when there is no record (or it is damaged).
   */
  sets(primary: string): string[][] {
    let sets = this.#records.get(primary);
    if (sets === undefined) {
      try {
        sets = parseRecord(readTextFileOnly(this.#recordPath(primary)), primary) ?? [];
      } catch {
        sets = [];
      }
      this.#records.set(primary, sets);
    }
    return sets;
  }

  /**
   * Put sets first in a primary key's record (most recent first, bounded).
   *
   * @param primary The primary key.
   * @param first The sets to put first.
   * @param known The sets known already (the record's).
   * @returns The record's sets now.
   */
  keep(
    primary: string,
    first: readonly (readonly string[])[],
    known: readonly (readonly string[])[],
  ): string[][] {
    const sets = mergeSets(first, known);
    this.#records.set(primary, sets);
    writeAtomic(this.#recordPath(primary), encodeRecord(primary, sets));
    return sets;
  }

  /**
   * Each set's files hashed as they are now, and the final key they give; a
   * set with a file that is gone (or cannot be read) gives none. The hashes
   * are kept: after the job runs, its files are checked against them.
   *
   * @param job The job's name.
   * @param primary Its primary key.
   * @param sets The sets, most recent first.
   * @param skip Final keys already tried, not given again.
   * @returns The candidates, in the sets' order.
   */
  async *candidates(
    job: string,
    primary: string,
    sets: readonly (readonly string[])[],
    skip: Set<string> = new Set(),
  ): AsyncGenerator<Candidate> {
    for (const set of sets) {
      const files = await this.#hashAll(job, set);
      if (files === undefined) continue;
      const key = await this.finalKey(job, primary, files);
      if (skip.has(key)) continue;
      skip.add(key);
      yield { key, files };
    }
  }

  /**
   * The final key of a job's primary key and discovered files: the last
   * run's, when they are the same (nothing is hashed: a no-op run loads no
   * hasher), else their hash.
   *
   * @param job The job's name.
   * @param primary Its primary key.
   * @param files Its discovered files and their hashes, sorted.
   * @returns The final key.
   */
  async finalKey(
    job: string,
    primary: string,
    files: readonly (readonly [string, string])[],
  ): Promise<string> {
    const recent = this.#o.recent;
    const memo = `${job}\0final`;
    const canonical = JSON.stringify([primary, files]);
    const last = recent.lastKey(memo, canonical);
    if (last !== undefined) return last;
    const key = finalKey(primary, files, await this.#o.hasher());
    recent.rememberKey(memo, key, canonical);
    return key;
  }

  /**
   * Remove a job's depfile before it runs: a depfile found after it is the job's own.
   *
   * @param spec The job.
   */
  clearDepfile(spec: JobSpec): void {
    const depfile = spec.cache?.depfile;
    if (depfile === undefined) return;
    try {
      Deno.removeSync(resolve(spec.cache!.dir, depfile));
    } catch {
      // not there: nothing to do
    }
  }

  /**
   * What a job that succeeded discovered: its depfile's prerequisites and
   * what it reported, without its declared inputs and outputs, each hashed
   * and checked: a file already hashed for its lookup must still have that
   * content; a file first seen now must not have been modified since just
   * before the job started.
   *
   * @param spec The job.
   * @param settlement How it ended.
   * @param declared Its declared input files, relative to the root.
   * @param outputs Its output globs.
   * @param startedAt When it started, ms since the epoch.
   * @returns The files and their hashes, sorted (none: it discovered nothing), or why not.
   */
  async collect(
    spec: JobSpec,
    settlement: Settlement,
    declared: ReadonlySet<string>,
    outputs: readonly ParsedGlob[],
    startedAt: number,
  ): Promise<Discovered> {
    const found = new Set<string>(settlement.discovered ?? []);
    const depfile = spec.cache?.depfile;
    let depfilePath: string | undefined;
    if (depfile !== undefined) {
      depfilePath = resolve(spec.cache!.dir, depfile);
      const shown = this.#keyPath(depfilePath);
      let text: string;
      try {
        text = readTextFileOnly(depfilePath);
      } catch (error) {
        const why = error instanceof Deno.errors.NotFound
          ? "the job did not write it"
          : (error as Error).message;
        return { ok: false, message: `not cached: its depfile ${shown} cannot be read (${why})` };
      }
      try {
        const cwd = Deno.cwd();
        for (const dep of parseDepfile(text).deps) found.add(resolve(cwd, dep));
      } catch (error) {
        if (!(error instanceof DepfileSyntaxError)) throw error;
        return {
          ok: false,
          message:
            `not cached: its depfile ${shown} is not a make dependency file (${error.message})`,
        };
      }
    }
    const paths = new Set<string>();
    for (const absolute of found) {
      const path = this.#keyPath(absolute);
      if (absolute === depfilePath || declared.has(path)) continue;
      if (!path.startsWith("/") && outputs.length > 0 && matchesGlobs(path, outputs)) continue;
      paths.add(path);
    }
    const sorted = [...paths].sort();
    const before = this.#before.get(spec.name);
    const files: [string, string][] = [];
    const origin = depfile === undefined ? "ctx.discovered()" : "its depfile";
    for (const path of sorted) {
      const absolute = this.#absolute(path);
      const known = before?.get(path);
      if (known !== undefined) {
        const same = this.#o.index.unchanged(absolute, path, known);
        if (same === true || (same !== false && await same)) {
          files.push([path, known]);
          continue;
        }
        return raced(path, origin);
      }
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(absolute);
      } catch {
        return {
          ok: false,
          message: `not cached: ${
            shownText(path)
          } (read by the job, from ${origin}) is gone after it ran`,
        };
      }
      if (!info.isFile) {
        return {
          ok: false,
          message: `not cached: ${shownText(path)} (read by the job, from ${origin}) is not a file`,
        };
      }
      if ((info.mtime?.getTime() ?? Infinity) > startedAt - EDITED_WHILE_RUNNING_MS) {
        return raced(path, origin);
      }
      const hash = await this.#hash(absolute, path, info);
      if (hash === undefined) {
        return {
          ok: false,
          message: `not cached: ${
            shownText(path)
          } (read by the job, from ${origin}) cannot be read`,
        };
      }
      files.push([path, hash]);
    }
    return { ok: true, files };
  }

  /**
   * The first file of an entry's discovered inputs whose content differs
   * now, for `--explain`.
   *
   * @param files The entry's discovered files and their hashes.
   * @returns `c/util.h changed`, `c/old.h was removed`, or `undefined` when none did.
   */
  async changed(files: readonly (readonly [string, string])[]): Promise<string | undefined> {
    for (const [path, hash] of files) {
      const now = await this.#hash(this.#absolute(path), path);
      if (now === undefined) return `${shownText(path)} was removed`;
      if (now !== hash) return `${shownText(path)} changed`;
    }
    return undefined;
  }

  /**
   * Remember the discovered files of the entry a job used (for watch mode).
   *
   * @param job The job's name.
   * @param files Its discovered files and their hashes.
   */
  used(job: string, files: readonly (readonly [string, string])[]): void {
    this.#used.set(job, files.map(([path]) => path));
  }

  /**
   * The discovered files of the entries the run's jobs used, by job: paths
   * relative to the root, or absolute outside it.
   *
   * @returns The files, by job.
   */
  usedFiles(): ReadonlyMap<string, readonly string[]> {
    return this.#used;
  }

  /** Hash a set's files, remembering each for the job; `undefined` when one cannot be read. */
  async #hashAll(job: string, set: readonly string[]): Promise<[string, string][] | undefined> {
    let before = this.#before.get(job);
    if (before === undefined) this.#before.set(job, before = new Map());
    const files: [string, string][] = [];
    for (const path of [...set].sort()) {
      const hash = before.get(path) ?? await this.#hash(this.#absolute(path), path);
      if (hash === undefined) return undefined;
      before.set(path, hash);
      files.push([path, hash]);
    }
    return files;
  }

  async #hash(absolute: string, path: string, info?: Deno.FileInfo): Promise<string | undefined> {
    try {
      const stat = info ?? Deno.statSync(absolute);
      if (!stat.isFile) return undefined;
      const hash = this.#o.index.hash(absolute, path, stat);
      return typeof hash === "string" ? hash : await hash;
    } catch {
      return undefined;
    }
  }

  /** A path as keys hold it: relative to the root inside it, else absolute. */
  #keyPath(absolute: string): string {
    const path = normalize(absolute);
    const roots = [this.#o.root, this.#realRoot ??= realOr(this.#o.root)];
    for (const root of roots) {
      const rel = relative(root, path);
      if (rel !== "" && rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel)) return rel;
    }
    return path;
  }

  #absolute(path: string): string {
    return path.startsWith("/") ? path : join(this.#o.root, path);
  }

  #recordPath(primary: string): string {
    return this.#o.store.memoPath(`discovered/${primary.slice(0, 2)}/${primary}`);
  }
}

function raced(path: string, origin: string): Discovered {
  return {
    ok: false,
    raced: `${shownText(path)} (read by the job, from ${origin})`,
    message: `not cached: input ${
      shownText(path)
    } (read by the job, from ${origin}) changed while it ran`,
  };
}

function realOr(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}
