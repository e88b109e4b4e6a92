/**
 * How jobs ended, as the scheduler records and reports them: an outcome from
 * a runner's settlement, an outcome for a job that never started, the
 * `job:end` event of an outcome, and the counts of a run.
 *
 * @module
 */

import { errorInfo, type JobCounts, type JobEndEvent } from "../events.ts";
import type { JobReport, JobStatus, Settlement } from "../types.ts";

/**
 * The outcome of a job that ran.
 *
 * @param name The job.
 * @param settlement How its runner settled it.
 * @param startMs When it started (clock ms).
 * @param now When it settled (clock ms).
 * @param t0 When the run started (clock ms).
 * @param readyAt When it became ready, for a service (clock ms; 0: never).
 * @param wait For a job that waited before it ran (a distributed run's job in
 * the work queue): when it began to wait, and when it began to run (clock ms;
 * `undefined`: it never did). It starts when it began to run.
 * @returns The outcome.
 *
 * @example Usage
 * ```ts
 * import { settledOutcome } from "./_outcomes.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const settlement = { status: "ok", attempts: 1, ignoredCancellation: false, result: 2 } as const;
 * const outcome = settledOutcome("a", settlement, 10, 15, 0, 0);
 * assertEquals([outcome.durationMs, outcome.startMs, outcome.result], [5, 10, 2]);
 * const queued = settledOutcome("b", settlement, 10, 15, 0, 0, { queuedAt: 11, beganAt: 13 });
 * assertEquals([queued.durationMs, queued.startMs, queued.queuedMs], [2, 13, 2]);
 * ```
 */
export function settledOutcome(
  name: string,
  settlement: Settlement,
  startMs: number,
  now: number,
  t0: number,
  readyAt: number,
  wait?: { queuedAt: number; beganAt: number | undefined },
): JobReport {
  const began = wait === undefined ? startMs : wait.beganAt ?? now;
  const outcome: JobReport = {
    name,
    status: settlement.status,
    started: true,
    attempts: settlement.attempts,
    durationMs: now - began,
    startMs: began - t0,
    cache: settlement.cache ?? "off",
  };
  if (wait !== undefined) outcome.queuedMs = began - wait.queuedAt;
  if (settlement.error) outcome.error = settlement.error;
  if (settlement.ignoredCancellation) outcome.ignoredCancellation = true;
  if (settlement.running) outcome.running = true;
  if (readyAt > 0) outcome.readyMs = readyAt - began;
  if (settlement.worker !== undefined) outcome.worker = settlement.worker;
  if (settlement.status === "ok") outcome.result = settlement.result;
  return outcome;
}

/**
 * The outcome of a job that never started: skipped after a dependency
 * failed, or cancelled.
 *
 * @param name The job.
 * @param status `skipped` or `cancelled`.
 * @param reason Why.
 * @returns The outcome.
 *
 * @example Usage
 * ```ts
 * import { neverStarted } from "./_outcomes.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(neverStarted("b", "skipped", 'dependency "a" failed').started, false);
 * ```
 */
export function neverStarted(name: string, status: JobStatus, reason: string): JobReport {
  return { name, status, started: false, attempts: 0, durationMs: 0, reason, cache: "off" };
}

/**
 * The `job:end` event of an outcome.
 *
 * @param outcome How the job ended.
 * @param time When, in epoch ms.
 * @returns The event.
 *
 * @example Usage
 * ```ts
 * import { jobEndEvent, neverStarted } from "./_outcomes.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const event = jobEndEvent(neverStarted("b", "cancelled", "the run was interrupted"), 1);
 * assertEquals([event.status, event.reason], ["cancelled", "the run was interrupted"]);
 * ```
 */
export function jobEndEvent(outcome: JobReport, time: number): JobEndEvent {
  const event: JobEndEvent = {
    type: "job:end",
    time,
    job: outcome.name,
    status: outcome.status,
    started: outcome.started,
    durationMs: Math.round(outcome.durationMs * 100) / 100,
    attempt: outcome.attempts,
    cache: outcome.cache,
  };
  if (outcome.error) event.error = errorInfo(outcome.error);
  if (outcome.reason) event.reason = outcome.reason;
  if (outcome.ignoredCancellation) event.ignoredCancellation = true;
  if (outcome.running) event.running = true;
  if (outcome.worker !== undefined) event.worker = outcome.worker;
  if (outcome.queuedMs !== undefined) event.queuedMs = Math.round(outcome.queuedMs * 100) / 100;
  return event;
}

/**
 * How many jobs ended each way, and how many were cache hits.
 *
 * @param jobs The outcomes.
 * @returns The counts.
 *
 * @example Usage
 * ```ts
 * import { countJobs, neverStarted } from "./_outcomes.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(countJobs([neverStarted("b", "skipped", "")]).skipped, 1);
 * ```
 */
export function countJobs(jobs: readonly JobReport[]): JobCounts {
  const counts: JobCounts = {
    total: jobs.length,
    ok: 0,
    failed: 0,
    cancelled: 0,
    skipped: 0,
    cached: 0,
  };
  for (const job of jobs) {
    counts[job.status]++;
    if (job.cache === "hit") counts.cached++;
    else if (job.cache === "hit-remote") {
      counts.cached++;
      counts.cachedRemote = (counts.cachedRemote ?? 0) + 1;
    }
  }
  return counts;
}
