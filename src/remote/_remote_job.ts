/**
 * One job of a distributed run, as the coordinator holds it: queued, then
 * claimed by a worker (perhaps several, one after another, when workers
 * die), settled by the first report, or run here after all.
 *
 * @module
 */

import { decodeValue } from "../cache/codec.ts";
import type { JobInput, JobRun } from "../engine/runner.ts";
import { GatherError } from "../errors.ts";
import type { ErrorInfo } from "../events.ts";
import type { JobSpec, Settlement } from "../types.ts";
import { type EventBatch, FORWARDED, type JobMessage, type ResultMessage } from "./protocol.ts";
import type { RemoteRunner } from "./runner.ts";

/** How long past the grace period the coordinator waits for a worker to confirm a cancel, in ms. */
const CONFIRM_MARGIN_MS = 2_000;

/** A job on the queue or on a worker. */
export class RemoteJob implements JobRun {
  readonly settled: Promise<Settlement>;
  readonly job: JobSpec;
  readonly input: JobInput;
  /** Whether it has settled. */
  done = false;
  /** Why it is being cancelled, once it is. */
  cancelReason: Error | undefined;
  #runner: RemoteRunner;
  #resolve!: (settlement: Settlement) => void;
  #worker: string | undefined;
  /** Every worker that claimed it, in order. */
  #workers: string[] = [];
  /** The workers that refused it, with their messages. */
  #refusals = new Map<string, string>();
  #local: JobRun | undefined;
  /** The highest delivery a worker claimed. */
  deliveries = 0;
  /** Its sequence number on the queue, once published. */
  sequence: number | undefined;
  /** Its message on the queue, once published. */
  message: JobMessage | undefined;
  /** How many times a worker gave it back (each time it went on the queue again). */
  #givenBack = 0;
  /** When the coordinator first saw the queue past it with no worker's claim. */
  passedAt: number | undefined;
  /** When its worker was last heard from (its claim, events or heartbeat). */
  lastSeen = 0;
  /** The worker whose report settled it (it ran there), if one did. */
  reportedBy: string | undefined;
  #confirmTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(runner: RemoteRunner, job: JobSpec, input: JobInput) {
    this.#runner = runner;
    this.job = job;
    this.input = input;
    this.settled = new Promise((resolve) => this.#resolve = resolve);
  }

  /** Whether a cancel was asked for. */
  get cancelling(): boolean {
    return this.cancelReason !== undefined;
  }

  /** Whether it runs here after all. */
  get local(): boolean {
    return this.#local !== undefined;
  }

  cancel(reason: Error): void {
    if (this.#local !== undefined) return this.#local.cancel(reason);
    if (this.done || this.cancelReason !== undefined) return;
    this.cancelReason = reason;
    if (this.#worker === undefined) {
      // Still queued: no worker runs it, and none will (a claim is refused from now on).
      this.#settle({ status: "cancelled", error: reason, attempts: 0, ignoredCancellation: false });
      this.#runner.requestCancel(this.job.name, reason);
      return;
    }
    this.#runner.requestCancel(this.job.name, reason);
    this.#confirmTimer = setTimeout(() => {
      this.#runner.options.emit({
        type: "diagnostic",
        time: Date.now(),
        job: this.job.name,
        kind: "ignored-cancellation",
        message: `Worker "${this.#worker}" did not confirm that "${this.job.name}" stopped within ${
          this.#runner.options.graceMs + CONFIRM_MARGIN_MS
        }ms of its cancellation; gather stopped waiting for it`,
        hint:
          "the worker may be overloaded or cut off; it kills the job's processes when its grace period ends",
      });
      this.#settle({ status: "cancelled", error: reason, attempts: 1, ignoredCancellation: true });
    }, this.#runner.options.graceMs + CONFIRM_MARGIN_MS);
  }

  force(): void {
    if (this.#local !== undefined) return this.#local.force();
    if (this.cancelReason !== undefined && !this.done) {
      this.#settle({
        status: "cancelled",
        error: this.cancelReason,
        attempts: 1,
        ignoredCancellation: false,
      });
    }
  }

  /**
   * It goes to the work queue now: the scheduler shows it waiting there
   * (`job:queued`), and times it from its first claim.
   */
  queued(): void {
    this.input.waits?.queued(this.job.name);
  }

  /** A worker took it: `true` to let it run. A later claim means the worker before went silent. */
  claim(worker: string, delivery: number): boolean {
    if (this.done || this.cancelReason !== undefined || this.#local !== undefined) return false;
    this.deliveries = Math.max(this.deliveries, delivery);
    this.lastSeen = performance.now();
    this.input.waits?.began(this.job.name); // it runs from its first claim
    this.#worker = worker;
    this.#workers.push(worker);
    return true;
  }

  /**
   * Its worker's events, passed on; a silent worker's late events are
   * dropped. Their `time` is this machine's clock as they arrive: the
   * worker's clock may be off, and its events come in batches, so its own
   * times would go back and forth in the stream. What they say of durations
   * (a stall's `durationMs`) is the worker's, and kept.
   */
  forward(batch: EventBatch): void {
    if (this.done || this.#local !== undefined || batch.worker !== this.#worker) return;
    this.lastSeen = performance.now(); // an empty batch is its heartbeat
    const emit = this.#runner.options.emit;
    const time = Date.now();
    for (const event of batch.events) {
      if (FORWARDED.has(event.type) && "job" in event && event.job === this.job.name) {
        // A warning is of the worker's checkout (a file it removed there): it says which.
        emit(
          event.type === "warning" ? { ...event, time, worker: batch.worker } : { ...event, time },
        );
      }
    }
  }

  /** A worker's report: the first one settles the job, and stops its other copies. */
  report(result: ResultMessage): void {
    if (this.done || this.#local !== undefined) return;
    if (result.outcome === "released") return this.#released(result);
    if (result.outcome !== "refused") {
      this.reportedBy = result.worker;
      this.#stopCopies(result.worker);
    }
    const base = {
      attempts: result.attempts,
      ignoredCancellation: result.ignoredCancellation === true,
      worker: result.worker,
    };
    switch (result.outcome) {
      case "ok": {
        let value: unknown;
        try {
          value = decodeValue(result.result ?? "null");
        } catch (error) {
          return this.fail(new Error(`Cannot read the result ${result.worker} sent: ${error}`));
        }
        return this.#settle({ status: "ok", result: value, ...base });
      }
      case "failed":
        return this.#settle({ status: "failed", error: remoteError(result.error), ...base });
      case "cancelled":
        return this.#settle({
          status: "cancelled",
          error: this.cancelReason ?? remoteError(result.error),
          ...base,
        });
      case "refused":
        return this.#refused(result);
      case "fallback":
      case "unstorable":
        if (result.cause === "signature") {
          return this.runLocally(
            `${result.message}; ${result.worker} signs with another key than the machine that stored it: give every machine the same GATHER_REMOTE_CACHE_SIGNATURE_KEY`,
            result.worker,
            false,
          );
        }
        return this.runLocally(result.message ?? "the worker could not run it", result.worker);
    }
  }

  /**
   * Other workers that claimed it before `worker` (the queue gave it to the next one while they
   * were silent: perhaps slow, or stopped for a while, rather than dead) may still run it: once
   * its result is in, they are told to stop their copies.
   */
  #stopCopies(worker: string): void {
    if (this.cancelReason !== undefined) return; // the cancel went to every worker already
    const others = [...new Set(this.#workers)].filter((other) =>
      other !== worker && !this.#refusals.has(other)
    );
    if (others.length === 0) return;
    this.#runner.cancelCopies(this.job.name, others, `${worker} reported it first`);
  }

  /**
   * The worker running it was stopped (Ctrl-C) and gave it back: an answer, not a silence. It goes
   * on the queue again as a new message, its deliveries counted from 1, for the next worker. A
   * worker whose copy was handed on already (it was silent for a while) gives back nothing.
   */
  #released(result: ResultMessage): void {
    if (this.#worker !== result.worker) return;
    this.#worker = undefined;
    if (this.cancelReason !== undefined) {
      return this.#settle({
        status: "cancelled",
        error: this.cancelReason,
        attempts: result.attempts,
        ignoredCancellation: false,
      });
    }
    this.deliveries = 0;
    this.passedAt = undefined;
    this.#runner.enqueue(this, ++this.#givenBack).catch((error) =>
      this.fail(error instanceof Error ? error : new Error(String(error)))
    );
  }

  /**
   * A worker refused it (its checkout differs): the job went back to the queue for another
   * worker. Once the queue will not hand it out again, it runs here.
   */
  #refused(result: ResultMessage): void {
    if (!this.#refusals.has(result.worker)) {
      this.#refusals.set(
        result.worker,
        `Worker "${result.worker}" refused "${this.job.name}": ${result.message}`,
      );
    }
    if (this.#worker === result.worker) this.#worker = undefined;
    this.deliveries = Math.max(this.deliveries, result.delivery ?? this.deliveries);
    this.lastSeen = performance.now();
    if (this.deliveries >= this.#runner.options.queue.maxDeliveries) this.#refusedEverywhere();
  }

  /** Every delivery went to a worker that refused it: run it here, with one warning naming them. */
  #refusedEverywhere(): void {
    const workers = [...this.#refusals.keys()];
    this.runLocally(
      `every worker it went to refused it (${workers.join(", ")}; ${this.deliveries} deliveries): ${
        [...this.#refusals.values()].join("; ")
      }`,
      undefined,
      false,
    );
  }

  /** The queue gave up on it: every worker it went to stopped answering. */
  exhausted(deliveries: number): void {
    if (this.#refusals.size > 0) {
      this.deliveries = Math.max(this.deliveries, deliveries);
      return this.#refusedEverywhere();
    }
    const workers = [...new Set(this.#workers)];
    const who = workers.length === 0
      ? "no worker confirmed taking it"
      : `the workers that took it stopped answering: ${workers.join(", ")}`;
    this.fail(
      new GatherError(
        "WORKER_LOST",
        `Job "${this.job.name}" was handed out ${deliveries} times and never finished (${who}); gave up after the delivery limit`,
        { job: this.job.name },
      ),
    );
  }

  /** The queue handed it out, and no worker claimed it: it was lost on the way. */
  undelivered(seconds: number): void {
    this.fail(
      new GatherError(
        "WORKER_LOST",
        `Job "${this.job.name}" was taken off the queue but no worker claimed it within ${seconds}s (the NATS consumer "workers" is past it, so it would never be delivered again); gave up on it. Check the workers' logs; another program purging the stream GATHER_JOBS by subject on nats-server 2.9 skips every queued job`,
        { job: this.job.name },
      ),
    );
  }

  /** Fail it (a lost connection, the delivery limit). */
  fail(error: Error): void {
    if (this.done || this.#local !== undefined) return;
    if (this.cancelReason !== undefined) {
      this.#settle({
        status: "cancelled",
        error: this.cancelReason,
        attempts: 1,
        ignoredCancellation: false,
      });
    } else this.#settle({ status: "failed", error, attempts: 1, ignoredCancellation: false });
  }

  /** Run it here after all, with one warning saying why. */
  runLocally(why: string, worker?: string, suggestLocal = true): void {
    if (this.done || this.#local !== undefined) return;
    if (this.cancelReason !== undefined) return this.fail(this.cancelReason);
    const by = worker === undefined ? "" : ` (${worker} gave it back)`;
    this.#runner.options.emit({
      type: "warning",
      time: Date.now(),
      job: this.job.name,
      message: `runs on the coordinator${by}: ${why}${
        suggestLocal ? "; mark it local: true to say so" : ""
      }`,
    });
    this.input.waits?.began(this.job.name); // if it waited in the queue, it runs from now
    const local = this.#local = this.#runner.options.local.start(this.job, this.input);
    local.settled.then((settlement) => {
      this.done = true;
      this.#resolve(settlement);
    });
  }

  #settle(settlement: Settlement): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.#confirmTimer);
    this.#resolve(settlement);
  }
}

/** A worker's error as an `Error` here: its name, message, stack and code kept. */
function remoteError(info: ErrorInfo | undefined): Error {
  const error = new Error(info?.message ?? "failed on a worker");
  error.name = info?.name ?? "Error";
  if (info?.stack !== undefined) error.stack = info.stack;
  if (info?.code !== undefined) (error as { code?: string }).code = info.code;
  return error;
}
