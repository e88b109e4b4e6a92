/**
 * What the runs of a watch session share, for as long as it lasts: the
 * job scope, the spawner (a child subreaper, with its watchdog), the
 * in-process runner of the jobs, the service host with the runner of the
 * services, console capture, the exit guard, and the stray sweep (the
 * processes jobs start without `ctx.sh`: stopped when their job stops, at
 * the end of each run but for what a running service started, and on
 * Ctrl-C). Each run points the events at its own reporter; services' output
 * between runs goes to the last one.
 *
 * @module
 */

import { captureConsole, type OutputCapture } from "../diagnostics/console_capture.ts";
import type { Instrument } from "../engine/instrument.ts";
import { InProcessRunner } from "../engine/runners/in_process.ts";
import { JobScope } from "../engine/scope.ts";
import type { EventSink, GatherEvent } from "../events.ts";
import type { JobNames } from "../load/resolve.ts";
import { createSpawner, type Spawner } from "../process/spawn.ts";
import { Cleanup } from "../session/cleanup.ts";
import { guardExit } from "../session/exit_guard.ts";
import { nodeStreams } from "../session/session.ts";
import { StraySweep } from "../session/stray_sweep.ts";
import { childrenOf, killTreesNow } from "../process/children.ts";
import { isGatherError } from "../errors.ts";
import type { JobStatus, Settlement } from "../types.ts";
import { ServiceHost } from "./services.ts";

/** Options of {@linkcode WatchEnvironment}. */
export interface WatchEnvironmentOptions {
  /** Each handle's name. */
  names: JobNames;
  /** How long cancelled jobs and their processes get to stop, in ms. */
  graceMs: number;
  /** Timeout for jobs that set none, in ms. */
  timeoutMs?: number | undefined;
  /** Aborting it kills every process tree at once (the second Ctrl-C). */
  forceSignal: AbortSignal;
  /** Aborts on the first Ctrl-C (or another stopping signal): every stray process is stopped. */
  interrupt: AbortSignal;
  /** Told when a service stops on its own between runs. */
  onServiceExit: (name: string, settlement: Settlement) => void;
  /** Called before gather exits from outside every job (`Deno.exit` in top-level code). */
  beforeExit: () => void;
}

/**
 * The long-lived part of a watch session.
 *
 * @example Usage
 * ```ts ignore
 * const environment = new WatchEnvironment({ names, graceMs: 5000, forceSignal, interrupt, ...callbacks });
 * environment.setRun(emit, cache ? cache.tap(emit) : emit, diagnostics?.instrument);
 * await schedule(graph, { runner, instrument: environment.runInstrument() });
 * await environment.close(); // services stopped, process trees gone
 * ```
 */
export class WatchEnvironment {
  /** Which job runs the current code. */
  readonly scope: JobScope = new JobScope();
  /** Starts every command of the session. */
  readonly spawner: Spawner;
  /** Runs the jobs that are not services. */
  readonly jobs: InProcessRunner;
  /** Keeps the services from run to run. */
  readonly host: ServiceHost;
  #services: InProcessRunner;
  #capture: OutputCapture | undefined;
  #cleanup = new Cleanup();
  #emit: EventSink = () => {};
  #toRunners: EventSink = () => {};
  #instrument: Instrument | undefined;
  #sweep: StraySweep;
  #interrupt: AbortSignal;
  #stopped = false;

  /**
   * Set the session up.
   *
   * @param options Names, grace period, signals and callbacks.
   */
  constructor(options: WatchEnvironmentOptions) {
    this.spawner = createSpawner({ adoptOrphans: true });
    this.#cleanup.defer(() => this.spawner.close());
    this.#cleanup.defer(guardExit(this.scope, () => {
      this.spawner.killAll();
      killTreesNow(childrenOf(Deno.pid)); // everything else the jobs started too: gather ends now
      options.beforeExit();
    }));
    const sweep = this.#sweep = new StraySweep({
      scope: this.scope,
      emit: (event) => this.#emit(event),
      graceMs: options.graceMs,
      force: options.forceSignal,
      known: () => this.spawner.groups,
    });
    this.#interrupt = options.interrupt;
    this.#cleanup.defer(sweep.watchSpawns());
    this.#cleanup.defer(sweep.sweepOnAbort(options.interrupt));
    const downstream: EventSink = (event: GatherEvent) => this.#toRunners(event);
    const instrument: Instrument = {
      jobReturned: (job, ms, later) => this.#instrument?.jobReturned?.(job, ms, later),
      // A job told to stop takes the processes it started without ctx.sh with it, as it takes
      // its commands (a rerun cancels it: its dev server goes before the new one starts). A
      // Ctrl-C's sweep covers every job.
      jobStopping: (job, reason) => {
        if (this.#interrupt.aborted) return;
        const timedOut = isGatherError(reason) && reason.code === "TIMEOUT";
        void sweep.sweepJob(job, timedOut ? "timed out" : "was cancelled");
      },
    };
    const common = {
      scope: this.scope,
      spawner: this.spawner,
      emit: downstream,
      nameOf: (handle: Parameters<JobNames["get"]>[0]) => options.names.get(handle),
      graceMs: options.graceMs,
      forceSignal: options.forceSignal,
      instrument,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    };
    this.jobs = new InProcessRunner(common);
    // Services have a runner of their own: a run's drain() waits for its jobs, not for them.
    const services = this.#services = new InProcessRunner(common);
    this.host = new ServiceHost(services, options.onServiceExit);
  }

  /**
   * Capture the jobs' `console`, `Deno.stdout`/`Deno.stderr` and node stream
   * output into their logs, by the services' runner: a service's line probe
   * reads it.
   *
   * @param fallback Where output outside every job goes.
   */
  async captureOutput(
    fallback: (text: string, stream: "stdout" | "stderr") => void,
  ): Promise<void> {
    const capture = this.#capture = captureConsole(
      { console, stdout: Deno.stdout, stderr: Deno.stderr, ...await nodeStreams() },
      this.scope,
      this.#services.sink,
      fallback,
    );
    this.#cleanup.defer(() => capture.restore());
  }

  /**
   * A job ended: its unfinished output line comes before its end; one that
   * failed takes the processes it started without `ctx.sh` with it.
   *
   * @param job The job's name.
   * @param status How it ended.
   */
  jobEnded(job: string, status: JobStatus): void {
    this.#capture?.endJob(job);
    if (status === "failed" && !this.#interrupt.aborted) void this.#sweep.sweepJob(job, "failed");
  }

  /**
   * What the scheduler of a run calls: the run's diagnostics, and at its
   * end, once its jobs have settled, the stray sweep: what the jobs left
   * running is stopped and reported under them, as at the end of a run
   * without `--watch`; what a service still running started stays with it.
   *
   * @returns The run's instrument.
   */
  runInstrument(): Instrument {
    const inner = this.#instrument;
    return {
      ...inner,
      runEnding: async () => {
        await this.#sweep.sweepSettled(() => new Set(this.host.live));
        await inner?.runEnding?.();
      },
    };
  }

  /**
   * Fail a running job's attempt with an exception its code threw outside
   * its function (the diagnostics call it).
   *
   * @param job The job's name.
   * @param error What it threw.
   * @returns Whether it was running.
   */
  fail(job: string, error: Error): boolean {
    return this.jobs.fail(job, error) || this.#services.fail(job, error);
  }

  /**
   * Point the session's events at a run.
   *
   * @param emit The run's reporter (and diagnostics).
   * @param toRunners What the runners emit into: the run's cache tap, else `emit`.
   * @param instrument The run's diagnostics.
   */
  setRun(emit: EventSink, toRunners: EventSink, instrument: Instrument | undefined): void {
    this.#emit = emit;
    this.#toRunners = toRunners;
    this.#instrument = instrument;
  }

  /**
   * Emit an event to the current run's reporter.
   *
   * @param event The event.
   */
  emit(event: GatherEvent): void {
    this.#emit(event);
  }

  /**
   * Stop every service (their process trees gone) and what the jobs left
   * running, then undo what the session set up.
   */
  async close(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      await this.host.stopAll();
      await this.jobs.drain();
      await this.#sweep.end();
    } finally {
      await this.#cleanup.run();
    }
  }
}
