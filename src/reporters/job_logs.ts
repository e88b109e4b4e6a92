/**
 * Per-job log files: each job's full output, written to
 * `<dir>/<run>/<job>.log` so the summary can say where it is, and a failed
 * job's error when it is too long for the reporters to print whole. Only
 * jobs that wrote something (or failed so) get a file; a job's lines are buffered in memory and
 * written when it ends, or streamed to its open file once they pass 64 KiB.
 * A run without output costs a map lookup per event and touches no disk.
 *
 * The newest runs' folders are kept, and never one that a live run is still
 * writing: each run holds an exclusive lock on the `.lock` file in its
 * folder while it lasts (released by the system even if gather is killed),
 * and pruning skips a folder whose lock is held. A folder that cannot be
 * written stops the logs for the rest of the run, with one warning.
 *
 * Nothing already in place is ever opened: a run's files are created afresh
 * in its own new folder, and an old run's `.lock` is opened only when it is
 * a file (opening a named pipe would block gather for good, deaf to
 * signals).
 *
 * @module
 */

import { toError } from "../errors.ts";
import type { GatherEvent } from "../events.ts";
import type { Reporter } from "./reporter.ts";
import { failureText } from "./_failure.ts";

/** Options of {@linkcode JobLogs}. */
export interface JobLogsOptions {
  /** How many runs' log folders to keep; older ones are removed. @default {10} */
  keepRuns?: number;
  /** Buffered bytes (UTF-16 units) per job before its file is opened and written. @default {65536} */
  bufferSize?: number;
  /** Told once when logs cannot be written (the rest of the run writes none). @default {nothing} */
  onError?: (error: Error) => void;
  /** Called with the logs folder just before the run's folder in it is first created. */
  beforeCreate?: (dir: string) => void;
}

/** The lock file a live run holds in its folder. */
const LOCK = ".lock";

interface JobLog {
  path: string;
  parts: string[];
  size: number;
  file?: Deno.FsFile;
}

const encoder = new TextEncoder();

/**
 * Writes each job's output to its own log file.
 *
 * @example Usage
 * ```ts
 * import { JobLogs } from "./job_logs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * const logs = new JobLogs(dir);
 * logs.handle({ type: "run:start", time: 0, jobs: [{ name: "a", deps: [] }], concurrency: 1 });
 * logs.handle({ type: "job:log", time: 1, job: "a", line: "hello", stream: "log" });
 * logs.handle({ type: "job:end", time: 2, job: "a", status: "ok", started: true, durationMs: 1, attempt: 1, cache: "off" });
 * logs.close();
 * assertEquals(Deno.readTextFileSync(logs.pathOf("a")!), "hello\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JobLogs implements Reporter {
  #root: string;
  #keepRuns: number;
  #bufferSize: number;
  #beforeCreate: ((dir: string) => void) | undefined;
  #runName = "run";
  #runDir: string | undefined;
  #logs = new Map<string, JobLog>();
  #paths = new Map<string, string>();
  #usedNames = new Set<string>();
  #broken = false;
  #lock: Deno.FsFile | undefined;
  #onError: ((error: Error) => void) | undefined;

  /**
   * Construct the writer. Nothing is created until a job writes a line.
   *
   * @param dir The folder that holds one folder per run, e.g. `.gather/logs`.
   * @param options How many runs to keep and how much to buffer.
   */
  constructor(dir: string, options: JobLogsOptions = {}) {
    this.#root = dir.replace(/\/+$/, "") || ".";
    this.#keepRuns = options.keepRuns ?? 10;
    this.#bufferSize = options.bufferSize ?? 64 * 1024;
    this.#onError = options.onError;
    this.#beforeCreate = options.beforeCreate;
  }

  /**
   * Where a job's log is (or will be, once the job ends).
   *
   * @param job The job's name.
   * @returns The path, or `undefined` if the job wrote nothing or logs could not be written.
   */
  pathOf(job: string): string | undefined {
    return this.#broken ? undefined : this.#paths.get(job);
  }

  /**
   * Take in one event.
   *
   * @param event The event.
   */
  handle(event: GatherEvent): void {
    if (this.#broken) return;
    switch (event.type) {
      case "run:start":
        this.#runName = `${new Date(event.time).toISOString().replaceAll(":", "-")}-${Deno.pid}`;
        break;
      case "job:log":
        this.#add(event.job, event.line);
        break;
      case "job:retry":
        if (this.#logs.has(event.job)) {
          this.#add(event.job, `--- attempt ${event.attempt} failed: ${event.error.message}`);
        }
        break;
      case "job:end":
        // An error too long for the reporters to print whole is kept here whole: they point here.
        if (event.status === "failed" && failureText(event.error, true).note !== undefined) {
          this.#add(event.job, `--- failed: ${event.error?.message}`);
        }
        this.#finish(event.job);
        break;
      case "run:end":
        for (const job of [...this.#logs.keys()]) this.#finish(job);
        break;
      case "job:start":
      case "job:progress":
      case "job:partial":
      case "job:queued":
      case "job:worker":
      case "job:cache":
      case "warning":
      case "cache:upload":
      case "run:cancel":
      case "diagnostic":
      case "job:ready":
      case "watch:change":
      case "watch:wait":
        break;
      default: {
        const never: never = event;
        throw new TypeError(`Unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Write and close every log still open, and release the run's folder. */
  close(): void {
    const open = this.#broken ? [] : [...this.#logs.keys()];
    for (const job of open) this.#finish(job);
    this.#unlock();
  }

  #add(job: string, line: string): void {
    let log = this.#logs.get(job);
    if (!log) {
      log = { path: this.#pathFor(job), parts: [], size: 0 };
      this.#logs.set(job, log);
    }
    log.parts.push(line, "\n");
    log.size += line.length + 1;
    if (log.size >= this.#bufferSize) this.#try(() => this.#spill(log));
  }

  #spill(log: JobLog): void {
    log.file ??= Deno.openSync(this.#ensureDir(log.path), { write: true, createNew: true });
    writeAll(log.file, encoder.encode(log.parts.join("")));
    log.parts = [];
    log.size = 0;
  }

  #finish(job: string): void {
    const log = this.#logs.get(job);
    if (!log) return;
    this.#logs.delete(job);
    this.#try(() => {
      if (log.file) {
        try {
          writeAll(log.file, encoder.encode(log.parts.join("")));
        } finally {
          log.file.close();
        }
      } else {
        Deno.writeTextFileSync(this.#ensureDir(log.path), log.parts.join(""), { createNew: true });
      }
    });
  }

  #pathFor(job: string): string {
    const base = job.replace(/[^\w.-]+/g, "_").replace(/^\.+/, "_").slice(0, 100) || "_";
    let name = base;
    for (let n = 2; this.#usedNames.has(name); n++) name = `${base}-${n}`;
    this.#usedNames.add(name);
    const path = `${this.#root}/${this.#runName}/${name}.log`;
    this.#paths.set(job, path);
    return path;
  }

  /** Create this run's folder on first use, lock it, prune old runs; returns `path`. */
  #ensureDir(path: string): string {
    if (this.#runDir === undefined) {
      this.#beforeCreate?.(this.#root);
      const dir = `${this.#root}/${this.#runName}`;
      Deno.mkdirSync(dir, { recursive: true });
      this.#runDir = dir;
      this.#lock = lockFolder(dir);
      this.#prune();
    }
    return path;
  }

  #prune(): void {
    try {
      const runs = [...Deno.readDirSync(this.#root)]
        .filter((entry) => entry.isDirectory && /^\d{4}-\d\d-\d\dT/.test(entry.name))
        .map((entry) => entry.name)
        .sort();
      for (const name of runs.slice(0, Math.max(0, runs.length - this.#keepRuns))) {
        if (name === this.#runName || isLive(`${this.#root}/${name}`)) continue;
        try {
          Deno.removeSync(`${this.#root}/${name}`, { recursive: true });
        } catch {
          // another run may be pruning it too
        }
      }
    } catch {
      // old logs are not worth failing over
    }
  }

  #unlock(): void {
    const lock = this.#lock;
    if (lock === undefined) return;
    this.#lock = undefined;
    try {
      Deno.removeSync(`${this.#runDir}/${LOCK}`);
    } catch {
      // the folder went away, or cannot be written: the lock goes with the process anyway
    }
    lock.close(); // releases the lock
  }

  #try(write: () => void): void {
    try {
      write();
    } catch (error) {
      // A read-only or full disk: stop writing logs rather than fail the run, and say so once.
      this.#broken = true;
      for (const log of this.#logs.values()) {
        try {
          log.file?.close();
        } catch {
          // closing is all that is left to do
        }
      }
      this.#logs.clear();
      this.#onError?.(toError(error));
    }
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}

/** Hold the lock of this run's new folder while the run lasts; `undefined` if it cannot be had. */
function lockFolder(dir: string): Deno.FsFile | undefined {
  let lock: Deno.FsFile;
  try {
    lock = Deno.openSync(`${dir}/${LOCK}`, { write: true, createNew: true });
  } catch {
    return undefined; // something is in its place: the folder goes unlocked, the logs are written
  }
  if (lock.tryLockSync(true)) return lock;
  lock.close();
  return undefined;
}

/**
 * Whether a live run holds the lock of a run folder (one without a lock file
 * is an old run's). A `.lock` that is not a file (a named pipe, which an open
 * would block on) is no run's lock, and its folder is kept: it is not
 * gather's to remove.
 */
function isLive(dir: string): boolean {
  let lock: Deno.FsFile;
  try {
    if (!Deno.statSync(`${dir}/${LOCK}`).isFile) return true;
    lock = Deno.openSync(`${dir}/${LOCK}`, { read: true });
  } catch {
    return false;
  }
  try {
    return !lock.tryLockSync(true);
  } catch {
    return true; // cannot tell: keep it
  } finally {
    lock.close();
  }
}
