/**
 * The final report as JSON, written to a file (`--summary <file.json>`)
 * whatever the reporter: status, counts, each job's timings, status,
 * attempts and error, the critical path and the slowest jobs.
 *
 * The file may be a named pipe (`--summary >(jq .)`, or a FIFO something
 * reads): one that nothing reads is refused before the run, and the report
 * goes down it without blocking, so that a reader that stops reading leaves
 * signals working ({@linkcode SummaryFile.drain}).
 *
 * @module
 */

import { GatherError, toError } from "../errors.ts";
import type {
  ErrorInfo,
  GatherEvent,
  JobCounts,
  JobStatus,
  RunEndEvent,
  RunStatus,
  RunSummaryInfo,
  TimedJobInfo,
} from "../events.ts";
import { RunRecord } from "./record.ts";
import type { Reporter } from "./reporter.ts";

/** A named pipe open for writing, whose writes never block (`_pipe_writer.ts`). */
export interface PipeSink {
  /** Write all the bytes; `stop` gives up on a reader that does not read. */
  write(bytes: Uint8Array, stop?: AbortSignal): Promise<void>;
  /** Close the pipe. */
  close(): void;
}

/** One job in the {@linkcode RunReport}. */
export interface JobReport {
  /** The job's name. */
  name: string;
  /** The names of its dependencies. */
  deps: string[];
  /** How it ended. */
  status: JobStatus;
  /** When it started, ms after the run started; absent if it never started. */
  startMs?: number;
  /** When it ended, ms after the run started. */
  endMs?: number;
  /** Wall time from first start to end, 0 if it never started. */
  durationMs: number;
  /** Attempts made (0 if it never started). */
  attempts: number;
  /** Lines of output it wrote. */
  lines: number;
  /** Why it failed or was cancelled. */
  error?: ErrorInfo;
  /** Why it did not run (or was cancelled: a service it uses failed). */
  reason?: string;
  /** Where its full output is, if it wrote any and logs are on. */
  log?: string;
}

/** The final report of a run, as `--summary` writes it. */
export interface RunReport {
  /** How the run ended. */
  status: RunStatus;
  /** When the run started, ISO 8601. */
  startedAt: string;
  /** Wall time of the run. */
  durationMs: number;
  /** Jobs by how they ended. */
  counts: JobCounts;
  /** The first failure of the run. */
  firstFailure?: string;
  /** The chain of jobs that decided when the run ended, first to last. */
  criticalPath: TimedJobInfo[];
  /** The slowest jobs, slowest first. */
  slowest: TimedJobInfo[];
  /** Failed jobs, first failure first: the error message and where the full log is. */
  failures: RunSummaryInfo["failures"];
  /** Every job, dependencies first. */
  jobs: JobReport[];
}

/**
 * The closing summary of a recorded run, as data.
 *
 * @param record The run so far.
 * @param end The `run:end` event.
 * @param logPath Where a job's full log is.
 * @returns Critical path, slowest jobs and failures.
 *
 * @example Usage
 * ```ts
 * import { runSummaryInfo } from "./summary_file.ts";
 * import { RunRecord } from "./record.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const record = new RunRecord();
 * record.add({ type: "run:start", time: 0, jobs: [{ name: "a", deps: [] }], concurrency: 1 });
 * record.add({ type: "job:start", time: 0, job: "a", attempt: 1 });
 * record.add({ type: "job:end", time: 5, job: "a", status: "ok", started: true, durationMs: 5, attempt: 1, cache: "off" });
 * const counts = { total: 1, ok: 1, failed: 0, cancelled: 0, skipped: 0, cached: 0 };
 * const summary = { criticalPath: [{ name: "a", durationMs: 5 }], slowest: [], failures: [] };
 * const end = { type: "run:end", time: 5, status: "ok", counts, durationMs: 5, summary } as const;
 * assertEquals(runSummaryInfo(record, end).criticalPath, [{ name: "a", durationMs: 5 }]);
 * ```
 */
export function runSummaryInfo(
  record: RunRecord,
  end: RunEndEvent,
  logPath: (job: string) => string | undefined = () => undefined,
): RunSummaryInfo {
  const summary = record.summary(end);
  return {
    criticalPath: summary.criticalPath,
    slowest: summary.slowest,
    failures: summary.failures.map((job) => {
      const log = logPath(job.name);
      const message = job.error?.message ?? "failed";
      return log === undefined ? { name: job.name, message } : { name: job.name, message, log };
    }),
  };
}

/**
 * The full report of a recorded run.
 *
 * @param record The run.
 * @param end The `run:end` event.
 * @param logPath Where a job's full log is.
 * @returns The report.
 *
 * @example Usage
 * ```ts
 * import { runReport } from "./summary_file.ts";
 * import { RunRecord } from "./record.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const record = new RunRecord();
 * record.add({ type: "run:start", time: 100, jobs: [{ name: "a", deps: [] }], concurrency: 1 });
 * record.add({ type: "job:start", time: 110, job: "a", attempt: 1 });
 * record.add({ type: "job:end", time: 150, job: "a", status: "ok", started: true, durationMs: 40, attempt: 1, cache: "off" });
 * const counts = { total: 1, ok: 1, failed: 0, cancelled: 0, skipped: 0, cached: 0 };
 * const report = runReport(record, { type: "run:end", time: 150, status: "ok", counts, durationMs: 50 });
 * assertEquals(report.jobs[0]?.startMs, 10);
 * ```
 */
export function runReport(
  record: RunRecord,
  end: RunEndEvent,
  logPath: (job: string) => string | undefined = () => undefined,
): RunReport {
  const t0 = record.startTime;
  const jobs: JobReport[] = [];
  for (const job of record.jobs) {
    const entry: JobReport = {
      name: job.name,
      deps: job.deps,
      status: job.status ?? "cancelled",
      durationMs: job.durationMs,
      attempts: job.attempts,
      lines: job.lines,
    };
    if (job.start !== undefined) entry.startMs = job.start - t0;
    if (job.end !== undefined && job.start !== undefined) entry.endMs = job.end - t0;
    if (job.error) entry.error = job.error;
    if (job.reason) entry.reason = job.reason;
    const log = logPath(job.name);
    if (log !== undefined) entry.log = log;
    jobs.push(entry);
  }
  const report: RunReport = {
    status: end.status,
    startedAt: new Date(t0).toISOString(),
    durationMs: end.durationMs,
    counts: end.counts,
    ...(end.firstFailure === undefined ? {} : { firstFailure: end.firstFailure }),
    ...runSummaryInfo(record, end, logPath),
    jobs,
  };
  return report;
}

/** Options of {@linkcode SummaryFile}. */
export interface SummaryFileOptions {
  /** Where a job's full log is. @default {() => undefined} */
  logPath?: (job: string) => string | undefined;
  /** Told when the report cannot be written (a full disk): the run is not failed for it. @default {nothing} */
  onError?: (error: Error) => void;
  /**
   * Overwrite a file that is not a previous summary (`--force-summary`). Otherwise
   * such a file (a task file, say) is refused before the run. @default {false}
   */
  overwrite?: boolean;
  /**
   * Open a named pipe for writing without blocking, throwing when nothing
   * reads it (`PipeWriter.open`, which `reporterFor` loads only for a pipe).
   * Without it, a named pipe is refused: opening it could block for good.
   * @default {none}
   */
  openPipe?: (path: string) => PipeSink;
}

/**
 * Writes the {@linkcode RunReport} to a file when the run ends. The file is
 * created (or emptied) at once, so a path that cannot be written is reported
 * before any job starts; a named pipe is opened at once too, and refused
 * when nothing reads it.
 *
 * @example Usage
 * ```ts
 * import { SummaryFile } from "./summary_file.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * const file = new SummaryFile(path);
 * file.handle({ type: "run:start", time: 0, jobs: [], concurrency: 1 });
 * const counts = { total: 0, ok: 0, failed: 0, cancelled: 0, skipped: 0, cached: 0 };
 * file.handle({ type: "run:end", time: 1, status: "ok", counts, durationMs: 1 });
 * file.close();
 * assertEquals(JSON.parse(await Deno.readTextFile(path)).status, "ok");
 * await Deno.remove(path);
 * ```
 */
export class SummaryFile implements Reporter {
  #path: string;
  #file: Deno.FsFile | undefined;
  #pipe: PipeSink | undefined;
  /** The report going down the pipe. */
  #sending: Promise<void> | undefined;
  #stopSending = new AbortController();
  #record = new RunRecord();
  #logPath: (job: string) => string | undefined;
  #onError: ((error: Error) => void) | undefined;

  /**
   * Create (or empty) the file.
   *
   * @param path Where the report goes.
   * @param options Where the jobs' logs are.
   * @throws {GatherError} `BAD_OPTION` when the file cannot be created.
   */
  constructor(path: string, options: SummaryFileOptions = {}) {
    this.#path = path;
    this.#logPath = options.logPath ?? (() => undefined);
    this.#onError = options.onError;
    if (!options.overwrite) refuseToClobber(path);
    try {
      if (isPipe(path)) this.#pipe = openPipe(path, options.openPipe);
      else this.#file = Deno.openSync(path, { write: true, create: true, truncate: true });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new GatherError("BAD_OPTION", `Cannot write the summary to "${path}": ${why}`, {
        cause: error,
      });
    }
  }

  /**
   * Take in one event; on `run:end`, write the report.
   *
   * @param event The event.
   */
  handle(event: GatherEvent): void {
    this.#record.add(event);
    if (event.type !== "run:end" || (!this.#file && !this.#pipe)) return;
    const text = JSON.stringify(runReport(this.#record, event, this.#logPath), null, 2) + "\n";
    const bytes = new TextEncoder().encode(text);
    if (this.#pipe) {
      this.#sending = this.#send(this.#pipe, bytes);
      return;
    }
    if (!this.#file) return;
    try {
      for (let at = 0; at < bytes.length;) at += this.#file.writeSync(bytes.subarray(at));
    } catch (error) {
      // Not half a report: an empty file, and the listener says why.
      try {
        this.#file.truncateSync(0);
      } catch {
        // a device such as /dev/full cannot be truncated
      }
      this.#onError?.(toError(error));
    } finally {
      this.close();
    }
  }

  /**
   * Wait until the report has gone down the pipe (at once for a file).
   *
   * @param stop Aborting it gives up on a reader that does not read: the
   * report is not written, and the `onError` listener says how much was.
   * @returns When the report is written, or given up on.
   */
  async drain(stop?: AbortSignal): Promise<void> {
    if (this.#sending === undefined) return;
    const giveUp = () => this.#stopSending.abort(stop?.reason);
    if (stop?.aborted) giveUp();
    stop?.addEventListener("abort", giveUp, { once: true });
    try {
      await this.#sending;
    } finally {
      stop?.removeEventListener("abort", giveUp);
    }
  }

  /** Close the file; a pipe the report is still going down closes once it has gone. */
  close(): void {
    const file = this.#file;
    this.#file = undefined;
    if (this.#sending === undefined) {
      const pipe = this.#pipe;
      this.#pipe = undefined;
      this.#closeQuietly(() => pipe?.close());
    }
    this.#closeQuietly(() => file?.close());
  }

  async #send(pipe: PipeSink, bytes: Uint8Array): Promise<void> {
    try {
      await pipe.write(bytes, this.#stopSending.signal);
    } catch (error) {
      this.#onError?.(toError(error));
    } finally {
      this.#pipe = undefined;
      this.#closeQuietly(() => pipe.close());
    }
  }

  #closeQuietly(close: () => void): void {
    try {
      close();
    } catch (error) {
      this.#onError?.(toError(error));
    }
  }

  /** The path of the report. */
  get path(): string {
    return this.#path;
  }
}

/** Whether a path is a named pipe (or `/dev/fd/N` of a pipe), following links. */
function isPipe(path: string): boolean {
  try {
    return Deno.statSync(path).isFifo === true;
  } catch {
    return false;
  }
}

/** Open a named pipe without blocking; one that nothing reads is refused, with what to do. */
function openPipe(path: string, open: ((path: string) => PipeSink) | undefined): PipeSink {
  if (open === undefined) {
    throw new Error("it is a named pipe, and this writer cannot open one without blocking");
  }
  try {
    return open(path);
  } catch (error) {
    if (!(error instanceof Error) || error.name !== "NoReaderError") throw error;
    throw new Error(
      `it is a named pipe (FIFO) and nothing is reading it; start its reader first (e.g. jq . < ${path} &), or give a file`,
      { cause: error },
    );
  }
}

/** How a summary written by gather begins (its first key is `status`). */
const SUMMARY_START = /^\{\s*"status"\s*:\s*"(ok|failed|cancelled)"/;

/**
 * Refuse to empty a file that holds something else than a previous summary:
 * `--summary tasks.ts` must not destroy the task file. Empty files, devices
 * and paths that do not exist yet are fine.
 */
function refuseToClobber(path: string): void {
  let start: string;
  try {
    if (!Deno.statSync(path).isFile) return;
    const file = Deno.openSync(path, { read: true });
    try {
      const bytes = new Uint8Array(64);
      const read = file.readSync(bytes) ?? 0;
      start = new TextDecoder().decode(bytes.subarray(0, read));
    } finally {
      file.close();
    }
  } catch {
    return; // missing or unreadable: opening it for writing says what is wrong
  }
  if (start === "" || SUMMARY_START.test(start)) return;
  throw new GatherError(
    "BAD_OPTION",
    `Cannot write the summary to "${path}": it exists and is not a gather summary; choose another path, or pass --force-summary to overwrite it`,
  );
}
