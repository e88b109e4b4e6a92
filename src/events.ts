/**
 * The events a run emits, as plain data. Reporters switch on `type`; the JSON
 * reporter writes them as they are, one per line.
 *
 * @module
 */

import type { CacheStatus, JobStatus, RunStatus } from "./types.ts";

export type { CacheStatus, JobStatus, RunStatus };

/** Counts of jobs by how they ended. */
export interface JobCounts {
  /** Jobs in the run. */
  total: number;
  /** Jobs that succeeded. */
  ok: number;
  /** Jobs that failed. */
  failed: number;
  /** Jobs stopped by cancellation, or never started because the run stopped. */
  cancelled: number;
  /** Jobs not run because a dependency failed. */
  skipped: number;
  /** Of the `ok` jobs, those restored from the cache. */
  cached: number;
  /** Of the cached jobs, those restored from the remote cache (present when there are any). */
  cachedRemote?: number;
}

/** A failure as data. */
export interface ErrorInfo {
  /** The error's name, such as `Error` or `GatherError`. */
  name: string;
  /** The error's message. */
  message: string;
  /** The stack, when the error has one. */
  stack?: string;
  /** The stable code of a gather error. */
  code?: string;
}

/** A job as listed by `run:start`. */
export interface RunJob {
  /** The job's name. */
  name: string;
  /** The names of the jobs it waits for. */
  deps: string[];
}

/** The run began. `time` in every event is milliseconds since the Unix epoch. */
export interface RunStartEvent {
  /** The kind of event. */
  type: "run:start";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The jobs in the run with their dependencies, dependencies first. */
  jobs: RunJob[];
  /** The global concurrency limit. */
  concurrency: number;
}

/** A job started (once; retries are `job:retry` events). */
export interface JobStartEvent {
  /** The kind of event. */
  type: "job:start";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
  /**
   * Always 1: a job starts once. Each retry is announced by a `job:retry`
   * event (whose `attempt` is the one that failed), and `ctx.attempt` tells
   * the job which try it is on.
   */
  attempt: number;
}

/** A job wrote a line: `ctx.log`, console output, or a subprocess's stdout/stderr. */
export interface JobLogEvent {
  /** The kind of event. */
  type: "job:log";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
  /** The line, without its line break. */
  line: string;
  /** Where the line came from. */
  stream: "log" | "stdout" | "stderr";
  /** Set on lines replayed from the cache: the job did not run, this is what it printed when it did. */
  replayed?: true;
}

/** An attempt failed and the job will run again. */
export interface JobRetryEvent {
  /** The kind of event. */
  type: "job:retry";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
  /** The attempt that failed. */
  attempt: number;
  /** Why the attempt failed. */
  error: ErrorInfo;
}

/** A job ended. Jobs that never started end too, with `started: false`. */
export interface JobEndEvent {
  /** The kind of event. */
  type: "job:end";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
  /** How it ended. */
  status: JobStatus;
  /** Whether the job ever started. */
  started: boolean;
  /** Wall time from first start to end, 0 if it never started. */
  durationMs: number;
  /** Attempts made (0 if it never started). */
  attempt: number;
  /** Why it failed or was cancelled. */
  error?: ErrorInfo;
  /** Why it did not run, for skipped jobs. */
  reason?: string;
  /** Set when the job was still running when its grace period after cancellation ran out. */
  ignoredCancellation?: true;
  /**
   * What the cache did: `hit` (restored, not run), `hit-remote` (restored
   * from the remote cache, not run), `miss` (ran), `off` (not cached).
   */
  cache: CacheStatus;
  /** The worker that ran it, in a distributed run (`--nats`); absent when the coordinator ran it. */
  worker?: string;
}

/**
 * A worker took a job, in a distributed run (`--nats`). Another one for the
 * same job means the job moved: the worker before stopped answering, and the
 * queue gave the job to the next.
 */
export interface JobWorkerEvent {
  /** The kind of event. */
  type: "job:worker";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
  /** The worker's name (`gather worker --name`, default host:pid). */
  worker: string;
  /** How many times the queue has handed the job out, this time included (1 at first). */
  delivery: number;
}

/** The cache looked a job up (for jobs that declare `inputs`). */
export interface JobCacheEvent {
  /** The kind of event. */
  type: "job:cache";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
  /** `hit`: it will be restored; `hit-remote`: restored from the remote cache; `miss`: it will run. */
  status: "hit" | "hit-remote" | "miss";
  /** The job's cache key (SHA-256, hex). */
  key: string;
  /** Why it runs, with `--explain`: `no cache entry`, `input src/a.c changed`, ... */
  reason?: string;
}

/** Something the user should know that is not a job's mistake: a glob that matches nothing, a cache that cannot be written. */
export interface WarningEvent {
  /** The kind of event. */
  type: "warning";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job it is about, when there is one. */
  job?: string;
  /** What happened and what to do, in one line. */
  message: string;
}

/** The run waits for its uploads to the remote cache: sent when that takes more than a moment, then every few seconds. */
export interface CacheUploadEvent {
  /** The kind of event. */
  type: "cache:upload";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** Uploads not finished yet. */
  pending: number;
}

/** The run was cancelled (Ctrl-C, SIGTERM, or the embedding program's signal). */
export interface RunCancelEvent {
  /** The kind of event. */
  type: "run:cancel";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** Why, e.g. `interrupted by SIGINT`. */
  reason: string;
}

/** The run ended. Always the last event. */
export interface RunEndEvent {
  /** The kind of event. */
  type: "run:end";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** How the run ended. */
  status: RunStatus;
  /** Jobs by how they ended. */
  counts: JobCounts;
  /** Wall time of the run. */
  durationMs: number;
  /** The first failure of the run, the one that matters most. */
  firstFailure?: string;
  /**
   * The closing summary, computed once by the engine: every reporter formats
   * this one (the CLI's JSON reporter adds where each failure's log is).
   */
  summary?: RunSummaryInfo;
}

/** A job and how long it took, in a summary. */
export interface TimedJobInfo {
  /** The job's name. */
  name: string;
  /** Its duration in ms. */
  durationMs: number;
}

/** The closing summary of a run, as data. */
export interface RunSummaryInfo {
  /** The chain of jobs that decided when the run ended, first to last. */
  criticalPath: TimedJobInfo[];
  /** The slowest jobs, slowest first (at most five). */
  slowest: TimedJobInfo[];
  /** Failed jobs, first failure first: the error message and where the full log is. */
  failures: { name: string; message: string; log?: string }[];
}

/** What a diagnostic is about. */
export type DiagnosticKind =
  | "stall"
  | "unhandled-rejection"
  | "pending-work"
  | "ignored-cancellation"
  | "escaped-process";

/**
 * gather noticed a mistake that async code hides: a stall of the event loop,
 * a promise nobody awaited, work left running when a job finished, a job that
 * ignored its cancellation. Diagnostics never fail a run unless `--strict`.
 */
export interface DiagnosticEvent {
  /** The kind of event. */
  type: "diagnostic";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job it is about, when known. */
  job?: string;
  /** What was noticed. */
  kind: DiagnosticKind;
  /** What happened, in one line. */
  message: string;
  /** What to do about it. */
  hint: string;
  /** How long the event loop was blocked, for stalls. */
  durationMs?: number;
  /** Where in the code, `file:line:column`, when known. */
  site?: string;
  /** Jobs that were running, for stalls that could not be attributed. */
  running?: string[];
}

/** A job reports progress through its items, e.g. `ctx.map`. */
export interface JobProgressEvent {
  /** The kind of event. */
  type: "job:progress";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
  /** Items done. */
  done: number;
  /** Items in all, when known. */
  total?: number;
}

/** Everything a run emits. */
export type GatherEvent =
  | RunStartEvent
  | JobStartEvent
  | JobLogEvent
  | JobProgressEvent
  | JobRetryEvent
  | JobEndEvent
  | JobWorkerEvent
  | JobCacheEvent
  | WarningEvent
  | CacheUploadEvent
  | RunCancelEvent
  | DiagnosticEvent
  | RunEndEvent;

/** Receives events as they happen. */
export type EventSink = (event: GatherEvent) => void;

/**
 * Describe an error as plain data for events.
 *
 * @param error The error.
 * @returns Its name, message, stack and code.
 *
 * @example Usage
 * ```ts
 * import { errorInfo } from "./events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(errorInfo(new TypeError("bad")).name, "TypeError");
 * ```
 */
export function errorInfo(error: Error): ErrorInfo {
  const info: ErrorInfo = { name: error.name, message: error.message };
  if (error.stack) info.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") info.code = code;
  return info;
}
