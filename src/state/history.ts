/**
 * Job durations remembered between runs, so the critical path can be
 * weighted by how long each job really takes: kept in
 * `.gather/history.json` (per task file), blended so one odd run does not
 * undo the others. Jobs under a millisecond are not stored: their weight is
 * negligible either way, and a run of 100,000 no-op jobs keeps the file small.
 *
 * The file is gather's own cache, never worth failing a run over: whatever
 * is in its place (wrong types at any level, truncated or binary text, a
 * folder, a file that cannot be read) is read as far as it makes sense and
 * rewritten whole by the next run. Something that is not a file at all (a
 * named pipe, a device, a socket) is never opened, since reading it could
 * block gather for good: the history is off for the run, with one warning. It does not grow without bound: it keeps
 * the {@linkcode KEEP_FILES} task files run most recently, and forgets a job
 * after {@linkcode FORGET_AFTER_RUNS} runs of its task file without it.
 *
 * @module
 */

import { dirname } from "../deps/path.ts";
import { oddKind, readTextFileOnly } from "../file_kind.ts";
import { ignoreStateFolder } from "./state_folder.ts";

/** How many task files the history keeps, the ones run most recently. */
export const KEEP_FILES = 50;
/** A job missing from this many runs of its task file in a row is forgotten (renamed, removed). */
export const FORGET_AFTER_RUNS = 20;

interface Entry {
  /** Smoothed duration in ms. */
  ms: number;
  /** Runs seen. */
  runs: number;
  /** The task file's run count when the job last ran. */
  seen: number;
}

interface FileHistory {
  /** When the task file last ran, ms since the epoch. */
  lastRun: number;
  /** How many of its runs were saved. */
  runs: number;
  /** Its jobs. */
  jobs: Map<string, Entry>;
}

/** How much a new duration counts against the remembered one. */
const BLEND = 0.7;
/** Durations below this are not remembered; jobs missing from a known file weigh this much. */
const QUICK_MS = 1;
const VERSION = 2;

/**
 * The history of one task file: read once, weights for the graph, and the
 * run's durations written back.
 *
 * @example Usage
 * ```ts
 * import { History } from "./history.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const path = `${await Deno.makeTempDir()}/history.json`;
 * const first = History.load(path, "file:///tasks.ts");
 * await first.save(new Map([["build", 800], ["test", 200], ["noop", 0.1]]));
 * const second = History.load(path, "file:///tasks.ts");
 * const weights = second.weights(["build", "test", "noop"]);
 * assertEquals(weights.get("build"), 800);
 * assertEquals(weights.get("noop"), 1);
 * ```
 */
export class History {
  #path: string;
  #key: string;
  #files: Map<string, FileHistory>;
  #repair: boolean;
  #off: string | undefined;

  private constructor(
    path: string,
    key: string,
    files: Map<string, FileHistory>,
    repair: boolean,
    off?: string,
  ) {
    this.#path = path;
    this.#key = key;
    this.#files = files;
    this.#repair = repair;
    this.#off = off;
  }

  /**
   * Read the history file. A missing one counts as empty; one that cannot be
   * read or makes no sense counts as empty, or keeps what makes sense, and
   * is rewritten by the next `save()`. Read once, at start-up, synchronously,
   * so that planning a run (and `run()`'s validation) stays synchronous.
   * A named pipe, a device or a socket in its place is not opened (a read
   * could block for good): the history is off, {@linkcode History.warning}
   * says why, and `save()` writes nothing.
   *
   * @param path The history file.
   * @param key The task file, as an absolute URL.
   * @returns The history of that task file.
   */
  static load(path: string, key: string): History {
    let text: string;
    try {
      const kind = oddKind(Deno.statSync(path));
      if (kind !== undefined) {
        const why =
          `"${path}" is ${kind}, not a file: the history of job durations is off for this run; remove it to turn the history back on`;
        return new History(path, key, new Map(), false, why);
      }
      text = readTextFileOnly(path);
    } catch (error) {
      // missing: a first run; anything else (a folder, no permission): start afresh, repair it
      return new History(path, key, new Map(), !(error instanceof Deno.errors.NotFound));
    }
    const { files, clean } = parseHistory(text);
    return new History(path, key, files, !clean);
  }

  /**
   * Why the history is off for this run (something that is not a file in its
   * place), in one line; `undefined` when it is on.
   */
  get warning(): string | undefined {
    return this.#off;
  }

  /**
   * Expected durations of the given jobs, for weighting the critical path.
   * Once a task file has a history, its jobs missing from it were quick (or
   * are new) and weigh {@linkcode QUICK_MS}.
   *
   * @param jobs The jobs to weigh.
   * @returns Each job's weight in ms; empty when the task file never ran.
   */
  weights(jobs: readonly string[]): Map<string, number> {
    const known = this.#files.get(this.#key);
    const weights = new Map<string, number>();
    if (known === undefined) return weights;
    for (const job of jobs) weights.set(job, known.jobs.get(job)?.ms ?? QUICK_MS);
    return weights;
  }

  /**
   * Remember how long the run's jobs took, forget what is stale, and write
   * the file (atomically: a concurrent reader sees the old file or the new).
   *
   * @param durations Each finished job's duration in ms.
   * @throws When the file cannot be written; the caller decides whether it matters.
   */
  async save(durations: ReadonlyMap<string, number>): Promise<void> {
    if (this.#off !== undefined || (durations.size === 0 && !this.#repair)) return;
    let file = this.#files.get(this.#key);
    // A task file seen for the first time is written even if all its jobs were quick,
    // so the next run knows it has a history (and weighs unlisted jobs as quick).
    let changed = this.#repair || file === undefined;
    file ??= { lastRun: 0, runs: 0, jobs: new Map() };
    if (durations.size > 0) {
      this.#files.delete(this.#key); // re-inserted last: the most recently run
      this.#files.set(this.#key, file);
      file.lastRun = Date.now();
      file.runs++;
      changed = true;
    }
    for (const [job, ms] of durations) {
      const old = file.jobs.get(job);
      if (!(ms >= QUICK_MS)) {
        file.jobs.delete(job);
        continue;
      }
      file.jobs.set(
        job,
        old === undefined
          ? { ms, runs: 1, seen: file.runs }
          : { ms: BLEND * ms + (1 - BLEND) * old.ms, runs: old.runs + 1, seen: file.runs },
      );
    }
    for (const [job, entry] of file.jobs) {
      if (file.runs - entry.seen >= FORGET_AFTER_RUNS) file.jobs.delete(job);
    }
    if (!changed) return;
    for (const key of [...this.#files.keys()].slice(0, -KEEP_FILES)) this.#files.delete(key);
    await this.#write(serialize(this.#files));
    this.#repair = false;
  }

  async #write(text: string): Promise<void> {
    const path = this.#path;
    ignoreStateFolder(path);
    await Deno.mkdir(dirname(path), { recursive: true });
    // A name nobody can guess, created afresh: never an open of something already there (a
    // named pipe would block the write until something reads it).
    const temporary = `${path}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      await Deno.writeTextFile(temporary, text, { createNew: true });
      try {
        await Deno.rename(temporary, path);
      } catch (error) {
        // An empty folder in its place is cleared; anything else in the way is left alone.
        const info = await Deno.lstat(path).catch(() => undefined);
        if (!info?.isDirectory) throw error;
        await Deno.remove(path);
        await Deno.rename(temporary, path);
      }
    } finally {
      await Deno.remove(temporary).catch(() => {});
    }
  }
}

/** What a history file's text holds, as far as it makes sense; `clean` if all of it did. */
function parseHistory(text: string): { files: Map<string, FileHistory>; clean: boolean } {
  const files = new Map<string, FileHistory>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { files, clean: false };
  }
  if (!isRecord(parsed) || !isRecord(parsed["files"])) return { files, clean: false };
  // Version 1 kept each task file's jobs alone: read them as never run, and rewrite the file.
  const v1 = parsed["version"] === 1;
  if (!v1 && parsed["version"] !== VERSION) return { files, clean: false };
  let clean = !v1;
  const byAge = Object.entries(parsed["files"]).map(([key, value]) => {
    const file = parseFile(v1 ? { lastRun: 0, runs: 0, jobs: value, v1 } : value);
    if (file === undefined || file.dropped) clean = false;
    return { key, file };
  }).filter((item): item is { key: string; file: FileHistory & { dropped: boolean } } =>
    item.file !== undefined
  ).sort((a, b) => a.file.lastRun - b.file.lastRun);
  for (const { key, file } of byAge) {
    files.set(key, { lastRun: file.lastRun, runs: file.runs, jobs: file.jobs });
  }
  return { files, clean };
}

function parseFile(value: unknown): (FileHistory & { dropped: boolean }) | undefined {
  if (!isRecord(value) || !isRecord(value["jobs"])) return undefined;
  const { lastRun, runs } = value;
  if (!isCount(runs) || typeof lastRun !== "number" || !Number.isFinite(lastRun)) return undefined;
  const jobs = new Map<string, Entry>();
  let dropped = false;
  for (const [job, entry] of Object.entries(value["jobs"])) {
    if (!isRecord(entry)) {
      dropped = true;
      continue;
    }
    const seen = value["v1"] === true ? 0 : entry["seen"];
    if (
      typeof entry["ms"] === "number" && Number.isFinite(entry["ms"]) &&
      entry["ms"] >= QUICK_MS && isCount(entry["runs"]) && entry["runs"] >= 1 && isCount(seen) &&
      seen <= runs
    ) {
      jobs.set(job, { ms: entry["ms"], runs: entry["runs"], seen });
    } else {
      dropped = true;
    }
  }
  return { lastRun, runs, jobs, dropped };
}

function serialize(files: ReadonlyMap<string, FileHistory>): string {
  // Object.fromEntries makes own properties, even of a job named "__proto__".
  const out = Object.fromEntries(
    [...files].map(([key, file]) => [
      key,
      { lastRun: file.lastRun, runs: file.runs, jobs: Object.fromEntries(file.jobs) },
    ]),
  );
  return JSON.stringify({ version: VERSION, files: out });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
