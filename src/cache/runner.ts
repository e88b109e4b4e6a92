/**
 * The cache as a runner decorator: it stands between the scheduler and the
 * runner that does the work. For a job that declares `inputs`, it computes
 * the job's key; on a hit it restores the outputs, replays the log and
 * settles with the stored result, without starting the job; on a miss it
 * starts the job, and stores its outputs, log and result when it succeeds,
 * before its dependents start, unless one of its input files changed while
 * it ran (then neither it nor its dependents are stored this run, with one
 * warning). The cache never fails a run: a damaged entry is a miss, a store
 * that cannot be written is a warning. A store behind the local one (the
 * remote cache, a {@linkcode BackingStore}) is asked on a local miss, told of
 * each entry stored, and flushed when the run drains.
 *
 * @module
 */

import type { EventSink, GatherEvent } from "../events.ts";
import type { JobInput, JobRun, JobRunner } from "../engine/runner.ts";
import { GatherError } from "../errors.ts";
import type { JobSpec, Settlement } from "../types.ts";
import type { BackingStore } from "./backing.ts";
import { GlobOutsideRootError, parseGlob, Walker } from "./glob.ts";
import { AddedInputs } from "./_added_inputs.ts";
import type { KeyParts } from "./key.ts";
import { nameFor } from "./hash.ts";
import { recordRun } from "./maintenance.ts";
import { RecentEntries } from "./recent.ts";
import { StatIndex } from "./stat_index.ts";
import type { LocalStore } from "./store.ts";
import { Warnings } from "./_warnings.ts";
import { CachedRun, withCache } from "./_cached_run.ts";
import { JobKeys, keyDeps } from "./_job_keys.ts";
import { LookAhead } from "./_look_ahead.ts";
import { Discovery } from "./_discovered.ts";
import { TwoLevel } from "./_two_level.ts";
import {
  type CacheCounts,
  type CacheState,
  fetchRemote,
  type JobGlobs,
  lookup,
  restore,
} from "./_entries.ts";

/** How the cache is used in a run. */
export type CacheMode = "read-write" | "write-only" | "dry";

/** Options of {@linkcode CachingRunner}. */
export interface CachingRunnerOptions {
  /** The store. */
  store: LocalStore;
  /** The project root: keys use paths relative to it, nothing is restored outside it. */
  root: string;
  /** What the task file's code depends on outside the job functions: each module's hash, by path. */
  context: Record<string, string>;
  /** Each cached job's code hash, by name (computed with the context, or remembered). */
  codes: ReadonlyMap<string, string | undefined>;
  /** Where the task file is, relative to the root: a job's entries are found by it and its name. */
  taskId: string;
  /**
   * `read-write`: look up and store; `write-only` (`--force`): run every job
   * and store; `dry` (`--dry-run`): look up only, start the job in the inner
   * (dry) runner. @default {"read-write"}
   */
  mode?: CacheMode;
  /** Say why each job that runs is not a hit (`--explain`). @default {false} */
  explain?: boolean;
  /** Reads an environment variable. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
  /** A store behind the local one (the remote cache). @default {none} */
  remote?: BackingStore;
}

/** Logs longer than this are stored head and tail. */
const MAX_STORED_LINES = 100_000;

/**
 * The cache in front of a runner.
 *
 * @example Usage
 * ```ts ignore
 * const caching = new CachingRunner(new InProcessRunner({ emit: caching.tap(emit) }), options);
 * ```
 */
export class CachingRunner implements JobRunner {
  #inner: JobRunner | undefined;
  /** What the run's cache shares with the operations on each job's entry (`_entries.ts`). */
  #s: CacheState;
  /** Whether each job's entry is on the remote cache, once asked (a distributed run). */
  #sharing = new Map<string, Promise<boolean>>();
  /** The run's cached jobs, in the graph's order. */
  #cached: JobSpec[] = [];
  /** Remote lookups ahead of the job slots (a run that reads a remote cache). */
  #ahead: LookAhead | undefined;
  #emit: EventSink = () => {};
  /** Hits (of which remote ones) and misses of this run, and the bytes it stored. */
  readonly counts: CacheCounts = { hits: 0, remoteHits: 0, misses: 0, stored: 0, bytes: 0 };
  /** With `--dry-run`: what the cache would do for each cached job (`cached`, or why it runs). */
  readonly notes: Map<string, string> = new Map();

  /**
   * Set up the cache for a run; `wrap()` gives it the runner it stands in front of.
   *
   * @param options The store, the root, the code context, the mode.
   */
  constructor(options: CachingRunnerOptions) {
    const mode = options.mode ?? "read-write";
    const index = StatIndex.load(options.store.indexPath, options.store.hasher);
    const recent = RecentEntries.open(options.store, options.taskId);
    const walker = new Walker(options.root, index);
    const globs = new Map<string, JobGlobs>();
    const warnings = new Warnings(() => this.#emit);
    const discovery = new Discovery({
      root: options.root,
      index,
      hasher: options.store.hasher,
      store: options.store,
      recent,
    });
    const keys = new JobKeys({
      root: options.root,
      context: options.context,
      codes: options.codes,
      globs,
      index,
      walker,
      recent,
      hasher: options.store.hasher,
      env: options.env ?? ((name) => Deno.env.get(name)),
      dry: mode === "dry",
      found: (job) => this.notes.get(job)?.startsWith("cached") === true,
      warnOnce: (key, message, job) => warnings.once(key, message, job),
    });
    this.#s = {
      options,
      mode,
      index,
      recent,
      globs,
      keys,
      entries: new Map(),
      raced: new Map(),
      unstored: new Map(),
      added: new AddedInputs(options.root),
      discovery,
      twoLevel: new TwoLevel({
        discovery,
        read: (job, key) => lookup(this.#s, job, key),
        remote: options.remote,
      }),
      records: new Map(),
      recording: new Map(),
      warnings,
      counts: this.counts,
      notes: this.notes,
      realRoot: undefined,
      emit: () => this.#emit,
      lastId: (job) =>
        `${nameFor(options.taskId)}-${nameFor(job.name)}-${
          nameFor(job.name + "\n" + options.taskId)
        }`,
    };
  }

  /**
   * Check every cached job's globs against the project root, before anything runs.
   *
   * @param specs The run's jobs.
   * @param source Where they come from, for messages.
   * @throws {GatherError} When a glob is absolute or leaves the root.
   */
  check(specs: Iterable<JobSpec>, source: string): void {
    const compiled = new Map<string, RegExp>();
    for (const spec of specs) {
      if (!spec.cache) continue;
      const parse = (kind: string, glob: string) => {
        try {
          return parseGlob(glob, spec.cache!.dir, this.#s.options.root, compiled);
        } catch (error) {
          if (!(error instanceof GlobOutsideRootError)) throw error;
          throw new GatherError(
            "BAD_OPTION",
            `Cannot cache "${spec.name}" in ${source}: ${kind} ${error.message}; keep inputs and outputs inside the project (or pass --root)`,
            { job: spec.name },
          );
        }
      };
      this.#s.globs.set(spec.name, {
        inputs: spec.cache.inputs.map((glob) => parse("input", glob)),
        outputs: spec.cache.outputs.map((glob) => parse("output", glob)),
        // Dependencies that only order the job are not in its options: see `keyDeps`.
        options: JSON.stringify([
          spec.cache.inputs,
          spec.cache.outputs,
          spec.cache.env,
          keyDeps(spec),
        ]),
      });
      this.#cached.push(spec);
    }
  }

  /**
   * Put the cache in front of a runner.
   *
   * @param inner The runner that does the work.
   * @param emit Receives warnings, cache events and replayed log lines.
   * @param signal The run's signal: it abandons the remote cache's requests.
   * @returns This runner.
   */
  wrap(inner: JobRunner, emit: EventSink, signal?: AbortSignal): this {
    this.#inner = inner;
    this.#emit = emit;
    const remote = this.#s.options.remote;
    remote?.open(emit, signal);
    if (remote !== undefined && this.#s.mode === "read-write") {
      this.#ahead = new LookAhead(this.#cached, this.#s.globs, {
        parts: (job, deps, depKeys, early) => this.parts(job, { deps }, depKeys, early),
        key: (job, parts) => this.key(job, parts),
        hasLocal: (key, job) => {
          try {
            return this.#s.recent.read(key) !== undefined ||
              this.#s.twoLevel.hasRecord(job, key);
          } catch {
            return true; // damaged: the job's own lookup reports it
          }
        },
        fetch: (key, job) => remote.fetch(key, job),
      });
      this.#ahead.begin();
    }
    return this;
  }

  /**
   * An event sink for the inner runner: it records the log lines of the jobs
   * being stored, then passes every event on.
   *
   * @param next Where events go.
   * @returns The sink.
   */
  tap(next: EventSink): EventSink {
    return (event: GatherEvent) => {
      if (event.type === "job:log" && event.replayed === undefined) {
        const lines = this.#s.recording.get(event.job);
        if (lines !== undefined && lines.length < MAX_STORED_LINES) {
          lines.push([event.stream, event.line]);
        }
      }
      next(event);
    };
  }

  /**
   * Start a job: restore it on a hit, run it on a miss.
   *
   * @param job The job.
   * @param input Its dependencies' results.
   * @returns The running job.
   */
  start(job: JobSpec, input: JobInput): JobRun {
    const inner = this.#inner!;
    const run = !job.cache || !this.#s.globs.has(job.name)
      ? withCache(inner.start(job, input), "off", this.#s.mode === "dry" ? undefined : this.jobRan)
      : new CachedRun(this, job, input, this.#ahead?.claim(job.name));
    const ahead = this.#ahead;
    if (ahead?.watches(job.name) && job.service === undefined) {
      run.settled.then((settlement) => {
        if (settlement.status === "ok") ahead.settled(job.name, settlement.result);
      });
    }
    return run;
  }

  /**
   * After the run: record its hits and misses, and prune the cache if it may
   * have passed its size cap.
   *
   * @param maxBytes The cap. @default {5 GB}
   */
  async finish(maxBytes?: number): Promise<void> {
    if (this.#s.mode === "dry") return;
    try {
      await recordRun(this.#s.options.store.dir, this.counts, maxBytes);
    } catch (error) {
      // One cause, one warning: a cache folder that cannot be written was said already.
      this.#s.warnings.once("write", `the cache could not be written: ${(error as Error).message}`);
    }
  }

  /** Wait for the inner runner and pending writes; write the stat index back; flush the remote cache. */
  async drain(): Promise<void> {
    await this.#inner?.drain?.();
    await this.#ahead?.close();
    try {
      this.#s.index.save();
      if (this.#s.mode !== "dry") this.#s.recent.save();
      this.#s.options.store.close();
    } catch (error) {
      this.#s.warnings.once("write", `the cache could not be written: ${(error as Error).message}`);
    }
    await this.#s.options.remote?.flush();
  }

  // --- used by CachedRun -------------------------------------------------

  /** The store. */
  get store(): LocalStore {
    return this.#s.options.store;
  }

  /** @internal What the operations on each job's entry share with this runner (`_entries.ts`). */
  get state(): CacheState {
    return this.#s;
  }

  /** @internal */
  get inner(): JobRunner {
    return this.#inner!;
  }

  /** @internal */
  get mode(): CacheMode {
    return this.#s.mode;
  }

  /**
   * @internal The key parts of a job, or a reason it cannot be keyed this run;
   * `depKeys` are its dependencies' keys when they were computed ahead, `early`
   * when it is keyed as the run starts.
   */
  parts(
    job: JobSpec,
    input: JobInput,
    depKeys?: ReadonlyMap<string, string>,
    early?: boolean,
  ): Promise<KeyParts | string> {
    return this.#s.keys.parts(job, input.deps, depKeys, early);
  }

  /** @internal The key of a job's parts (the last run's, when its parts are the same). */
  key(job: JobSpec, parts: KeyParts): Promise<string> {
    return this.#s.keys.key(job, parts);
  }

  /**
   * @internal Whether a job's key parts, computed ahead (before its
   * dependencies settled), still hold: a dependency with discovered inputs
   * settles with its final key, which no key computed ahead knows.
   */
  aheadHolds(parts: KeyParts): boolean {
    return parts.deps.every(([dep, key]) => {
      const now = this.#s.keys.keyOf(dep);
      return typeof now !== "string" || now === key;
    });
  }

  /**
   * The files each job of the run discovered (its depfile's, or reported
   * with `ctx.discovered()`), for the entry it used: paths relative to the
   * root, or absolute outside it. Watch mode watches them.
   *
   * @returns The files, by job.
   */
  discoveredFiles(): ReadonlyMap<string, readonly string[]> {
    return this.#s.discovery.usedFiles();
  }

  /** @internal Start recording a job's log. */
  record(job: JobSpec): void {
    this.#s.recording.set(job.name, []);
  }

  /**
   * @internal Whether a job depends on one not stored because an input
   * changed while it ran: then its key does not say what it will see, and it
   * is neither looked up nor stored this run (nor are its own dependents).
   */
  afterRace(job: JobSpec): boolean {
    const dep = job.deps.find((dep) => this.#s.raced.has(dep) || this.#s.unstored.has(dep));
    if (dep === undefined) return false;
    this.#s.raced.set(job.name, `dependency "${dep}"`);
    this.#s.keys.remember(job.name, null);
    return true;
  }

  /**
   * What changed while a job ran, when that kept its entry from being
   * stored this run (a distributed run's worker then hands the job back).
   *
   * @param name The job's name.
   * @returns `input in.txt` or `dependency "cp"`; `undefined` when nothing did.
   */
  changedWhileRunning(name: string): string | undefined {
    return this.#s.raced.get(name);
  }

  /**
   * Why a job that succeeded was not stored this run for what it discovered
   * (its depfile missing or unreadable), if it was not.
   *
   * @param name The job's name.
   * @returns The warning said for it, or `undefined`.
   */
  notStored(name: string): string | undefined {
    return this.#s.unstored.get(name);
  }

  /** @internal Remember a cached job's key (and its parts), for its dependents. */
  rememberKey(job: JobSpec, key: string | null, parts?: KeyParts): void {
    this.#s.keys.remember(job.name, key, parts);
  }

  /**
   * A job's cache key in this run: `undefined` until the cache has looked the
   * job up (or for a job it does not cache), `null` when it could not be keyed.
   *
   * @param name The job's name.
   * @returns The key.
   */
  keyOf(name: string): string | null | undefined {
    return this.#s.keys.keyOf(name);
  }

  /**
   * What a job's key was made of in this run, once known.
   *
   * @param name The job's name.
   * @returns The key parts.
   */
  partsOf(name: string): KeyParts | undefined {
    return this.#s.keys.partsOf(name);
  }

  /**
   * Make sure a job's entry is on the remote cache, for a distributed run's
   * dependents on other machines: a local hit is uploaded, a fresh entry's
   * upload is waited for. Asked once per job and run.
   *
   * @param name The job's name.
   * @returns Whether its entry is there.
   */
  share(name: string): Promise<boolean> {
    const asked = this.#sharing.get(name);
    if (asked !== undefined) return asked;
    const entry = this.#s.entries.get(name);
    const remote = this.#s.options.remote;
    let shared: Promise<boolean>;
    if (entry === undefined || remote?.whenShared === undefined) shared = Promise.resolve(false);
    else if (entry.origin === "remote") shared = Promise.resolve(true);
    else {
      if (entry.origin === "local") remote.stored(entry.manifest);
      const record = this.#s.records.get(name);
      shared = Promise.all([
        remote.whenShared(entry.manifest.key),
        record?.then((key) => key === undefined ? false : remote.whenShared!(key)) ?? true,
      ]).then(([entryShared, recordShared]) => entryShared && recordShared);
    }
    this.#sharing.set(name, shared);
    return shared;
  }

  /**
   * Why a job's entry could not be shared ({@linkcode CachingRunner.share}
   * said `false`), when the remote cache refuses to take it: the artifact
   * there under its key was signed with another key.
   *
   * @param name The job's name.
   * @returns The cause, or `undefined`.
   *
   * @example Usage
   * ```ts ignore
   * if (!await cache.share("compile")) console.log(cache.whyNotShared("compile") ?? "not shared");
   * ```
   */
  whyNotShared(name: string): string | undefined {
    const remote = this.#s.options.remote;
    const keys = [this.#s.entries.get(name)?.manifest.key, this.#s.keys.keyOf(name)];
    for (const key of keys) {
      const why = typeof key === "string" ? remote?.whyNotShared?.(key) : undefined;
      if (why !== undefined) return why;
    }
    return undefined;
  }

  /**
   * Why the entry of a key was not found on the remote cache, when known
   * (refused for its signature, not there, the server not answering).
   *
   * @param key The key.
   * @returns The cause, or `undefined`.
   *
   * @example Usage
   * ```ts ignore
   * if (await cache.restoreKey(spec, key) === undefined) console.log(cache.whyMissing(key));
   * ```
   */
  whyMissing(key: string): string | undefined {
    return this.#s.twoLevel.whyMissing(key) ?? this.#s.options.remote?.whyMissing?.(key);
  }

  /**
   * Restore the entry of a key (a distributed run's worker, for a job's
   * dependencies): from the local store, else the remote cache.
   *
   * @param job The job whose entry it is.
   * @param key The key.
   * @returns The job's settlement (its result), or `undefined` when there is no usable entry.
   */
  async restoreKey(job: JobSpec, key: string): Promise<Settlement | undefined> {
    this.#s.keys.remember(job.name, key);
    this.#s.raced.delete(job.name); // what it ran here is replaced by what its key says
    this.#s.unstored.delete(job.name);
    const local = lookup(this.#s, job, key);
    if (local !== undefined) return await restore(this.#s, job, local);
    const remote = await fetchRemote(this.#s, job, key);
    return remote && await restore(this.#s, job, remote.manifest, "hit-remote", remote.blobs);
  }

  /** @internal Count a miss. */
  missed(): void {
    this.counts.misses++;
  }

  /** @internal A job ran (it was not restored): the hashes known this run are checked again. */
  jobRan = (): void => this.#s.index.jobRan();

  /** @internal Whether --explain was asked for. */
  get explaining(): boolean {
    return this.#s.options.explain === true;
  }

  /** @internal Report a problem with one job's caching. */
  warnJob(job: JobSpec, message: string): void {
    this.#s.warnings.say(message, job.name);
  }
}
