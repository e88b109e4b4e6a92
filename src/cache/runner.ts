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
import type { CacheStatus, JobSpec, Settlement } from "../types.ts";
import type { BackingStore, FetchedEntry } from "./backing.ts";
import { decodeValue, encodeValue, UnstorableError } from "./codec.ts";
import { GlobOutsideRootError, type ParsedGlob, parseGlob, Walker } from "./glob.ts";
import { explain, type KeyParts } from "./key.ts";
import { nameFor } from "./hash.ts";
import { recordRun } from "./maintenance.ts";
import { restoreOutputs, saveOutputs } from "./outputs.ts";
import { UnsafeLinkError } from "./links.ts";
import { RecentEntries } from "./recent.ts";
import { StatIndex } from "./stat_index.ts";
import {
  CorruptEntryError,
  DamagedBlobError,
  damagedEntry,
  type LogLine,
  type Manifest,
} from "./entry.ts";
import { type BlobSource, type LocalStore, packLogAndResult, unpackLogAndResult } from "./store.ts";
import { Warnings } from "./_warnings.ts";
import { CachedRun, withCache } from "./_cached_run.ts";
import { JobKeys, keyDeps } from "./_job_keys.ts";
import { changedInputs } from "./_input_check.ts";
import { LookAhead } from "./_look_ahead.ts";
import { removePartialOutputs } from "./_partial_outputs.ts";
import type { Looked } from "./_prefetch.ts";
import { Discovery } from "./_discovered.ts";
import { TwoLevel } from "./_two_level.ts";

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

/** A job's globs, checked once per run. */
interface JobGlobs {
  inputs: ParsedGlob[];
  outputs: ParsedGlob[];
  options: string;
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
  #options: CachingRunnerOptions;
  #mode: CacheMode;
  #index: StatIndex;
  #recent: RecentEntries;
  #walker: Walker;
  #globs = new Map<string, JobGlobs>();
  /** Each job's key and key parts in this run. */
  #keys: JobKeys;
  /** The entry each job of the run has in the local store, and where it came from. */
  #entries = new Map<string, { manifest: Manifest; origin: "local" | "stored" | "remote" }>();
  /**
   * Jobs not stored this run because an input changed while they ran, or
   * while a job they depend on ran (their keys would not say what they
   * saw), and what changed: `input in.txt`, `dependency "cp"`.
   */
  #raced = new Map<string, string>();
  /**
   * Jobs not stored this run because what they discovered could not be
   * (a depfile missing or unreadable): their dependents' keys would not say
   * what they saw either, and why.
   */
  #unstored = new Map<string, string>();
  /** The run's discovered inputs, and the lookups through their records. */
  #discovery: Discovery;
  #twoLevel: TwoLevel;
  /** The remote artifact each job's record goes up as, this run (a distributed run waits for it). */
  #records = new Map<string, Promise<string | undefined>>();
  /** Whether each job's entry is on the remote cache, once asked (a distributed run). */
  #sharing = new Map<string, Promise<boolean>>();
  #recording = new Map<string, LogLine[]>();
  #warnings = new Warnings(() => this.#emit);
  /** The run's cached jobs, in the graph's order. */
  #cached: JobSpec[] = [];
  /** Remote lookups ahead of the job slots (a run that reads a remote cache). */
  #ahead: LookAhead | undefined;
  #realRoot: string | undefined;
  #emit: EventSink = () => {};
  /** Hits (of which remote ones) and misses of this run, and the bytes it stored. */
  readonly counts: {
    hits: number;
    remoteHits: number;
    misses: number;
    stored: number;
    bytes: number;
  } = { hits: 0, remoteHits: 0, misses: 0, stored: 0, bytes: 0 };
  /** With `--dry-run`: what the cache would do for each cached job (`cached`, or why it runs). */
  readonly notes: Map<string, string> = new Map();

  /**
   * Set up the cache for a run; `wrap()` gives it the runner it stands in front of.
   *
   * @param options The store, the root, the code context, the mode.
   */
  constructor(options: CachingRunnerOptions) {
    this.#options = options;
    this.#mode = options.mode ?? "read-write";
    this.#index = StatIndex.load(options.store.indexPath, options.store.hasher);
    this.#recent = RecentEntries.open(options.store, options.taskId);
    this.#walker = new Walker(options.root, this.#index);
    this.#discovery = new Discovery({
      root: options.root,
      index: this.#index,
      hasher: options.store.hasher,
      store: options.store,
      recent: this.#recent,
    });
    this.#twoLevel = new TwoLevel({
      discovery: this.#discovery,
      read: (job, key) => this.lookup(job, key),
      remote: options.remote,
    });
    this.#keys = new JobKeys({
      root: options.root,
      context: options.context,
      codes: options.codes,
      globs: this.#globs,
      index: this.#index,
      walker: this.#walker,
      recent: this.#recent,
      hasher: options.store.hasher,
      env: options.env ?? ((name) => Deno.env.get(name)),
      dry: this.#mode === "dry",
      found: (job) => this.notes.get(job)?.startsWith("cached") === true,
      warnOnce: (key, message, job) => this.#warnings.once(key, message, job),
    });
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
          return parseGlob(glob, spec.cache!.dir, this.#options.root, compiled);
        } catch (error) {
          if (!(error instanceof GlobOutsideRootError)) throw error;
          throw new GatherError(
            "BAD_OPTION",
            `Cannot cache "${spec.name}" in ${source}: ${kind} ${error.message}; keep inputs and outputs inside the project (or pass --root)`,
            { job: spec.name },
          );
        }
      };
      this.#globs.set(spec.name, {
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
    const remote = this.#options.remote;
    remote?.open(emit, signal);
    if (remote !== undefined && this.#mode === "read-write") {
      this.#ahead = new LookAhead(this.#cached, this.#globs, {
        parts: (job, deps, depKeys, early) => this.parts(job, { deps }, depKeys, early),
        key: (job, parts) => this.key(job, parts),
        hasLocal: (key) => {
          try {
            return this.#recent.read(key) !== undefined || this.#twoLevel.hasRecord(key);
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
        const lines = this.#recording.get(event.job);
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
    const run = !job.cache || !this.#globs.has(job.name)
      ? withCache(inner.start(job, input), "off", this.#mode === "dry" ? undefined : this.jobRan)
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
    if (this.#mode === "dry") return;
    try {
      await recordRun(this.#options.store.dir, this.counts, maxBytes);
    } catch (error) {
      // One cause, one warning: a cache folder that cannot be written was said already.
      this.#warnings.once("write", `the cache could not be written: ${(error as Error).message}`);
    }
  }

  /** Wait for the inner runner and pending writes; write the stat index back; flush the remote cache. */
  async drain(): Promise<void> {
    await this.#inner?.drain?.();
    await this.#ahead?.close();
    try {
      this.#index.save();
      if (this.#mode !== "dry") this.#recent.save();
      this.#options.store.close();
    } catch (error) {
      this.#warnings.once("write", `the cache could not be written: ${(error as Error).message}`);
    }
    await this.#options.remote?.flush();
  }

  // --- used by CachedRun -------------------------------------------------

  /** The store. */
  get store(): LocalStore {
    return this.#options.store;
  }

  /** @internal */
  get inner(): JobRunner {
    return this.#inner!;
  }

  /** @internal */
  get mode(): CacheMode {
    return this.#mode;
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
    return this.#keys.parts(job, input.deps, depKeys, early);
  }

  /** @internal The key of a job's parts (the last run's, when its parts are the same). */
  key(job: JobSpec, parts: KeyParts): Promise<string> {
    return this.#keys.key(job, parts);
  }

  /** @internal The stored entry of a key, or `undefined` (a damaged one is reported). */
  lookup(job: JobSpec, key: string): Manifest | undefined {
    try {
      return this.#recent.read(key);
    } catch (error) {
      this.#warnings.say(`${(error as Error).message}: running the job`, job.name);
      return undefined;
    }
  }

  /**
   * @internal The local entry of a job's key, else of the final key of a set
   * of files it discovered (its primary key's record); `undefined` for none.
   */
  async find(job: JobSpec, key: string): Promise<Manifest | undefined> {
    return this.lookup(job, key) ?? (await this.#twoLevel.findLocal(job, key))?.found;
  }

  /**
   * @internal Whether a job's key parts, computed ahead (before its
   * dependencies settled), still hold: a dependency with discovered inputs
   * settles with its final key, which no key computed ahead knows.
   */
  aheadHolds(parts: KeyParts): boolean {
    return parts.deps.every(([dep, key]) => {
      const now = this.#keys.keyOf(dep);
      return typeof now !== "string" || now === key;
    });
  }

  /** @internal Remove a job's depfile before it runs (one found after is its own). */
  clearDepfile(job: JobSpec): void {
    this.#discovery.clearDepfile(job);
  }

  /**
   * The files each job of the run discovered (its depfile's, or reported
   * with `ctx.discovered()`), for the entry it used: paths relative to the
   * root, or absolute outside it. Watch mode watches them.
   *
   * @returns The files, by job.
   */
  discoveredFiles(): ReadonlyMap<string, readonly string[]> {
    return this.#discovery.usedFiles();
  }

  /**
   * @internal Why a job runs, for --explain: what changed since the entry it
   * last used (restored or stored), else since the last one stored for it.
   */
  async reason(job: JobSpec, parts: KeyParts): Promise<string> {
    if (this.#mode === "write-only") return "--force";
    const store = this.#options.store;
    const partsOf = (key: string | undefined): KeyParts | undefined => {
      try {
        return key === undefined ? undefined : store.read(key)?.parts;
      } catch {
        return undefined;
      }
    };
    const before = partsOf(this.#recent.lastUsed(job.name)) ??
      partsOf(store.lastKey(this.#lastId(job)));
    const why = explain(before, parts);
    // The same declared inputs: what changed is a file the job discovered (or the entry is gone).
    if (before?.discovered !== undefined && why.startsWith("no cache entry (")) {
      const changed = await this.#discovery.changed(before.discovered);
      if (changed !== undefined) {
        return `${changed} (read by the job, from ${
          job.cache?.depfile === undefined ? "ctx.discovered()" : "its depfile"
        })`;
      }
    }
    return why;
  }

  /**
   * @internal On a local miss: the entry from the remote cache, now kept in
   * the local store; from the lookup made ahead, when it was for this key.
   */
  async fetchRemote(
    job: JobSpec,
    key: string,
    ahead: Promise<Looked> | null = null,
  ): Promise<FetchedEntry | undefined> {
    const looked = await ahead;
    const entry =
      (looked?.key === key ? looked.entry : await this.#options.remote?.fetch(key, job.name)) ??
        (await this.#twoLevel.findRemote(job, key))?.found;
    if (entry === undefined) return undefined;
    try {
      this.#options.store.keep(entry.manifest, entry.artifact, this.#lastId(job));
    } catch (error) {
      this.#warnings.once("write", `the cache could not be written: ${(error as Error).message}`);
      return undefined;
    }
    this.counts.bytes += entry.artifact.length;
    return entry;
  }

  /** @internal Restore a hit; `undefined` when the entry turns out unusable. Announces the hit. */
  async restore(
    job: JobSpec,
    manifest: Manifest,
    from: "hit" | "hit-remote" = "hit",
    fresh?: ReadonlyMap<string, Uint8Array>,
  ): Promise<Settlement | undefined> {
    const blobs = this.#options.store.blobsOf(manifest, fresh);
    let lines: LogLine[];
    let result: unknown;
    try {
      const unpacked = await unpackLogAndResult(blobs, manifest);
      lines = unpacked.lines;
      result = decodeValue(unpacked.result);
      await this.#restoreFiles(manifest, blobs);
    } catch (error) {
      if (error instanceof DamagedBlobError) await this.#options.store.dropDamagedBlob(error.hash);
      const why = error instanceof DamagedBlobError
        ? damagedEntry(manifest, error).message
        : error instanceof CorruptEntryError || error instanceof SyntaxError
        ? (error as Error).message
        : `cache entry ${manifest.key.slice(0, 12)} cannot be restored (${
          (error as Error).message
        })`;
      this.#warnings.say(`${why}: running the job`, job.name);
      return undefined;
    }
    this.announce(job, from, manifest.key);
    this.#recent.use(manifest, from === "hit-remote");
    this.#entries.set(job.name, { manifest, origin: from === "hit-remote" ? "remote" : "local" });
    const emit = this.#emit;
    for (const [stream, line] of lines) {
      emit({ type: "job:log", time: Date.now(), job: job.name, line, stream, replayed: true });
    }
    this.counts.hits++;
    if (from === "hit-remote") this.counts.remoteHits++;
    return { status: "ok", result, attempts: 0, ignoredCancellation: false, cache: from };
  }

  /**
   * @internal A job stopped before it ended (cancelled, timed out): remove
   * the files under its outputs it changed meanwhile (a half-written binary),
   * as make removes an interrupted target; one warning names them.
   */
  removePartialOutputs(job: JobSpec, startedAt: number): void {
    const globs = this.#globs.get(job.name);
    if (globs === undefined || globs.outputs.length === 0) return;
    const others = [...this.#globs].filter(([name]) => name !== job.name).map(([, g]) => g.outputs);
    const removed = removePartialOutputs(this.#options.root, globs.outputs, startedAt, others);
    if (removed.length === 0) return;
    const more = removed.length > 3 ? ` and ${removed.length - 3} more` : "";
    this.#warnings.say(
      `removed what it was writing when it was stopped: ${
        removed.slice(0, 3).join(", ")
      }${more} (a rerun makes ${removed.length === 1 ? "it" : "them"} again)`,
      job.name,
    );
  }

  /** @internal Start recording a job's log. */
  record(job: JobSpec): void {
    this.#recording.set(job.name, []);
  }

  /** @internal Store a job that succeeded; returns the cache status to report. */
  async save(
    job: JobSpec,
    key: string,
    parts: KeyParts,
    settlement: Settlement,
    durationMs: number,
    startedAt: number,
  ): Promise<CacheStatus> {
    const lines = this.#recording.get(job.name) ?? [];
    this.#recording.delete(job.name);
    if (settlement.status !== "ok") return "miss";
    const globs = this.#globs.get(job.name)!;
    const changed = await changedInputs(
      this.#options.root,
      parts.files,
      this.#index,
      globs.outputs,
    );
    if (changed.length > 0) {
      this.#raced.set(job.name, `input ${changed[0]}`);
      this.#keys.remember(job.name, null);
      const more = changed.length > 1 ? ` (and ${changed.length - 1} more)` : "";
      this.#warnings.say(`not cached: input ${changed[0]}${more} changed while it ran`, job.name);
      return "miss";
    }
    // Its discovered inputs: the entry goes under their final key, its key for its dependents.
    const discovered = await this.#discovery.collect(
      job,
      settlement,
      new Set(parts.files.map(([path]) => path)),
      globs.outputs,
      startedAt,
    );
    if (!discovered.ok) {
      if (discovered.raced !== undefined) this.#raced.set(job.name, `input ${discovered.raced}`);
      else this.#unstored.set(job.name, discovered.message);
      this.#keys.remember(job.name, null);
      this.#warnings.say(discovered.message, job.name);
      return "miss";
    }
    const primary = key;
    if (discovered.files.length > 0) {
      key = await this.#discovery.finalKey(job.name, primary, discovered.files);
      parts = { ...parts, discovered: discovered.files };
      this.#keys.remember(job.name, key);
    }
    let encoded: string;
    try {
      encoded = encodeValue(settlement.result);
    } catch (error) {
      if (!(error instanceof UnstorableError)) throw error;
      this.#warnings.say(`not cached: ${error.message}`, job.name);
      return "miss";
    }
    const store = this.#options.store;
    try {
      const { outputs, links, unmatched } = await saveOutputs(
        this.#options.root,
        globs.outputs,
        store,
      );
      for (const glob of unmatched) {
        this.#warnings.say(
          `output glob "${glob}" matched no file after the job ran (stored as none)`,
          job.name,
        );
      }
      for (const output of [...outputs, ...links]) this.#index.forget(output.path);
      const manifest: Manifest = {
        version: 1,
        key,
        job: job.name,
        createdAt: Date.now(),
        durationMs: Math.round(durationMs * 100) / 100,
        parts,
        outputs,
        ...links.length > 0 ? { links } : {},
        ...await packLogAndResult(store, lines, encoded),
      };
      store.write(manifest, this.#lastId(job));
      this.#recent.use(manifest, true);
      this.#entries.set(job.name, { manifest, origin: "stored" });
      this.counts.stored++;
      this.counts.bytes += outputs.reduce((sum, output) => sum + output.size, 0) + 1024;
      this.#options.remote?.stored(manifest);
      if (key !== primary) {
        this.#records.set(job.name, this.#twoLevel.stored(job, primary, discovered.files));
      }
    } catch (error) {
      if (error instanceof UnsafeLinkError) {
        this.#warnings.say(`not cached: ${error.message}`, job.name);
      } else {
        this.#warnings.once("write", `the cache could not be written: ${(error as Error).message}`);
      }
    }
    return "miss";
  }

  /**
   * @internal Whether a job depends on one not stored because an input
   * changed while it ran: then its key does not say what it will see, and it
   * is neither looked up nor stored this run (nor are its own dependents).
   */
  afterRace(job: JobSpec): boolean {
    const dep = job.deps.find((dep) => this.#raced.has(dep) || this.#unstored.has(dep));
    if (dep === undefined) return false;
    this.#raced.set(job.name, `dependency "${dep}"`);
    this.#keys.remember(job.name, null);
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
    return this.#raced.get(name);
  }

  /**
   * Why a job that succeeded was not stored this run for what it discovered
   * (its depfile missing or unreadable), if it was not.
   *
   * @param name The job's name.
   * @returns The warning said for it, or `undefined`.
   */
  notStored(name: string): string | undefined {
    return this.#unstored.get(name);
  }

  /** @internal Remember a cached job's key (and its parts), for its dependents. */
  rememberKey(job: JobSpec, key: string | null, parts?: KeyParts): void {
    this.#keys.remember(job.name, key, parts);
  }

  /**
   * A job's cache key in this run: `undefined` until the cache has looked the
   * job up (or for a job it does not cache), `null` when it could not be keyed.
   *
   * @param name The job's name.
   * @returns The key.
   */
  keyOf(name: string): string | null | undefined {
    return this.#keys.keyOf(name);
  }

  /**
   * What a job's key was made of in this run, once known.
   *
   * @param name The job's name.
   * @returns The key parts.
   */
  partsOf(name: string): KeyParts | undefined {
    return this.#keys.partsOf(name);
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
    const entry = this.#entries.get(name);
    const remote = this.#options.remote;
    let shared: Promise<boolean>;
    if (entry === undefined || remote?.whenShared === undefined) shared = Promise.resolve(false);
    else if (entry.origin === "remote") shared = Promise.resolve(true);
    else {
      if (entry.origin === "local") remote.stored(entry.manifest);
      const record = this.#records.get(name);
      shared = Promise.all([
        remote.whenShared(entry.manifest.key),
        record?.then((key) => key === undefined ? false : remote.whenShared!(key)) ?? true,
      ]).then(([entryShared, recordShared]) => entryShared && recordShared);
    }
    this.#sharing.set(name, shared);
    return shared;
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
    this.#keys.remember(job.name, key);
    this.#raced.delete(job.name); // what it ran here is replaced by what its key says
    this.#unstored.delete(job.name);
    const local = this.lookup(job, key);
    if (local !== undefined) return await this.restore(job, local);
    const remote = await this.fetchRemote(job, key);
    return remote && await this.restore(job, remote.manifest, "hit-remote", remote.blobs);
  }

  /**
   * @internal A job a worker ran (a distributed run): its entry, which the
   * worker uploaded, is fetched and its outputs restored here, with no log
   * replayed (its lines came as it ran).
   *
   * @returns `undefined` once its outputs are here, else why they are not.
   */
  async adopt(job: JobSpec, key: string, worker: string): Promise<string | undefined> {
    const entry = await this.fetchRemote(job, key);
    if (entry === undefined) {
      return `its outputs (it ran on ${worker}) could not be brought to this checkout: its entry could not be fetched from the remote cache`;
    }
    const manifest = entry.manifest;
    try {
      await this.#restoreFiles(manifest, this.#options.store.blobsOf(manifest, entry.blobs));
    } catch (error) {
      return `its outputs (it ran on ${worker}) could not be brought to this checkout: ${
        (error as Error).message
      }`;
    }
    this.#recording.delete(job.name);
    this.#recent.use(manifest, true);
    this.#entries.set(job.name, { manifest, origin: "remote" });
    // With discovered inputs, the worker stored it under its final key: its dependents' key.
    if (manifest.key !== key) this.#keys.remember(job.name, manifest.key);
    return undefined;
  }

  /** @internal Count a miss. */
  missed(): void {
    this.counts.misses++;
  }

  /** @internal A job ran (it was not restored): the hashes known this run are checked again. */
  jobRan = (): void => this.#index.jobRan();

  /** @internal Report what a job's cache lookup found. */
  announce(
    job: JobSpec,
    status: "hit" | "hit-remote" | "miss",
    key: string,
    reason?: string,
  ): void {
    if (this.#mode === "dry") {
      this.notes.set(
        job.name,
        status === "hit"
          ? "cached"
          : status === "hit-remote"
          ? "cached, remote"
          : `runs: ${reason ?? "no cache entry"}`,
      );
      return;
    }
    this.#emit({
      type: "job:cache",
      time: Date.now(),
      job: job.name,
      status,
      key,
      ...(reason === undefined ? {} : { reason }),
    });
  }

  /** @internal A dry run's local miss: whether the remote cache has the key (nothing is downloaded). */
  async remoteHas(job: JobSpec, key: string): Promise<string | undefined> {
    if (await this.#options.remote?.has?.(key, job.name)) return key;
    return await this.#twoLevel.hasRemote(job, key);
  }

  /** @internal Whether --explain was asked for. */
  get explaining(): boolean {
    return this.#options.explain === true;
  }

  /** @internal Report a problem with one job's caching. */
  warnJob(job: JobSpec, message: string): void {
    this.#warnings.say(message, job.name);
  }

  /** Put an entry's output files in place under the project root. */
  #restoreFiles(manifest: Manifest, blobs: BlobSource): Promise<number> {
    const root = this.#realRoot ??= Deno.realPathSync(this.#options.root);
    return restoreOutputs(root, manifest.outputs, blobs, this.#index, manifest.links);
  }

  #lastId(job: JobSpec): string {
    return `${nameFor(this.#options.taskId)}-${nameFor(job.name)}-${
      nameFor(job.name + "\n" + this.#options.taskId)
    }`;
  }
}
