/**
 * What the cache does with one job's entry, on the run's state (shared with
 * the cache runner, `runner.ts`): restore a hit (outputs, log, result), store
 * what a job that succeeded made (under its final key when it discovered
 * inputs), bring a worker's entry to this checkout, say why a job runs, and
 * remove what a stopped job half wrote.
 *
 * @module
 */

import type { EventSink } from "../events.ts";
import type { JobSpec, Settlement } from "../types.ts";
import type { CacheStatus } from "../types.ts";
import type { FetchedEntry } from "./backing.ts";
import type { Looked } from "./_prefetch.ts";
import { decodeValue, encodeValue, UnstorableError } from "./codec.ts";
import type { ParsedGlob } from "./glob.ts";
import { explain, type KeyParts } from "./key.ts";
import { restoreOutputs, saveOutputs } from "./outputs.ts";
import { UnsafeLinkError } from "./links.ts";
import type { RecentEntries } from "./recent.ts";
import type { StatIndex } from "./stat_index.ts";
import {
  CorruptEntryError,
  DamagedBlobError,
  damagedEntry,
  type LogLine,
  type Manifest,
} from "./entry.ts";
import { type BlobSource, packLogAndResult, unpackLogAndResult } from "./store.ts";
import type { Warnings } from "./_warnings.ts";
import type { JobKeys } from "./_job_keys.ts";
import { changedInputs } from "./_input_check.ts";
import type { AddedInputs } from "./_added_inputs.ts";
import { removePartialOutputs as removePartial } from "./_partial_outputs.ts";
import type { Discovery } from "./_discovered.ts";
import type { TwoLevel } from "./_two_level.ts";
import type { CacheMode, CachingRunnerOptions } from "./runner.ts";

/** A job's globs, checked once per run. */
export interface JobGlobs {
  inputs: ParsedGlob[];
  outputs: ParsedGlob[];
  options: string;
}

/** Hits (of which remote ones) and misses of a run, and the bytes it stored. */
export interface CacheCounts {
  hits: number;
  remoteHits: number;
  misses: number;
  stored: number;
  bytes: number;
}

/** The state of one run's cache, which the cache runner and these operations share. */
export interface CacheState {
  readonly options: CachingRunnerOptions;
  readonly mode: CacheMode;
  readonly index: StatIndex;
  readonly recent: RecentEntries;
  readonly globs: Map<string, JobGlobs>;
  /** Each job's key and key parts in this run. */
  readonly keys: JobKeys;
  /** The entry each job of the run has in the local store, and where it came from. */
  readonly entries: Map<string, { manifest: Manifest; origin: "local" | "stored" | "remote" }>;
  /**
   * Jobs not stored this run because an input changed while they ran, or
   * while a job they depend on ran (their keys would not say what they
   * saw), and what changed: `input in.txt`, `dependency "cp"`.
   */
  readonly raced: Map<string, string>;
  /**
   * Jobs not stored this run because what they discovered could not be
   * (a depfile missing or unreadable), and why: their dependents' keys would
   * not say what they saw either.
   */
  readonly unstored: Map<string, string>;
  /** Files that appeared under a job's input globs while it ran. */
  readonly added: AddedInputs;
  /** The run's discovered inputs, and the lookups through their records. */
  readonly discovery: Discovery;
  readonly twoLevel: TwoLevel;
  /** The remote artifact each job's record goes up as, this run (a distributed run waits for it). */
  readonly records: Map<string, Promise<string | undefined>>;
  /** The log lines of the jobs being stored. */
  readonly recording: Map<string, LogLine[]>;
  readonly warnings: Warnings;
  readonly counts: CacheCounts;
  /** With `--dry-run`: what the cache would do for each cached job. */
  readonly notes: Map<string, string>;
  /** The project root, its real path, once known. */
  realRoot: string | undefined;
  /** Where events go now. */
  emit(): EventSink;
  /** A job's stable id, to find its last entry from its next run. */
  lastId(job: JobSpec): string;
}

/**
 * Why a job runs, for --explain: what changed since the entry it
 * last used (restored or stored), else since the last one stored for it.
 *
 * @example Usage
 * ```ts ignore
 * const why = await reason(cache.state, job, parts); // "src/util.h changed (read by the job, from its depfile)"
 * ```
 */
export async function reason(s: CacheState, job: JobSpec, parts: KeyParts): Promise<string> {
  if (s.mode === "write-only") return "--force";
  const store = s.options.store;
  const partsOf = (key: string | undefined): KeyParts | undefined => {
    try {
      return key === undefined ? undefined : store.read(key)?.parts;
    } catch {
      return undefined;
    }
  };
  const before = partsOf(s.recent.lastUsed(job.name)) ??
    partsOf(store.lastKey(s.lastId(job)));
  const why = explain(before, parts);
  // The same declared inputs: what changed is a file the job discovered (or the entry is gone).
  if (before?.discovered !== undefined && why.startsWith("no cache entry (")) {
    const changed = await s.discovery.changed(before.discovered);
    if (changed !== undefined) {
      return `${changed} (read by the job, from ${
        job.cache?.depfile === undefined ? "ctx.discovered()" : "its depfile"
      })`;
    }
  }
  return why;
}

/**
 * Restore a hit; `undefined` when the entry turns out unusable. Announces the hit.
 *
 * @example Usage
 * ```ts ignore
 * const settlement = await restore(cache.state, job, manifest); // undefined: unusable, run the job
 * ```
 */
export async function restore(
  s: CacheState,
  job: JobSpec,
  manifest: Manifest,
  from: "hit" | "hit-remote" = "hit",
  fresh?: ReadonlyMap<string, Uint8Array>,
  signal?: AbortSignal,
): Promise<Settlement | undefined> {
  const blobs = s.options.store.blobsOf(manifest, fresh);
  let lines: LogLine[];
  let result: unknown;
  try {
    const unpacked = await unpackLogAndResult(blobs, manifest);
    lines = unpacked.lines;
    result = decodeValue(unpacked.result);
    await restoreFiles(s, manifest, blobs, signal);
  } catch (error) {
    if (signal?.aborted) return undefined; // the job was stopped: no warning, nothing is wrong
    if (error instanceof DamagedBlobError) await s.options.store.dropDamagedBlob(error.hash);
    const why = error instanceof DamagedBlobError
      ? damagedEntry(manifest, error).message
      : error instanceof CorruptEntryError || error instanceof SyntaxError
      ? (error as Error).message
      : `cache entry ${manifest.key.slice(0, 12)} cannot be restored (${(error as Error).message})`;
    s.warnings.say(`${why}: running the job`, job.name);
    return undefined;
  }
  announce(s, job, from, manifest.key);
  s.recent.use(manifest, from === "hit-remote");
  s.entries.set(job.name, { manifest, origin: from === "hit-remote" ? "remote" : "local" });
  const emit = s.emit();
  for (const [stream, line] of lines) {
    emit({ type: "job:log", time: Date.now(), job: job.name, line, stream, replayed: true });
  }
  s.counts.hits++;
  if (from === "hit-remote") s.counts.remoteHits++;
  return { status: "ok", result, attempts: 0, ignoredCancellation: false, cache: from };
}

/**
 * A job stopped before it ended (cancelled, timed out): remove
 * the files under its outputs it changed meanwhile (a half-written binary),
 * as make removes an interrupted target; one warning names them.
 *
 * @example Usage
 * ```ts ignore
 * removePartialOutputs(cache.state, job, startedAt); // after a timeout or a cancellation
 * ```
 */
export function removePartialOutputs(s: CacheState, job: JobSpec, startedAt: number): void {
  const globs = s.globs.get(job.name);
  if (globs === undefined || globs.outputs.length === 0) return;
  const others = [...s.globs].filter(([name]) => name !== job.name).map(([, g]) => g.outputs);
  const removed = removePartial(s.options.root, globs.outputs, startedAt, others);
  if (removed.length === 0) return;
  const more = removed.length > 3 ? ` and ${removed.length - 3} more` : "";
  s.warnings.say(
    `removed what it was writing when it was stopped: ${
      removed.slice(0, 3).join(", ")
    }${more} (a rerun makes ${removed.length === 1 ? "it" : "them"} again)`,
    job.name,
  );
}

/**
 * Store a job that succeeded; returns the cache status to report.
 *
 * @example Usage
 * ```ts ignore
 * const status = await save(cache.state, job, key, parts, settlement, durationMs, startedAt);
 * ```
 */
export async function save(
  s: CacheState,
  job: JobSpec,
  key: string,
  parts: KeyParts,
  settlement: Settlement,
  durationMs: number,
  startedAt: number,
  signal?: AbortSignal,
): Promise<CacheStatus> {
  const lines = s.recording.get(job.name) ?? [];
  s.recording.delete(job.name);
  if (settlement.status !== "ok") return "miss";
  const globs = s.globs.get(job.name)!;
  const changed = await changedInputs(
    s.options.root,
    parts.files,
    s.index,
    globs.outputs,
  );
  const added = changed.length > 0 ? [] : s.added.since(globs.inputs, parts.files, globs.outputs);
  if (changed.length > 0 || added.length > 0) {
    const [first, count, what] = changed.length > 0
      ? [changed[0], changed.length, "changed"]
      : [added[0], added.length, "appeared"];
    s.raced.set(job.name, `input ${first}`);
    s.keys.remember(job.name, null);
    const more = count > 1 ? ` (and ${count - 1} more)` : "";
    s.warnings.say(`not cached: input ${first}${more} ${what} while it ran`, job.name);
    return "miss";
  }
  // Its discovered inputs: the entry goes under their final key, its key for its dependents.
  const discovered = await s.discovery.collect(
    job,
    settlement,
    new Set(parts.files.map(([path]) => path)),
    globs.outputs,
    startedAt,
  );
  if (!discovered.ok) {
    if (discovered.raced !== undefined) s.raced.set(job.name, `input ${discovered.raced}`);
    else s.unstored.set(job.name, discovered.message);
    s.keys.remember(job.name, null);
    s.warnings.say(discovered.message, job.name);
    return "miss";
  }
  const primary = key;
  if (discovered.files.length > 0) {
    key = await s.discovery.finalKey(job.name, primary, discovered.files);
    parts = { ...parts, discovered: discovered.files };
    s.keys.remember(job.name, key);
  }
  let encoded: string;
  try {
    encoded = encodeValue(settlement.result);
  } catch (error) {
    if (!(error instanceof UnstorableError)) throw error;
    s.warnings.say(`not cached: ${error.message}`, job.name);
    return "miss";
  }
  const store = s.options.store;
  try {
    const { outputs, links, unmatched } = await saveOutputs(
      s.options.root,
      globs.outputs,
      store,
      signal,
    );
    for (const glob of unmatched) {
      s.warnings.say(
        `output glob "${glob}" matched no file after the job ran (stored as none)`,
        job.name,
      );
    }
    for (const output of [...outputs, ...links]) s.index.forget(output.path);
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
    store.write(manifest, s.lastId(job));
    s.recent.use(manifest, true);
    s.entries.set(job.name, { manifest, origin: "stored" });
    s.counts.stored++;
    s.counts.bytes += outputs.reduce((sum, output) => sum + output.size, 0) + 1024;
    s.options.remote?.stored(manifest);
    if (key !== primary) {
      s.records.set(job.name, s.twoLevel.stored(job, primary, discovered.files));
    }
  } catch (error) {
    if (signal?.aborted) return "miss"; // stopped while it was being stored: not stored
    if (error instanceof UnsafeLinkError) {
      s.warnings.say(`not cached: ${error.message}`, job.name);
    } else {
      s.warnings.once("write", `the cache could not be written: ${(error as Error).message}`);
    }
  }
  return "miss";
}

/**
 * A job a worker ran (a distributed run): its entry, which the
 * worker uploaded, is fetched and its outputs restored here, with no log
 * replayed (its lines came as it ran).
 *
 * @returns `undefined` once its outputs are here, else why they are not.
 *
 * @example Usage
 * ```ts ignore
 * const why = await adopt(cache.state, job, key, "w1"); // undefined: its outputs are here
 * ```
 */
export async function adopt(
  s: CacheState,
  job: JobSpec,
  key: string,
  worker: string,
): Promise<string | undefined> {
  const entry = await fetchRemote(s, job, key);
  if (entry === undefined) {
    const why = s.twoLevel.whyMissing(key) ?? s.options.remote?.whyMissing?.(key) ??
      "its entry could not be fetched from the remote cache";
    return `its outputs (it ran on ${worker}) could not be brought to this checkout: ${why}`;
  }
  const manifest = entry.manifest;
  try {
    await restoreFiles(s, manifest, s.options.store.blobsOf(manifest, entry.blobs));
  } catch (error) {
    return `its outputs (it ran on ${worker}) could not be brought to this checkout: ${
      (error as Error).message
    }`;
  }
  s.recording.delete(job.name);
  s.recent.use(manifest, true);
  s.entries.set(job.name, { manifest, origin: "remote" });
  // With discovered inputs, the worker stored it under its final key: its dependents' key.
  if (manifest.key !== key) s.keys.remember(job.name, manifest.key);
  return undefined;
}

/** Put an entry's output files in place under the project root. */
function restoreFiles(
  s: CacheState,
  manifest: Manifest,
  blobs: BlobSource,
  signal?: AbortSignal,
): Promise<number> {
  const root = s.realRoot ??= Deno.realPathSync(s.options.root);
  return restoreOutputs(root, manifest.outputs, blobs, s.index, manifest.links, signal);
}

/**
 * Report what a job's cache lookup found.
 *
 * @example Usage
 * ```ts ignore
 * announce(cache.state, job, "miss", key, "input src/a.c changed");
 * ```
 */
export function announce(
  s: CacheState,
  job: JobSpec,
  status: "hit" | "hit-remote" | "miss",
  key: string,
  reason?: string,
): void {
  if (s.mode === "dry") {
    s.notes.set(
      job.name,
      status === "hit"
        ? "cached"
        : status === "hit-remote"
        ? "cached, remote"
        : `runs: ${reason ?? "no cache entry"}`,
    );
    return;
  }
  s.emit()({
    type: "job:cache",
    time: Date.now(),
    job: job.name,
    status,
    key,
    ...(reason === undefined ? {} : { reason }),
  });
}

/**
 * The stored entry of a key, or `undefined` (a damaged one is reported).
 *
 * @example Usage
 * ```ts ignore
 * const manifest = lookup(cache.state, job, key);
 * ```
 */
export function lookup(s: CacheState, job: JobSpec, key: string): Manifest | undefined {
  try {
    return s.recent.read(key);
  } catch (error) {
    s.warnings.say(`${(error as Error).message}: running the job`, job.name);
    return undefined;
  }
}

/**
 * The local entry of a job's key, else of the final key of a set
 * of files it discovered (its primary key's record); `undefined` for none.
 *
 * @example Usage
 * ```ts ignore
 * const manifest = await find(cache.state, job, primaryKey); // its key, else a final key
 * ```
 */
export async function find(
  s: CacheState,
  job: JobSpec,
  key: string,
): Promise<Manifest | undefined> {
  return lookup(s, job, key) ??
    (await s.twoLevel.findLocal(job, key))?.found;
}

/**
 * On a local miss: the entry from the remote cache, now kept in
 * the local store; from the lookup made ahead, when it was for this key.
 *
 * @example Usage
 * ```ts ignore
 * const entry = await fetchRemote(cache.state, job, key); // kept in the local store
 * ```
 */
export async function fetchRemote(
  s: CacheState,
  job: JobSpec,
  key: string,
  ahead: Promise<Looked> | null = null,
): Promise<FetchedEntry | undefined> {
  const looked = await ahead;
  const entry =
    (looked?.key === key ? looked.entry : await s.options.remote?.fetch(key, job.name)) ??
      (await s.twoLevel.findRemote(job, key))?.found;
  if (entry === undefined) return undefined;
  try {
    s.options.store.keep(entry.manifest, entry.artifact, s.lastId(job));
  } catch (error) {
    s.warnings.once("write", `the cache could not be written: ${(error as Error).message}`);
    return undefined;
  }
  s.counts.bytes += entry.artifact.length;
  return entry;
}

/**
 * A dry run's local miss: whether the remote cache has the key (nothing is downloaded).
 *
 * @example Usage
 * ```ts ignore
 * const key = await remoteHas(cache.state, job, primaryKey); // a dry run asks without downloading
 * ```
 */
export async function remoteHas(
  s: CacheState,
  job: JobSpec,
  key: string,
): Promise<string | undefined> {
  if (await s.options.remote?.has?.(key, job.name)) return key;
  return await s.twoLevel.hasRemote(job, key);
}
