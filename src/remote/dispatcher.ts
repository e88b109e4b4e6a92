/**
 * The seam between a distributed run and the messaging engine that carries
 * it: a work queue of ready jobs with acknowledgements and redelivery, plus
 * request/reply and broadcasts. NATS JetStream (`nats.ts`) is the one
 * engine; another (Redis streams, SQS) would implement these two interfaces.
 *
 * @module
 */

import type {
  CancelMessage,
  ClaimMessage,
  EventBatch,
  JobMessage,
  ResultMessage,
} from "./protocol.ts";

/** How the queue treats a run's jobs. */
export interface QueueOptions {
  /** A job whose worker is silent this long goes to another worker, in ms. */
  ackWaitMs: number;
  /** After this many deliveries the queue gives up on a job. */
  maxDeliveries: number;
}

/** What the coordinator answers and hears, for one run. */
export interface RunHandlers {
  /** A worker took a job: `true` to let it run, `false` when it is done or cancelled. */
  claim(claim: ClaimMessage): boolean;
  /** A worker's report; answered once it is recorded (so the worker acknowledges only then). */
  result(result: ResultMessage): void;
  /** A worker's events for a job. */
  events(batch: EventBatch): void;
  /** The queue gave up on the job published with this sequence number, after this many deliveries. */
  exhausted(sequence: number, deliveries: number): void;
}

/** One run on the queue, as the coordinator holds it. */
export interface DispatchRun {
  /**
   * Put a ready job on the queue.
   *
   * @param job The job.
   * @param copy 0 at first; 1, 2… when a worker gave it back and it goes on the queue again (a
   *   new message, its deliveries counted from 1).
   * @returns Its sequence number in the queue.
   */
  publish(job: JobMessage, copy?: number): Promise<number>;
  /** Tell the workers to cancel jobs (or the whole run). */
  cancel(message: CancelMessage): void;
  /** Drop the run's jobs still queued (and only those: other runs share the queue). */
  purge(): Promise<void>;
  /**
   * How far the queue has handed out jobs: a job of a lower sequence number
   * that no worker claimed long after is lost. `undefined` when unknown.
   */
  delivered(): Promise<number | undefined>;
  /** The run is over: drop what is left of it, tell the workers, stop listening. */
  end(): Promise<void>;
}

/** The coordinator's side of the engine. */
export interface Dispatcher {
  /** Where it is connected, for messages. */
  readonly url: string;
  /** Resolves with why, if the connection to the engine is lost. */
  readonly lost: Promise<Error>;
  /**
   * Open a run on the queue. While it is open, the engine answers its
   * workers' liveness probes (`WorkerLink.alive`): a coordinator that died
   * stops answering, and its workers cancel its jobs.
   *
   * @param run The run's id (letters, digits, `-`, `_`).
   * @param handlers What answers the workers.
   * @param options The queue's timing.
   */
  openRun(run: string, handlers: RunHandlers, options: QueueOptions): Promise<DispatchRun>;
  /** Close the connection. */
  close(): Promise<void>;
}

/** A job taken from the queue by a worker. */
export interface Delivery {
  /** The message's payload. */
  text: string;
  /** How many times the queue has handed it out, this time included. */
  delivery: number;
  /** Still working on it: reset the queue's wait. */
  working(): void;
  /** Done with it (reported): remove it from the queue. */
  ack(): void;
  /** Give it back for another worker, now or after a delay. */
  nak(delayMs?: number): void;
  /** Never deliver it again. */
  term(): void;
}

/** How a claim was answered: `gone` when no coordinator listens, `later` when it did not answer in time. */
export type ClaimAnswer = "go" | "no" | "gone" | "later";

/** How a report was answered: `gone` when no coordinator listens, `later` when it did not answer in time. */
export type ReportAnswer = "recorded" | "gone" | "later";

/**
 * Whether a run's coordinator is still there: `yes`; `gone` when nothing
 * listens for the run any more (it exited, was killed, or lost its
 * connection); `later` when it did not answer in time (busy, or cut off:
 * not proof that it is gone).
 */
export type AliveAnswer = "yes" | "gone" | "later";

/** The worker's side of the engine. */
export interface WorkerLink {
  /** Where it is connected, for messages. */
  readonly url: string;
  /** Resolves with why, if the connection to the engine is lost. */
  readonly lost: Promise<Error>;
  /**
   * The next job, or `undefined` when none came for a while (or the link is closing).
   *
   * @param waitMs How long to wait for one.
   */
  next(waitMs: number): Promise<Delivery | undefined>;
  /** Ask the run's coordinator whether to run a job; `gone` when no coordinator answers. */
  claim(run: string, claim: ClaimMessage): Promise<ClaimAnswer>;
  /** Report a job to its coordinator. */
  report(run: string, result: ResultMessage): Promise<ReportAnswer>;
  /** Send a job's events to its coordinator (not confirmed). */
  events(run: string, batch: EventBatch): void;
  /** Ask whether a run's coordinator is still there. */
  alive(run: string): Promise<AliveAnswer>;
  /** Listen for cancellations (`jobs` absent: the whole run) and run ends. */
  listen(
    onCancel: (run: string, message: CancelMessage) => void,
    onEnd: (run: string) => void,
  ): void;
  /** Stop waiting for jobs; flush what is pending and close. */
  close(): Promise<void>;
}
