/**
 * The gathering scheduler: starts every ready job up to the limits, critical
 * path first, hands results to dependents, applies the failure policy, and
 * settles only when every job and subprocess is done.
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import type { EventSink, JobCounts, RunSummaryInfo } from "../events.ts";
import type {
  DepResults,
  FailurePolicy,
  JobReport,
  JobStatus,
  RunStatus,
  Settlement,
} from "../types.ts";
import { GraphResults } from "./_dep_results.ts";
import { countJobs, jobEndEvent, neverStarted, settledOutcome } from "./_outcomes.ts";
import { Slices } from "./_slices.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Graph } from "./graph.ts";
import type { Instrument } from "./instrument.ts";
import { Limiter } from "./limiter.ts";
import { type ServiceCancel, ServiceTracker, type ServiceView } from "./_services.ts";
import type { JobRun, JobRunner, JobWaits } from "./runner.ts";
import { InProcessRunner } from "./runners/in_process.ts";
import { summarize } from "./summary.ts";

/** Options of {@linkcode schedule}. */
export interface ScheduleOptions {
  /** How many jobs may run at once. @default {navigator.hardwareConcurrency} */
  concurrency?: number;
  /**
   * `abort`: cancel running jobs and start nothing new; `finish`: start
   * nothing new, let running jobs end; `continue`: run everything that does
   * not depend on a failed job. @default {"abort"}
   */
  onFailure?: FailurePolicy;
  /** Aborting it cancels the run (Ctrl-C). */
  signal?: AbortSignal;
  /** Aborting it stops waiting for cancelled jobs. */
  forceSignal?: AbortSignal;
  /**
   * Aborting it ends the run as an error in the scheduler's own work does:
   * nothing new starts, running jobs are cancelled and their processes
   * killed at once, and the run rejects with the signal's reason once they
   * are gone (an `onEvent` that failed: the run cannot be observed).
   */
  halt?: AbortSignal;
  /** Receives every event. */
  onEvent?: EventSink;
  /** Starts the jobs. @default {an InProcessRunner with default options} */
  runner?: JobRunner;
  /** Where time is read. @default {systemClock} */
  clock?: Clock;
  /** Told when the scheduler has started a batch, and awaited before `run:end`. */
  instrument?: Instrument;
  /**
   * Keep services running until the run is cancelled, rather than stopping
   * each once no job needs it (when only services were asked for). @default {false}
   */
  keepServices?: boolean;
}

/** How one job ended: the engine's name for the public {@linkcode JobReport}. */
export type JobOutcome = JobReport;

/** The outcome of a whole run. */
export interface ScheduleResult {
  /** `ok`, `failed`, or `cancelled` if the run was interrupted. */
  status: RunStatus;
  /** Wall time of the run, in ms. */
  durationMs: number;
  /** Every job, in graph order. */
  jobs: JobOutcome[];
  /** Jobs by how they ended. */
  counts: JobCounts;
  /** Every failure, first one first. */
  errors: Error[];
  /** The critical path, the slowest jobs and the failures. */
  summary: RunSummaryInfo;
}

/**
 * Run a graph.
 *
 * @param graph The jobs and their dependencies.
 * @param options Limits, failure policy, cancellation, the event sink and the runner.
 * @returns How the run and each job ended; never rejects for a job's failure.
 *
 * @example Usage
 * ```ts
 * import { schedule } from "./scheduler.ts";
 * import { InProcessRunner } from "./runners/in_process.ts";
 * import { buildGraph } from "./graph.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = job(() => 20);
 * const b = job({ deps: [a] }, (ctx) => ctx.result(a) + 1);
 * const { specs, names } = resolveJobs([["a", a], ["b", b]], "example");
 * const runner = new InProcessRunner({ nameOf: (h) => names.get(h) });
 * const result = await schedule(buildGraph(specs, ["b"]), { runner });
 * assertEquals(result.jobs.map((j) => j.result), [20, 21]);
 * ```
 */
export function schedule(graph: Graph, options: ScheduleOptions = {}): Promise<ScheduleResult> {
  return new Scheduler(graph, options).run();
}

const NO_RESULTS: DepResults = new Map();
const NO_NAMES: string[] = Object.freeze([]) as unknown as string[];

class Scheduler {
  #graph: Graph;
  #options: ScheduleOptions;
  #emit: EventSink;
  #clock: Clock;
  #runner: JobRunner;
  #concurrency: number;
  #limiter: Limiter;
  #waiting: Int32Array;
  /** 1 once a job's dependents were released (when it settled ok, or when it was ready). */
  #released: Uint8Array;
  #outcomes: (JobOutcome | undefined)[];
  #results: unknown[];
  #running = new Map<number, JobRun>();
  /** Jobs that failed, in the order they failed. */
  #failed: number[] = [];
  #stopping = false;
  #interrupted = false;
  #forceSignal: AbortSignal;
  #finished = false;
  #slices = new Slices();
  /** Goes on with the work of a slice that yielded, in the event loop's next turn. */
  #resume = () => this.#guard(() => this.#pump());
  #startedAny = false;
  #t0 = 0;
  /** The epoch time at #t0: event times are read off the run's one clock, not a second call. */
  #epoch0 = 0;
  #done!: () => void;
  /** Services: when each is no longer needed; `undefined` in a run without any. */
  #services: ServiceTracker | undefined;
  #serviceView: ServiceView | undefined;
  /** When each job started (clock ms), for `job:ready`. */
  #startAt: Float64Array;
  /** 1 once a job gave its slot back before it settled (a ready service). */
  #slotFreed: Uint8Array;
  /** When each service became ready (clock ms; 0: not ready). */
  #readyAt: Float64Array;
  /** What broke the scheduler's own bookkeeping (an event sink that threw, say), if anything did. */
  #broken: { error: unknown } | undefined;
  /** The jobs cancelled because a service they use failed, with the error and the reason. */
  #serviceCancels = new Map<number, ServiceCancel>();
  /** Jobs that waited before they ran (a distributed run's queue): since when, and when they began (clock ms). */
  #waits = new Map<
    number,
    { queuedAt: number; beganAt: number | undefined; waiting: boolean }
  >();
  /** Given to runners with every job: where they say a job waits, and when it begins to run. */
  #waitHooks: JobWaits = {
    queued: (name) => this.#guard(() => this.#queued(name)),
    began: (name) => this.#guard(() => this.#began(name)),
  };

  constructor(graph: Graph, options: ScheduleOptions) {
    const concurrency = options.concurrency ?? navigator.hardwareConcurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(
        `Cannot run with concurrency ${concurrency}: expected a whole number >= 1`,
      );
    }
    this.#graph = graph;
    this.#options = options;
    this.#concurrency = concurrency;
    this.#emit = options.onEvent ?? (() => {});
    this.#clock = options.clock ?? systemClock;
    this.#runner = options.runner ??
      new InProcessRunner({
        emit: this.#emit,
        ...(options.forceSignal ? { forceSignal: options.forceSignal } : {}),
      });
    this.#limiter = new Limiter(concurrency, graph.priority, (i) => graph.jobs[i]!.pool);
    this.#waiting = new Int32Array(graph.jobs.length);
    for (let i = 0; i < graph.jobs.length; i++) {
      this.#waiting[i] = graph.depStart[i + 1]! - graph.depStart[i]!;
    }
    this.#released = new Uint8Array(graph.jobs.length);
    this.#outcomes = new Array(graph.jobs.length);
    this.#results = new Array(graph.jobs.length);
    this.#forceSignal = options.forceSignal ?? new AbortController().signal;
    this.#startAt = new Float64Array(graph.jobs.length);
    this.#slotFreed = new Uint8Array(graph.jobs.length);
    this.#readyAt = new Float64Array(graph.jobs.length);
    const services = new ServiceTracker(graph, options.keepServices === true);
    if (services.any) {
      this.#services = services;
      this.#serviceView = {
        ended: (i) => this.#outcomes[i] !== undefined,
        running: (i) => this.#running.has(i),
        released: (i) => this.#released[i] === 1,
        stopping: () => this.#stopping,
      };
    }
  }

  async run(): Promise<ScheduleResult> {
    const { signal, halt } = this.#options;
    const finished = new Promise<void>((resolve) => this.#done = resolve);
    const onInterrupt = () => this.#interrupt(signal?.reason);
    const onForce = () => this.#running.forEach((job) => job.force());
    const onHalt = () =>
      this.#guard(() => {
        throw halt?.reason;
      });
    this.#t0 = this.#clock.now();
    this.#epoch0 = this.#clock.epochMs();
    this.#emit({
      type: "run:start",
      time: this.#epoch0,
      jobs: this.#graph.jobs.map((spec, i) => ({ name: spec.name, deps: this.#depNames(i) })),
      concurrency: this.#concurrency,
    });
    signal?.addEventListener("abort", onInterrupt, { once: true });
    this.#forceSignal.addEventListener("abort", onForce, { once: true });
    halt?.addEventListener("abort", onHalt, { once: true });
    try {
      if (halt?.aborted) onHalt();
      for (let i = 0; i < this.#waiting.length; i++) {
        if (this.#waiting[i] === 0) this.#limiter.push(i);
      }
      if (signal?.aborted) this.#interrupt(signal.reason);
      this.#pump();
      await finished;
      await this.#runner.drain?.();
      await this.#options.instrument?.runEnding?.();
      if (this.#broken) throw this.#broken.error;
    } finally {
      signal?.removeEventListener("abort", onInterrupt);
      this.#forceSignal.removeEventListener("abort", onForce);
      halt?.removeEventListener("abort", onHalt);
    }
    return this.#result();
  }

  /** The names of a job's deps: its spec's own list when it names each dep once. */
  #depNames(i: number): string[] {
    const { depStart, depList, jobs } = this.#graph;
    const from = depStart[i]!;
    const count = depStart[i + 1]! - from;
    if (count === 0) return NO_NAMES;
    if (count === jobs[i]!.deps.length) return jobs[i]!.deps;
    return Array.from(depList.subarray(from, from + count), (dep) => jobs[dep]!.name);
  }

  #pump(now: number = this.#clock.now()): void {
    const more = this.#limiter.waiting > 0 && !this.#stopping;
    if (!this.#slices.enter(now, more, this.#resume)) return;
    while (!this.#stopping) {
      const next = this.#limiter.take();
      if (next === undefined) break;
      this.#start(next);
    }
    // Also after a pump that started nothing: a retry started by its own timer counts as started.
    if (this.#startedAny) this.#options.instrument?.batchStarted?.();
    if (this.#running.size === 0 && !this.#slices.resumePending) this.#finish();
  }

  #start(i: number): void {
    const { jobs, depStart, depList } = this.#graph;
    const spec = jobs[i]!;
    const deps = depStart[i] === depStart[i + 1]
      ? NO_RESULTS
      : new GraphResults(jobs, this.#results, depList, depStart[i], depStart[i + 1]);
    const startMs = this.#clock.now();
    this.#startAt[i] = startMs;
    this.#startedAny = true;
    this.#emit({ type: "job:start", time: this.#epochAt(startMs), job: spec.name, attempt: 1 });
    // Its job:start halted the run: it does not start.
    if (this.#broken) return;
    const run = this.#runner.start(spec, { deps, waits: this.#waitHooks });
    this.#running.set(i, run);
    this.#services?.started(i);
    run.ready?.then((value) => this.#guard(() => this.#ready(i, value)), () => {});
    run.settled.then((settlement) => this.#guard(() => this.#settled(i, settlement, startMs)));
    // Its start halted the run (its first log line failed onEvent): it stops too.
    if (this.#broken) {
      run.cancel(this.#brokenError(spec.name));
      run.force();
    }
  }

  /**
   * A job is ready before it ends (a service): its dependents may start, and
   * it gives its slot back, so a server waiting for requests holds none
   * (`-j 1` runs a service and its dependent).
   */
  #ready(i: number, value: unknown): void {
    if (this.#outcomes[i] !== undefined || this.#released[i] === 1) return;
    const spec = this.#graph.jobs[i]!;
    const now = this.#clock.now();
    this.#readyAt[i] = Math.max(now, Number.MIN_VALUE);
    this.#emit({
      type: "job:ready",
      time: this.#epochAt(now),
      job: spec.name,
      probe: spec.service?.probeText ?? "ready",
      durationMs: Math.round((now - this.#startAt[i]!) * 100) / 100,
      ...(typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? { value }
        : {}),
    });
    this.#results[i] = value;
    this.#slotFreed[i] = 1;
    this.#limiter.release(i);
    this.#release(i);
    this.#stopUnneededServices();
    this.#pump();
  }

  /**
   * A running job waits before it runs (in a distributed run's work queue): it is not running
   * yet; or waits again (its worker gave it back), still timed from when it first began.
   */
  #queued(name: string): void {
    const i = this.#graph.index.get(name);
    if (i === undefined || !this.#running.has(i)) return;
    const now = this.#clock.now();
    const wait = this.#waits.get(i);
    if (wait === undefined) {
      this.#waits.set(i, { queuedAt: now, beganAt: undefined, waiting: true });
    } else if (wait.waiting) return;
    else wait.waiting = true;
    this.#emit({ type: "job:queued", time: this.#epochAt(now), job: name });
  }

  /** A job that waited begins to run: it is timed from its first beginning. */
  #began(name: string): void {
    const i = this.#graph.index.get(name);
    const wait = i === undefined ? undefined : this.#waits.get(i);
    if (wait === undefined) return;
    wait.waiting = false;
    wait.beganAt ??= this.#clock.now();
  }

  /** Stop the services no job needs any more (each ends `ok`). */
  #stopUnneededServices(): void {
    if (this.#services === undefined) return;
    for (const s of this.#services.toStop(this.#serviceView!)) {
      const run = this.#running.get(s)!;
      if (run.stop) run.stop();
      else run.cancel(new GatherError("CANCELLED", "no job needs it now", { job: this.#name(s) }));
    }
  }

  /** A service failed while jobs used it: they cannot go on, whatever the failure policy. */
  #cancelUsersOf(i: number, error: Error | undefined): void {
    for (const cancel of this.#services!.usersToCancel(i, error, this.#serviceView!)) {
      this.#serviceCancels.set(cancel.user, cancel);
      this.#running.get(cancel.user)!.cancel(cancel.error);
    }
  }

  #name(i: number): string {
    return this.#graph.jobs[i]!.name;
  }

  /** Hand a job's result on: its dependents with nothing else to wait for become ready. */
  #release(i: number): void {
    this.#released[i] = 1;
    const { dependentStart, dependentList } = this.#graph;
    for (let k = dependentStart[i]!; k < dependentStart[i + 1]!; k++) {
      const user = dependentList[k]!;
      if (--this.#waiting[user]! === 0 && this.#outcomes[user] === undefined) {
        this.#limiter.push(user);
      }
    }
  }

  #settled(i: number, settlement: Settlement, startMs: number): void {
    this.#running.delete(i);
    if (this.#slotFreed[i] === 0) this.#limiter.release(i);
    this.#services?.settled(i);
    const now = this.#clock.now();
    const name = this.#graph.jobs[i]!.name;
    const wait = this.#waits.get(i);
    if (wait !== undefined) this.#waits.delete(i);
    const outcome = settledOutcome(
      name,
      settlement,
      startMs,
      now,
      this.#t0,
      this.#readyAt[i]!,
      wait,
    );
    const cancel = this.#serviceCancels.size > 0 ? this.#serviceCancels.get(i) : undefined;
    if (cancel !== undefined) {
      this.#serviceCancels.delete(i);
      // Cancelled by the service's failure, not by something before it (Ctrl-C): its job:end says why.
      if (settlement.status === "cancelled" && settlement.error === cancel.error) {
        outcome.reason = cancel.reason;
      }
    }
    if (settlement.status === "ok" && this.#released[i] === 0) {
      this.#results[i] = settlement.result;
    }
    this.#end(i, outcome, now);
    if (settlement.status === "ok") {
      if (this.#released[i] === 0) this.#release(i);
    } else if (settlement.status === "failed") {
      if (this.#released[i] === 1 && this.#services?.isService(i)) {
        this.#cancelUsersOf(i, settlement.error);
      }
      this.#failed.push(i);
      this.#skipDependents(i);
      const policy = this.#options.onFailure ?? "abort";
      if (policy !== "continue") this.#stop();
      if (policy === "abort") this.#cancelRunning(`"${outcome.name}" failed`);
    }
    this.#pump(now);
  }

  /** The epoch time of a clock reading: whole ms, as `Date.now()` gives. */
  #epochAt(now: number): number {
    return Math.round(this.#epoch0 + (now - this.#t0));
  }

  #end(i: number, outcome: JobOutcome, now: number = this.#clock.now()): void {
    this.#outcomes[i] = outcome;
    this.#services?.ended(i);
    this.#emit(jobEndEvent(outcome, this.#epochAt(now)));
    this.#stopUnneededServices();
  }

  #skipDependents(failed: number): void {
    const failedName = this.#graph.jobs[failed]!.name;
    const { dependentStart, dependentList } = this.#graph;
    const dependentsOf = (i: number) =>
      dependentList.subarray(dependentStart[i], dependentStart[i + 1]);
    const stack = [...dependentsOf(failed)];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (this.#outcomes[i] !== undefined || this.#running.has(i)) continue;
      this.#end(i, this.#neverStarted(i, "skipped", `dependency "${failedName}" failed`));
      stack.push(...dependentsOf(i));
    }
  }

  #neverStarted(i: number, status: JobStatus, reason: string): JobOutcome {
    return neverStarted(this.#graph.jobs[i]!.name, status, reason);
  }

  #stop(): void {
    this.#stopping = true;
    this.#limiter.clear();
    this.#stopUnneededServices();
  }

  #cancelRunning(why: string): void {
    for (const [i, running] of this.#running) {
      const name = this.#graph.jobs[i]!.name;
      running.cancel(
        new GatherError("CANCELLED", `Job "${name}" was cancelled: ${why}`, { job: name }),
      );
    }
  }

  #interrupt(reason: unknown): void {
    if (this.#interrupted) return;
    this.#interrupted = true;
    this.#stop();
    const why = reason instanceof Error ? reason.message : "the run was interrupted";
    this.#emit({ type: "run:cancel", time: this.#clock.epochMs(), reason: why });
    this.#cancelRunning(why);
    this.#pump();
  }

  /**
   * Run a step of the scheduler's own work. If it throws (an event sink that
   * throws, a bug), the run cannot go on: nothing new starts, running jobs
   * are cancelled and their processes killed, and `run()` rejects with the
   * error once they are gone, instead of waiting forever for a step that
   * never finished.
   */
  #guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      if (this.#broken) return;
      this.#broken = { error };
      this.#stop();
      this.#running.forEach((job, i) => {
        job.cancel(this.#brokenError(this.#name(i)));
        job.force();
      });
      this.#running.clear();
      this.#finished = true;
      this.#done();
    }
  }

  #brokenError(name: string): GatherError {
    const why = "the run stopped on an error in gather's own work";
    return new GatherError("CANCELLED", `Job "${name}" was cancelled: ${why}`, { job: name });
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const why = this.#interrupted ? "the run was interrupted" : "the run stopped after a failure";
    this.#graph.jobs.forEach((_, i) => {
      if (this.#outcomes[i] === undefined) this.#end(i, this.#neverStarted(i, "cancelled", why));
    });
    this.#done();
  }

  #result(): ScheduleResult {
    const errors = this.#failed.map((i) => this.#outcomes[i]!.error!);
    const jobs = this.#outcomes as JobOutcome[];
    const counts = countJobs(jobs);
    const status: RunStatus = this.#interrupted ? "cancelled" : counts.failed > 0 ? "failed" : "ok";
    const durationMs = this.#clock.now() - this.#t0;
    const summary = summarize(this.#graph, jobs, this.#failed);
    this.#emit({
      type: "run:end",
      time: this.#clock.epochMs(),
      status,
      counts,
      durationMs: Math.round(durationMs * 100) / 100,
      ...(errors[0] ? { firstFailure: errors[0].message } : {}),
      summary,
    });
    return { status, durationMs, jobs, counts, errors, summary };
  }
}
