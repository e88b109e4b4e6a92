/**
 * What reporters remember of a run, built from events alone: per-job times,
 * an excerpt of each job's output (its first and last lines), failures, and
 * at the end the summary.
 *
 * @module
 */

import type {
  CacheStatus,
  DiagnosticEvent,
  ErrorInfo,
  GatherEvent,
  JobCounts,
  JobStatus,
  RunEndEvent,
  RunStatus,
  WarningEvent,
} from "../events.ts";
import { LineExcerpt } from "./_excerpt.ts";

/** The deps of a job the record only heard of late. */
const NO_DEPS: string[] = Object.freeze([]) as unknown as string[];

/** One job as recorded. */
export interface JobRecord {
  /** The job's name. */
  name: string;
  /** The names of its dependencies. */
  deps: string[];
  /** Its status once it ended. */
  status?: JobStatus;
  /** Start time, ms since the epoch (in a distributed run, when a worker claimed it after its wait in the queue). */
  start?: number;
  /** End time, ms since the epoch. */
  end?: number;
  /** Duration as reported by `job:end`. */
  durationMs: number;
  /** Attempts made, as reported by `job:end` (0 until then). */
  attempts: number;
  /** Its first and last lines, once it wrote any (and the record keeps lines). */
  output?: LineExcerpt;
  /** How many lines it wrote. */
  lines: number;
  /** Why it failed or was cancelled. */
  error?: ErrorInfo;
  /** Why it was skipped (or cancelled: a service it uses failed). */
  reason?: string;
  /** What the cache did, once it ended. */
  cache?: CacheStatus;
  /** Whether it kept running past its grace period after cancellation. */
  ignoredCancellation?: boolean;
  /** For a service that became ready: how long that took, in ms. */
  readyMs?: number;
  /** For a service watch mode kept running from an earlier run: it did not start again. */
  kept?: boolean;
}

/** A job and how long it took. */
export interface TimedJob {
  /** The job's name. */
  name: string;
  /** Its duration in ms. */
  durationMs: number;
}

/** The end-of-run summary every reporter prints. */
export interface Summary {
  /** How the run ended. */
  status: RunStatus;
  /** Jobs by how they ended. */
  counts: JobCounts;
  /** Wall time of the run. */
  durationMs: number;
  /** The chain of jobs that decided when the run ended, first to last. */
  criticalPath: TimedJob[];
  /** The slowest jobs, slowest first. */
  slowest: TimedJob[];
  /** Failed jobs, first failure first. */
  failures: JobRecord[];
  /** Jobs that kept running past their grace period after cancellation. */
  ignoredCancellation: string[];
  /** Every diagnostic of the run, in order. */
  diagnostics: DiagnosticEvent[];
  /** Jobs that finished successfully. */
  finished: string[];
  /** Jobs cancelled while running. */
  cancelled: string[];
  /** Jobs that never ran because the run stopped: not started, or waiting for a worker (no attempt made). */
  notStarted: string[];
}

/** Options of {@linkcode RunRecord}. */
export interface RunRecordOptions {
  /** How many of each job's first lines to keep. @default {0} */
  headLines?: number;
  /** How many of each job's last lines to keep, after the first ones. @default {0} */
  tailLines?: number;
}

/**
 * Records a run from its events.
 *
 * @example Usage
 * ```ts
 * import { RunRecord } from "./record.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const record = new RunRecord();
 * record.add({ type: "run:start", time: 0, jobs: [{ name: "a", deps: [] }], concurrency: 1 });
 * record.add({ type: "job:start", time: 0, job: "a", attempt: 1 });
 * record.add({ type: "job:end", time: 5, job: "a", status: "ok", started: true, durationMs: 5, attempt: 1, cache: "off" });
 * assertEquals(record.job("a")?.status, "ok");
 * ```
 */
export class RunRecord {
  #headLines: number;
  #tailLines: number;
  #jobs = new Map<string, JobRecord>();
  #failures: JobRecord[] = [];
  #diagnostics: DiagnosticEvent[] = [];
  #warnings: WarningEvent[] = [];
  #running = new Set<string>();
  #queued = new Set<string>();
  #done = 0;
  #start = 0;

  /**
   * Construct a record.
   *
   * @param options How much output to keep.
   */
  constructor(options: RunRecordOptions = {}) {
    this.#headLines = options.headLines ?? 0;
    this.#tailLines = options.tailLines ?? 0;
  }

  /** Every job of the run, in the order `run:start` listed them. */
  get jobs(): Iterable<JobRecord> {
    return this.#jobs.values();
  }

  /** Jobs running now, in the order they started. */
  get running(): ReadonlySet<string> {
    return this.#running;
  }

  /** Jobs waiting in a distributed run's work queue for a worker, in the order they went there. */
  get queued(): ReadonlySet<string> {
    return this.#queued;
  }

  /** How many jobs have ended. */
  get done(): number {
    return this.#done;
  }

  /** How many jobs the run has. */
  get total(): number {
    return this.#jobs.size;
  }

  /** When the run started, ms since the epoch. */
  get startTime(): number {
    return this.#start;
  }

  /** Warnings so far. */
  get warnings(): readonly WarningEvent[] {
    return this.#warnings;
  }

  /** Diagnostics so far. */
  get diagnostics(): readonly DiagnosticEvent[] {
    return this.#diagnostics;
  }

  /** Failed jobs so far, first failure first. */
  get failures(): readonly JobRecord[] {
    return this.#failures;
  }

  /**
   * The record of a job.
   *
   * @param name The job's name.
   * @returns Its record, if the run has it.
   */
  job(name: string): JobRecord | undefined {
    return this.#jobs.get(name);
  }

  /**
   * Take in one event.
   *
   * @param event The event.
   */
  add(event: GatherEvent): void {
    switch (event.type) {
      case "run:start":
        this.#start = event.time;
        for (const { name, deps } of event.jobs) {
          this.#jobs.set(name, { name, deps, durationMs: 0, attempts: 0, lines: 0 });
        }
        break;
      case "job:start": {
        const job = this.#get(event.job);
        job.start = event.time;
        this.#running.add(event.job);
        break;
      }
      case "job:log": {
        const job = this.#get(event.job);
        job.lines++;
        if (this.#headLines + this.#tailLines === 0) break;
        (job.output ??= new LineExcerpt(this.#headLines, this.#tailLines)).add(event.line);
        break;
      }
      case "diagnostic":
        this.#diagnostics.push(event);
        break;
      case "warning":
        this.#warnings.push(event);
        break;
      case "job:ready": {
        const job = this.#get(event.job);
        job.readyMs = event.durationMs;
        if (event.kept) job.kept = true;
        break;
      }
      case "job:queued":
        // Not running: it waits for a worker, and its time starts when one claims it.
        if (this.#running.delete(event.job)) this.#queued.add(event.job);
        break;
      case "job:worker":
        if (this.#queued.delete(event.job)) {
          this.#get(event.job).start = event.time;
          this.#running.add(event.job);
        }
        break;
      case "job:retry":
      case "job:progress":
      case "job:partial":
      case "job:cache":
      case "cache:upload":
      case "run:cancel":
      case "watch:change":
      case "watch:wait":
        break;
      case "job:end": {
        const job = this.#get(event.job);
        job.status = event.status;
        job.end = event.time;
        job.durationMs = event.durationMs;
        job.attempts = event.attempt;
        job.cache = event.cache;
        if (event.error) job.error = event.error;
        if (event.reason) job.reason = event.reason;
        if (event.ignoredCancellation) job.ignoredCancellation = true;
        if (event.status === "failed") this.#failures.push(job);
        this.#running.delete(event.job);
        this.#queued.delete(event.job);
        this.#done++;
        break;
      }
      case "run:end":
        break;
      default: {
        const never: never = event;
        throw new TypeError(`Unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Summarise the run: the engine's summary in `run:end` (critical path,
   * slowest jobs), with what the record adds (failures, diagnostics, who
   * finished, who was cancelled).
   *
   * @param end The `run:end` event.
   * @returns The summary.
   */
  summary(end: RunEndEvent): Summary {
    const started = [...this.#jobs.values()].filter((job) => job.start !== undefined);
    return {
      status: end.status,
      counts: end.counts,
      durationMs: end.durationMs,
      criticalPath: end.summary?.criticalPath ?? [],
      slowest: end.summary?.slowest ?? [],
      failures: this.#failures,
      ignoredCancellation: started.filter((job) => job.ignoredCancellation).map((job) => job.name),
      diagnostics: this.#diagnostics,
      finished: started.filter((job) => job.status === "ok").map((job) => job.name),
      // A job that started but made no attempt was waiting (for a worker, say) when it was cancelled.
      cancelled: started.filter((job) => job.status === "cancelled" && job.attempts > 0)
        .map((job) => job.name),
      notStarted: [...this.#jobs.values()]
        .filter((job) =>
          job.status === "cancelled" && (job.start === undefined || job.attempts === 0)
        )
        .map((job) => job.name),
    };
  }

  #get(name: string): JobRecord {
    let job = this.#jobs.get(name);
    if (!job) {
      job = { name, deps: NO_DEPS, durationMs: 0, attempts: 0, lines: 0 };
      this.#jobs.set(name, job);
    }
    return job;
  }
}
