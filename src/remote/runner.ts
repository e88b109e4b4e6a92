/**
 * The coordinator's runner for a distributed run: it stands inside the
 * cache (so hits never leave the coordinator) and publishes each ready,
 * uncached job to the run's work queue; a worker claims it, streams its
 * events back, and reports its result, which settles the job. Jobs that
 * cannot travel run here, on the in-process runner: `local: true` jobs, jobs
 * without a cache key (no `inputs`), and jobs whose dependency's result
 * cannot be encoded. Delivery is at least once: the first result of a job
 * wins and later ones are ignored.
 *
 * @module
 */

import { encodeValue, UnstorableError } from "../cache/codec.ts";
import type { JobInput, JobRun, JobRunner } from "../engine/runner.ts";
import { GatherError } from "../errors.ts";
import type { EventSink } from "../events.ts";
import type { JobSpec } from "../types.ts";
import type { DispatchRun, QueueOptions, RunHandlers } from "./dispatcher.ts";
import { type DepMessage, type JobMessage, PROTOCOL_VERSION } from "./protocol.ts";
import { RemoteJob } from "./_remote_job.ts";

/** What the runner needs to know of the cache: each job's key, and whether its entry is shared. */
export interface KeySource {
  /** The job's key in this run (`undefined`: not cached; `null`: could not be keyed). */
  keyOf(name: string): string | null | undefined;
  /** What its key was made of. */
  partsOf(name: string): unknown;
  /** Make sure its entry is on the shared cache; `true` once it is. */
  share(name: string): Promise<boolean>;
  /** Why its entry cannot go on the shared cache (signed there with another key), when known. */
  whyNotShared?(name: string): string | undefined;
}

/** Options of {@linkcode RemoteRunner}. */
export interface RemoteRunnerOptions {
  /** Runs the jobs that stay on the coordinator. */
  local: JobRunner;
  /** Receives the workers' events and the runner's warnings. */
  emit: EventSink;
  /** The cache in front of this runner; `undefined` when no job of the run is cached. */
  keys: KeySource | undefined;
  /** The run's id. */
  run: string;
  /** The task file, relative to the project root, and the SHA-256 of its content. */
  task: { file: string; hash: string };
  /** The coordinator's working folder, relative to the project root. */
  cwd: string;
  /** The shared cache the workers use. */
  cache: { url: string; team: string };
  /** `--force`: workers run and store every job. */
  force: boolean;
  /** How long a cancelled job gets to stop, in ms. */
  graceMs: number;
  /** The run's default timeout per attempt, in ms. */
  timeoutMs?: number | undefined;
  /** The queue's timing. */
  queue: QueueOptions;
  /** After this long with jobs waiting and no worker heard from, one warning says so, in ms. @default {30000} */
  idleWarningMs?: number;
}

/**
 * How long past the ack wait a job the queue handed out may go unclaimed
 * before it counts as lost, in ms: a worker's claim waits up to 10s for the
 * coordinator, then the job comes back after 1s.
 */
const LOST_MARGIN_MS = 15_000;

/** Key parts larger than this (as JSON) are not sent: a mismatch is then reported without them. */
const MAX_PARTS_CHARS = 200_000;
/** The largest job message, in characters (a NATS server takes 1 MiB by default). */
const MAX_MESSAGE_CHARS = 900 * 1024;

/**
 * Runs a distributed run's jobs on workers.
 *
 * @example Usage
 * ```ts ignore
 * const runner = new RemoteRunner({ local, emit, keys: cache, run, task, cwd, cache, ... });
 * runner.attach(await dispatcher.openRun(run, runner.handlers, queue), dispatcher.lost);
 * ```
 */
export class RemoteRunner implements JobRunner {
  /** @internal */
  readonly options: RemoteRunnerOptions;
  #dispatch: DispatchRun | undefined;
  #jobs = new Map<string, RemoteJob>();
  #bySequence = new Map<number, RemoteJob>();
  #lost: Error | undefined;
  #warned = new Set<string>();
  /** The jobs whose cancel is to be sent, by cause. */
  #cancelBatch = new Map<string, string[]>();
  /** When a worker was last heard from (a claim, a report, events or its heartbeat). */
  #heard = performance.now();
  #silenceWarned = false;
  #watch: ReturnType<typeof setInterval> | undefined;
  #checking = false;

  /**
   * Prepare the runner; `attach()` gives it its run on the queue.
   *
   * @param options The local runner, the cache, the task file and the timing.
   */
  constructor(options: RemoteRunnerOptions) {
    this.options = options;
  }

  /**
   * Give the runner its run on the queue.
   *
   * @param dispatch The run.
   * @param lost Resolves if the connection is lost: every job on a worker then fails.
   */
  attach(dispatch: DispatchRun, lost: Promise<Error>): void {
    this.#dispatch = dispatch;
    lost.then((error) => {
      this.#lost = error;
      for (const job of this.#jobs.values()) job.fail(error);
    });
  }

  /** What answers the workers. */
  get handlers(): RunHandlers {
    return {
      claim: (claim) => {
        this.#hear();
        const job = this.#jobs.get(claim.job);
        if (job === undefined || !job.claim(claim.worker, claim.delivery)) return false;
        this.options.emit({
          type: "job:worker",
          time: Date.now(),
          job: claim.job,
          worker: claim.worker,
          delivery: claim.delivery,
        });
        return true;
      },
      result: (result) => {
        this.#hear();
        this.#jobs.get(result.job)?.report(result);
      },
      events: (batch) => {
        this.#hear();
        this.#jobs.get(batch.job)?.forward(batch);
      },
      exhausted: (sequence, deliveries) => this.#bySequence.get(sequence)?.exhausted(deliveries),
    };
  }

  /**
   * Start a job: on a worker when it can travel, else here.
   *
   * @param job The job.
   * @param input Its dependencies' results.
   * @returns The running job.
   */
  start(job: JobSpec, input: JobInput): JobRun {
    if (job.local) return this.options.local.start(job, input);
    const key = this.options.keys?.keyOf(job.name);
    if (typeof key !== "string") {
      if (key === undefined) {
        this.warnOnce(
          "no-inputs",
          `jobs without "inputs" run on the coordinator (the first: "${job.name}"): declare inputs and outputs to run them on workers`,
        );
      }
      return this.options.local.start(job, input);
    }
    const remote = new RemoteJob(this, job, input);
    this.#jobs.set(job.name, remote);
    if (this.#lost !== undefined) remote.fail(this.#lost);
    else {
      this.#publish(remote, key).catch((error) =>
        remote.fail(error instanceof Error ? error : new Error(String(error)))
      );
    }
    return remote;
  }

  /**
   * Start a job here, on the coordinator (its outputs from a worker could
   * not be brought to this checkout).
   *
   * @param job The job.
   * @param input Its dependencies' results.
   * @returns The running job.
   */
  startHere(job: JobSpec, input: JobInput): JobRun {
    return this.options.local.start(job, input);
  }

  /** Wait for the jobs run here; then drop what is left of the run on the queue. */
  async drain(): Promise<void> {
    clearInterval(this.#watch);
    await this.options.local.drain?.();
    await Promise.all([...this.#jobs.values()].map((job) => job.settled));
    if (this.#lost === undefined) await this.#dispatch?.end().catch(() => {});
  }

  /**
   * @internal Ask the workers to cancel a job; when every job left is cancelled, the whole run.
   * The jobs cancelled at once go in one message per cause: the cause alone (`interrupted by
   * SIGINT`), since each worker names its own job (`Job "x" was cancelled: …`).
   */
  requestCancel(name: string, reason: Error): void {
    const cause = cancelCause(name, reason);
    const batch = this.#cancelBatch;
    const first = batch.size === 0;
    batch.set(cause, [...batch.get(cause) ?? [], name]);
    if (!first) return;
    queueMicrotask(() => {
      const causes = [...batch];
      batch.clear();
      const everyJob = [...this.#jobs.values()].every((job) => job.done || job.cancelling);
      if (everyJob && causes.length === 1) {
        this.#dispatch?.cancel({ reason: causes[0]![0] });
        this.#dispatch?.purge().catch(() => {});
        return;
      }
      for (const [reason, jobs] of causes) this.#dispatch?.cancel({ jobs, reason });
      if (everyJob) this.#dispatch?.purge().catch(() => {});
    });
  }

  /**
   * @internal A job's result came in while other workers may still run it (it was
   * redelivered while the worker before was silent, not dead): tell them to stop.
   */
  cancelCopies(job: string, workers: string[], reason: string): void {
    this.#dispatch?.cancel({ jobs: [job], workers, reason });
  }

  /** @internal Emit a warning once per cause. */
  warnOnce(cause: string, message: string, job?: string): void {
    if (this.#warned.has(cause)) return;
    this.#warned.add(cause);
    this.options.emit({ type: "warning", time: Date.now(), ...(job ? { job } : {}), message });
  }

  async #publish(remote: RemoteJob, key: string): Promise<void> {
    const { job, input } = remote;
    const keys = this.options.keys!;
    const deps: DepMessage[] = [];
    for (const dep of job.deps) {
      const depKey = keys.keyOf(dep);
      if (typeof depKey === "string") {
        if (!await keys.share(dep)) {
          const refused = keys.whyNotShared?.(dep);
          if (refused === undefined) {
            return remote.runLocally(
              `the entry of its dependency "${dep}" is not on the remote cache, so a worker could not restore it`,
            );
          }
          const by = this.#jobs.get(dep)?.reportedBy;
          const who = by === undefined
            ? "a machine signs with another key"
            : `it ran on ${by}, which signs with another key than this machine`;
          return remote.runLocally(
            `the entry of its dependency "${dep}" cannot go on the remote cache (${who}): ${refused}, so a worker could not restore it; give every machine the same GATHER_REMOTE_CACHE_SIGNATURE_KEY`,
            undefined,
            false,
          );
        }
        deps.push({ name: dep, key: depKey });
        continue;
      }
      try {
        deps.push({ name: dep, result: encodeValue(input.deps.get(dep)) });
      } catch (error) {
        if (!(error instanceof UnstorableError)) throw error;
        return remote.runLocally(
          `its dependency "${dep}" returned a value that cannot travel to a worker (${error.message})`,
        );
      }
    }
    if (remote.done || remote.cancelling) return;
    const options = this.options;
    const message: JobMessage = {
      v: PROTOCOL_VERSION,
      run: options.run,
      job: job.name,
      key,
      taskFile: options.task.file,
      taskHash: options.task.hash,
      cwd: options.cwd,
      deps,
      cache: options.cache,
      force: options.force,
      graceMs: options.graceMs,
      ackWaitMs: options.queue.ackWaitMs,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    };
    const parts = keys.partsOf(job.name);
    if (parts !== undefined && JSON.stringify(parts).length <= MAX_PARTS_CHARS) {
      message.parts = parts;
    }
    const size = JSON.stringify(message).length;
    if (size > MAX_MESSAGE_CHARS) {
      return remote.runLocally(
        `its message (its dependencies' results) would be ${size} characters, more than a NATS message takes`,
      );
    }
    remote.message = message;
    await this.enqueue(remote, 0);
  }

  /**
   * @internal Put a job's message on the queue: at first (`copy` 0), and again (1, 2…) as a new
   * message when a worker gave it back, so that a give-back never counts toward the delivery limit.
   */
  async enqueue(remote: RemoteJob, copy: number): Promise<void> {
    const name = remote.job.name;
    if (remote.sequence !== undefined) this.#bySequence.delete(remote.sequence);
    remote.sequence = undefined;
    remote.queued(); // before it is published: a worker may claim it before the queue's ack comes
    try {
      const sequence = await this.#dispatch!.publish(remote.message!, copy);
      this.#bySequence.set(sequence, remote);
      remote.sequence = sequence;
    } catch (error) {
      remote.fail(
        new GatherError(
          "NATS_LOST",
          `Cannot publish "${name}" to the NATS server: ${(error as Error).message}`,
          { job: name, cause: error },
        ),
      );
      return;
    }
    this.#startWatch();
  }

  /**
   * A job the queue has handed out (its consumer is past it) that no worker
   * claimed within the ack wait and a claim's timeout (plus a margin) was
   * taken off the queue without reaching a worker: it would wait forever, so
   * it fails, saying so.
   */
  async #checkLost(waiting: RemoteJob[], now: number): Promise<void> {
    const unclaimed = waiting.filter((job) => job.deliveries === 0 && job.sequence !== undefined);
    if (unclaimed.length === 0 || this.#checking) return;
    this.#checking = true;
    try {
      const delivered = await this.#dispatch?.delivered();
      if (delivered === undefined) return;
      const graceMs = this.options.queue.ackWaitMs + LOST_MARGIN_MS;
      for (const job of unclaimed) {
        if (job.sequence! > delivered || job.deliveries > 0 || job.done) continue;
        job.passedAt ??= now;
        if (now - job.passedAt > graceMs) job.undelivered(Math.round(graceMs / 1000));
      }
    } finally {
      this.#checking = false;
    }
  }

  #hear(): void {
    this.#heard = performance.now();
    this.#silenceWarned = false;
  }

  /**
   * Every few seconds: a job on its last delivery whose worker went silent
   * has reached the delivery limit (the queue itself says so only when some
   * worker asks for a job, and there may be none left); and one warning when
   * jobs wait and no worker has been heard from for a while.
   */
  #startWatch(): void {
    if (this.#watch !== undefined) return;
    const { ackWaitMs, maxDeliveries } = this.options.queue;
    const idleMs = this.options.idleWarningMs ?? 30_000;
    this.#watch = setInterval(() => {
      const now = performance.now();
      const waiting = [...this.#jobs.values()].filter((job) => !job.done && !job.local);
      for (const job of waiting) {
        if (job.deliveries >= maxDeliveries && now - job.lastSeen > ackWaitMs + 1_000) {
          job.exhausted(job.deliveries);
        }
      }
      this.#checkLost(waiting, now).catch(() => {});
      if (waiting.length > 0 && now - this.#heard > idleMs && !this.#silenceWarned) {
        this.#silenceWarned = true;
        this.options.emit({
          type: "warning",
          time: Date.now(),
          message: `no worker has been heard from for ${Math.round(idleMs / 1000)}s, and ${
            waiting.length === 1 ? "1 job waits" : `${waiting.length} jobs wait`
          }: start some with gather worker --nats <url> in checkouts of the same commit`,
        });
      }
    }, Math.min(5_000, Math.max(250, ackWaitMs / 4)));
    Deno.unrefTimer(this.#watch);
  }
}

/**
 * Why a job is cancelled, without its name: the scheduler's reason is
 * `Job "x" was cancelled: <cause>`, and the workers name each job themselves.
 *
 * @param name The job.
 * @param reason Its cancel's reason.
 * @returns The cause.
 *
 * @example Usage
 * ```ts
 * import { cancelCause } from "./runner.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const reason = new Error('Job "a" was cancelled: interrupted by SIGINT');
 * assertEquals(cancelCause("a", reason), "interrupted by SIGINT");
 * assertEquals(cancelCause("a", new Error("no job needs it now")), "no job needs it now");
 * ```
 */
export function cancelCause(name: string, reason: Error): string {
  const prefix = `Job "${name}" was cancelled: `;
  return reason.message.startsWith(prefix) ? reason.message.slice(prefix.length) : reason.message;
}

export type { RemoteJob };
