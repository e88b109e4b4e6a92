/**
 * Per-job log files: each job's full output, written to
 * `<dir>/<run>/<job>.log` so the summary can say where it is. Only jobs that
 * wrote something get a file; a job's lines are buffered in memory and
 * written when it ends, or streamed to its open file once they pass 64 KiB.
 * A run without output costs a map lookup per event and touches no disk.
 *
 * @module
 */

import type { GatherEvent } from "../events.ts";
import type { Reporter } from "./reporter.ts";

/** Options of {@linkcode JobLogs}. */
export interface JobLogsOptions {
  /** How many runs' log folders to keep; older ones are removed. @default {10} */
  keepRuns?: number;
  /** Buffered bytes (UTF-16 units) per job before its file is opened and written. @default {65536} */
  bufferSize?: number;
}

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
  #runName = "run";
  #runDir: string | undefined;
  #logs = new Map<string, JobLog>();
  #paths = new Map<string, string>();
  #usedNames = new Set<string>();
  #broken = false;

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
        this.#finish(event.job);
        break;
      case "run:end":
        for (const job of [...this.#logs.keys()]) this.#finish(job);
        break;
      case "job:start":
      case "job:progress":
      case "job:worker":
      case "job:cache":
      case "warning":
      case "cache:upload":
      case "run:cancel":
      case "diagnostic":
        break;
      default: {
        const never: never = event;
        throw new TypeError(`Unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Write and close every log still open. */
  close(): void {
    if (this.#broken) return;
    for (const job of [...this.#logs.keys()]) this.#finish(job);
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
    log.file ??= Deno.openSync(this.#ensureDir(log.path), {
      write: true,
      create: true,
      truncate: true,
    });
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
        Deno.writeTextFileSync(this.#ensureDir(log.path), log.parts.join(""));
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

  /** Create this run's folder on first use, pruning old runs; returns `path`. */
  #ensureDir(path: string): string {
    if (this.#runDir === undefined) {
      Deno.mkdirSync(`${this.#root}/${this.#runName}`, { recursive: true });
      this.#runDir = `${this.#root}/${this.#runName}`;
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
        if (name === this.#runName) continue;
        Deno.removeSync(`${this.#root}/${name}`, { recursive: true });
      }
    } catch {
      // another run may be pruning too; old logs are not worth failing over
    }
  }

  #try(write: () => void): void {
    try {
      write();
    } catch {
      // A read-only or full disk: stop writing logs rather than fail the run.
      this.#broken = true;
      for (const log of this.#logs.values()) log.file?.close();
      this.#logs.clear();
    }
  }
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
}
