/**
 * What a distributed run's coordinator and workers say to each other, as
 * plain JSON: a job to run, a worker's claim on it, its log lines and events
 * as it runs, its result, the coordinator's cancel and end broadcasts, and
 * its answer to a worker asking whether it is still there.
 * Independent of the queue that carries them (see `dispatcher.ts`).
 *
 * @module
 */

import type { ErrorInfo, GatherEvent } from "../events.ts";

/**
 * The protocol's version: a worker refuses a job of another one. 2: the
 * coordinator answers its workers' liveness probes (`alive`), and a cancel
 * may name the workers it is for. 3: a worker that is stopped reports the
 * jobs it gives back (`released`), and the coordinator queues them again.
 */
export const PROTOCOL_VERSION = 3;

/** A dependency of a job, as the worker gets it. */
export type DepMessage =
  /** A cached dependency: its entry (outputs and result) is in the shared cache under `key`. */
  | { name: string; key: string }
  /** An uncached one (it ran on the coordinator): its result, encoded (`cache/codec.ts`). */
  | { name: string; result: string };

/** A ready job, published to the run's work queue. */
export interface JobMessage {
  /** The protocol's version. */
  v: number;
  /** The run. */
  run: string;
  /** The job's name. */
  job: string;
  /** Its cache key on the coordinator: the worker must compute the same. */
  key: string;
  /** What the key was made of (for a clear message when the worker's differs), when small. */
  parts?: unknown;
  /** The task file, relative to the project root. */
  taskFile: string;
  /** The SHA-256 of the task file's content. */
  taskHash: string;
  /** The coordinator's working folder, relative to the project root (`""` for the root). */
  cwd: string;
  /** Its dependencies. */
  deps: DepMessage[];
  /** The shared cache the outputs travel through. */
  cache: { url: string; team: string };
  /** `write-only` with `--force`: the worker runs the job and stores it, whatever it has. */
  force: boolean;
  /** The run's default timeout per attempt, in ms. */
  timeoutMs?: number;
  /** How long a cancelled job gets to stop, in ms. */
  graceMs: number;
  /** How long the queue waits for a silent worker, in ms: the worker says it is alive more often. */
  ackWaitMs: number;
}

/** A worker took a job and asks whether to run it. */
export interface ClaimMessage {
  /** The job's name. */
  job: string;
  /** The worker's name. */
  worker: string;
  /** How many times the queue has handed the job out, this time included. */
  delivery: number;
}

/** How a job ended on a worker, or why the worker did not run it. */
export type Outcome =
  /** It ran and succeeded; its entry is in the shared cache. */
  | "ok"
  /** It ran and failed (after its retries). */
  | "failed"
  /** It was cancelled, as the coordinator asked. */
  | "cancelled"
  /**
   * The worker's checkout differs (another commit): the job goes back to the queue for another
   * worker; when every worker it reaches refuses it, it runs on the coordinator.
   */
  | "refused"
  /** The worker cannot run it (a dependency's entry is missing, say): the coordinator runs it. */
  | "fallback"
  /** It succeeded but its result cannot travel: the coordinator runs it. */
  | "unstorable"
  /**
   * The worker was stopped (Ctrl-C) and gives the job back: the coordinator puts it on the queue
   * again as a new message, so that a give-back never counts toward the delivery limit.
   */
  | "released";

/** A worker's report on a job. */
export interface ResultMessage {
  /** The job's name. */
  job: string;
  /** The worker's name. */
  worker: string;
  /** What happened. */
  outcome: Outcome;
  /** The result, encoded, for `ok`. */
  result?: string;
  /** Why it failed or was cancelled. */
  error?: ErrorInfo;
  /** Why it was refused, fell back, or was cancelled (the cancel's reason, for the worker's own line). */
  message?: string;
  /** Attempts made. */
  attempts: number;
  /** Whether it kept running past its grace period. */
  ignoredCancellation?: boolean;
  /** For `refused`: the delivery the worker refused (the queue's count, this one included). */
  delivery?: number;
  /**
   * For `fallback`: `signature` when an entry was refused for its signature (the worker signs
   * with another key than the machine that stored it): marking the job `local: true` is no fix.
   */
  cause?: "signature";
}

/** Events of one job, as they happened on a worker (job:log, job:partial, job:retry, job:progress, warning, diagnostic). */
export interface EventBatch {
  /** The job's name. */
  job: string;
  /** The worker's name. */
  worker: string;
  /** The events, in order. */
  events: GatherEvent[];
}

/** The coordinator cancels jobs: the ones named, or every job of the run. */
export interface CancelMessage {
  /** The jobs; absent for the whole run (its queue is purged). */
  jobs?: string[];
  /**
   * The workers it is for; absent for every worker. A job redelivered while
   * the worker before still ran it has two copies: once one has reported,
   * the other's worker is told to stop it.
   */
  workers?: string[];
  /** Why, for the jobs' signals. */
  reason: string;
}

/** The event types a worker forwards to the coordinator. */
export const FORWARDED: ReadonlySet<GatherEvent["type"]> = new Set([
  "job:log",
  "job:partial",
  "job:retry",
  "job:progress",
  "warning",
  "diagnostic",
]);

/**
 * Read a job message, checking its shape.
 *
 * @param text The message's payload.
 * @returns The job, or a reason it cannot be read.
 *
 * @example Usage
 * ```ts
 * import { parseJobMessage } from "./protocol.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(typeof parseJobMessage("{}"), "string");
 * ```
 */
export function parseJobMessage(text: string): JobMessage | string {
  let value: Partial<JobMessage>;
  try {
    value = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  if (value === null || typeof value !== "object") return "not an object";
  if (value.v !== PROTOCOL_VERSION) {
    return `protocol version ${value.v}, this gather speaks ${PROTOCOL_VERSION}: run the same gather version everywhere`;
  }
  for (const field of ["run", "job", "key", "taskFile", "taskHash", "cwd"] as const) {
    if (typeof value[field] !== "string") return `no "${field}"`;
  }
  if (!Array.isArray(value.deps) || typeof value.cache?.url !== "string") return "no deps or cache";
  if (typeof value.graceMs !== "number" || typeof value.ackWaitMs !== "number") return "no timing";
  return value as JobMessage;
}
