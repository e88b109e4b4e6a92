/**
 * The events a run emits, as plain data. Reporters switch on `type`; the JSON
 * reporter writes them as they are, one per line.
 *
 * @module
 */

import { type CauseInfo, causesOf, toError } from "./errors.ts";
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
  /**
   * The error's `cause` chain, outermost first (Deno's `fetch failed` is caused by
   * `tcp connect error: Connection refused`), at most 5; absent when it has none.
   */
  causes?: CauseInfo[];
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
  /**
   * `true` in a distributed run's coordinator (`--nats`): a job that starts
   * may wait in the work queue (`job:queued`) rather than run at once.
   */
  workQueue?: true;
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

/**
 * A subprocess of a job is writing a line that has not ended yet, as a
 * terminal shows it now: a progress bar that redraws itself with `\r` shows
 * its latest state (`45%`). At most ten a second per job; the whole line
 * still comes as a `job:log` event when it ends. Only the live display shows
 * it; logs and the plain reporter wait for the line.
 */
export interface JobPartialEvent {
  /** The kind of event. */
  type: "job:partial";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
  /** The unfinished line as it stands: its text after the last carriage return. */
  line: string;
  /** Where it is being written. */
  stream: "stdout" | "stderr";
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
  /**
   * Wall time from first start to end, 0 if it never started. In a
   * distributed run, a job sent to the work queue runs from its first
   * `job:worker` (a worker claimed it): its wait in the queue is `queuedMs`.
   */
  durationMs: number;
  /** Attempts made (0 if it never started). */
  attempt: number;
  /** Why it failed or was cancelled. */
  error?: ErrorInfo;
  /**
   * Why it did not run (skipped, or cancelled before it started), or why it
   * was cancelled while running when a service it uses failed.
   */
  reason?: string;
  /** Set when the job was still running when its grace period after cancellation ran out. */
  ignoredCancellation?: true;
  /**
   * What the cache did: `hit` (restored, not run), `hit-remote` (restored
   * from the remote cache, not run), `miss` (ran), `off` (not cached).
   */
  cache: CacheStatus;
  /**
   * Set for a service that is still running when its part in the run ends:
   * in watch mode, an unaffected service keeps running for the next run.
   */
  running?: true;
  /** The worker that ran it, in a distributed run (`--nats`); absent when the coordinator ran it. */
  worker?: string;
  /**
   * In a distributed run, for a job sent to the work queue: how long it
   * waited there before a worker claimed it (not part of `durationMs`); for a
   * job cancelled before any worker claimed it, all of its time.
   */
  queuedMs?: number;
}

/**
 * A job waits in the work queue for a worker, in a distributed run
 * (`--nats`): it comes after the job's `job:start` (and its `job:cache`
 * miss), and the job runs from its first `job:worker`; it comes again when a
 * worker gives the job back (stopped with Ctrl-C): the job waits for the next
 * `job:worker`. A job that runs on the coordinator never gets one.
 */
export interface JobQueuedEvent {
  /** The kind of event. */
  type: "job:queued";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The job's name. */
  job: string;
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

/**
 * A service is ready: its dependents may start. In watch mode, a service kept
 * running from an earlier run is ready at once, with `kept: true`.
 */
export interface JobReadyEvent {
  /** The kind of event. */
  type: "job:ready";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The service's name. */
  job: string;
  /** What told it was ready: `line /listening/`, `port 8000`, `url http://…`, `ctx.ready()`. */
  probe: string;
  /** How long it took to be ready, from its start. */
  durationMs: number;
  /** Its ready value, when it is a string, a number or a boolean. */
  value?: string | number | boolean;
  /**
   * Watch mode: the service was not started again but kept running from an
   * earlier run (its `durationMs` is then about 0; its `job:end` says `cache: "hit"`).
   */
  kept?: boolean;
}

/**
 * Watch mode starts a run: the first one, or a rerun after files changed.
 * It comes before the run's `run:start`.
 */
export interface WatchChangeEvent {
  /** The kind of event. */
  type: "watch:change";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The run's number, from 1. */
  run: number;
  /** Why it runs, in a few words: `3 files changed: src/a.ts, …`, `task file reloaded`. */
  reason: string;
  /** The files that changed (at most 100), relative to the project root. */
  files: string[];
  /** How many files changed in all. */
  count: number;
  /** The jobs that run again; the others keep their results. */
  jobs: string[];
}

/** Watch mode is waiting for changes, after a run. */
export interface WatchWaitEvent {
  /** The kind of event. */
  type: "watch:wait";
  /** When it happened, in milliseconds since the Unix epoch. */
  time: number;
  /** The run that ended. */
  run: number;
  /** How many files are watched. */
  files: number;
  /** How many folders the task file listed as it loaded are watched for entries coming and going (when any). */
  folders?: number;
  /** The services that keep running. */
  services: string[];
  /** How files are watched: `events` (`Deno.watchFs`), or `polling` where events are unavailable. */
  mode: "events" | "polling";
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
  /**
   * The worker it happened on, in a distributed run (`--nats`), when a worker
   * sent it: what it says is of that worker's checkout, not the coordinator's.
   */
  worker?: string;
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
  | "escaped-process"
  | "stray-process"
  | "uncaught-error";

/**
 * gather noticed a mistake that async code hides: a stall of the event loop,
 * a promise nobody awaited, work left running when a job finished, a job that
 * ignored its cancellation, an exception a callback threw that nothing
 * caught (that one fails its job while it runs), a process a job started
 * without `ctx.sh` left running. Diagnostics never fail a
 * run by themselves unless `--strict`.
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
  /** Jobs that were running, for stalls and exceptions that could not be attributed. */
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
  | JobPartialEvent
  | JobProgressEvent
  | JobRetryEvent
  | JobEndEvent
  | JobReadyEvent
  | JobQueuedEvent
  | JobWorkerEvent
  | JobCacheEvent
  | WarningEvent
  | CacheUploadEvent
  | RunCancelEvent
  | DiagnosticEvent
  | RunEndEvent
  | WatchChangeEvent
  | WatchWaitEvent;

/** Receives events as they happen. */
export type EventSink = (event: GatherEvent) => void;

/**
 * Describe an error as plain data for events. It never throws: a field that
 * cannot be read, or is not a string, is described instead (see `toError`).
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
 * const sneaky = new Error("hidden");
 * Object.defineProperty(sneaky, "message", { get() { throw new Error("no"); } });
 * assertEquals(errorInfo(sneaky).name, "Error");
 * ```
 */
export function errorInfo(error: Error): ErrorInfo {
  const readable = toError(error);
  const info: ErrorInfo = { name: readable.name, message: readable.message };
  if (readable.stack) info.stack = readable.stack;
  // A wrapper of an error that cannot be read says what it is; its cause is that error.
  const causes = readable === error ? causesOf(readable) : [];
  if (causes.length > 0) info.causes = causes;
  try {
    const code = (readable as { code?: unknown }).code;
    if (typeof code === "string") info.code = code;
  } catch {
    // a code that cannot be read is left out
  }
  return info;
}
