/**
 * The one place a run is assembled, for the CLI and for `run()` alike:
 * reporters, diagnostics, console capture and history around the engine,
 * each patch of a global undone in reverse order when the run ends.
 *
 * @module
 */

import {
  captureConsole,
  type NodeStream,
  type OutputCapture,
} from "../diagnostics/console_capture.ts";
import { Diagnostics } from "../diagnostics/diagnostics.ts";
import { InProcessRunner } from "../engine/runners/in_process.ts";
import type { JobRunner } from "../engine/runner.ts";
import { schedule, type ScheduleResult } from "../engine/scheduler.ts";
import type { Instrument } from "../engine/instrument.ts";
import { JobScope } from "../engine/scope.ts";
import type { DiagnosticEvent, EventSink, GatherEvent } from "../events.ts";
import type { Reporter } from "../reporters/reporter.ts";
import type { FailurePolicy } from "../types.ts";
import { createSpawner } from "../process/spawn.ts";
import { childrenOf, killTreesNow } from "../process/children.ts";
import { Cleanup } from "./cleanup.ts";
import { guardExit } from "./exit_guard.ts";
import { StraySweep } from "./stray_sweep.ts";
import { isGatherError } from "../errors.ts";
import type { RunPlan } from "./plan.ts";
import { Observer } from "./_observer.ts";

/** How the diagnostics watch a run. */
export interface SessionDiagnostics {
  /** Watch for event-loop stalls (and start the profiler when needed). */
  stalls: boolean;
  /** Report stalls longer than this, in ms. @default {100} */
  stallThresholdMs?: number;
  /** Sites are shown relative to this directory. @default {Deno.cwd()} */
  cwd?: string;
  /** Deno's cache directory, to map emitted lines to TypeScript lines. */
  denoDir?: string;
}

/** Options of {@linkcode runSession}. */
export interface SessionOptions {
  /** How many jobs may run at once. @default {navigator.hardwareConcurrency} */
  concurrency?: number;
  /** What to do when a job fails. @default {"abort"} */
  onFailure?: FailurePolicy;
  /** Timeout for jobs that set none, in ms. @default {no limit} */
  timeoutMs?: number;
  /** How long cancelled jobs and their processes get to stop, in ms. @default {5000} */
  graceMs?: number;
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
  /** Aborting it stops waiting for cancelled jobs and kills their processes. */
  forceSignal?: AbortSignal;
  /** Receives every event first (the CLI's reporter). */
  reporter?: Reporter;
  /**
   * Receives every event, after the reporter. A throw, or a returned promise
   * that rejects, stops the run (its jobs cancelled and their processes
   * killed) and makes it reject with that error; it then gets no more
   * events. The run settles once every promise it returned has settled
   * (or `forceSignal` aborts).
   */
  onEvent?: EventSink;
  /** Watch the run for the mistakes async code hides. @default {off: no listener is added} */
  diagnostics?: SessionDiagnostics;
  /**
   * Diagnostics fail the run (`--strict`): a run whose jobs all succeeded ends
   * `failed` when one was raised, in `run:end` and the result. @default {false}
   */
  strict?: boolean;
  /** The cache's size cap in bytes, enforced after the run. @default {5 GB} */
  cacheMaxBytes?: number;
  /**
   * Make this process a child subreaper for the run, so processes that leave
   * a job's process group (`setsid`, daemons) come back to it and are
   * stopped when their command ends. Process-wide: for the CLI, which owns
   * its process. @default {false}
   */
  adoptOrphans?: boolean;
  /**
   * Stop the processes jobs started outside gather's machinery (`new
   * Deno.Command(...).spawn()`, `node:child_process`) that are still running
   * when the run is interrupted or ends, and report them (`stray-process`).
   * For a program that owns its process (the CLI): any other child of it
   * would count too. @default {false}
   */
  stopStrays?: boolean;
  /**
   * Route `console` output and writes to `Deno.stdout`/`Deno.stderr` inside jobs to their
   * logs; console output and stdout writes outside every job go to `fallback`.
   */
  captureConsole?: { fallback: (text: string, stream: "stdout" | "stderr") => void };
  /**
   * Put another runner in place of the in-process one, inside the cache (a
   * distributed run's coordinator): it gets the in-process runner for the
   * jobs it keeps, and closes after the run.
   */
  wrapRunner?: (local: JobRunner, emit: EventSink) => Promise<WrappedRunner>;
}

/** A runner in place of the in-process one, and how to let go of it after the run. */
export interface WrappedRunner {
  /** The runner. */
  runner: JobRunner;
  /** Called once the run is over. */
  close(): Promise<void>;
}

/** How a session ended. */
export interface SessionResult extends ScheduleResult {
  /** Every diagnostic of the run, in order. */
  diagnostics: DiagnosticEvent[];
}

/**
 * Run a plan with everything around the engine.
 *
 * @param plan The graph and names.
 * @param options Limits, signals, reporter, diagnostics, console capture.
 * @returns How the run ended, with its diagnostics.
 *
 * @example Usage
 * ```ts
 * import { runSession } from "./session.ts";
 * import { planRun } from "./plan.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { specs, names } = resolveJobs([["a", job(() => 1)]], "x");
 * const plan = planRun(specs, names, ["a"], { source: "x" });
 * const result = await runSession(plan, { diagnostics: { stalls: false } });
 * assertEquals(result.status, "ok");
 * assertEquals(result.diagnostics, []);
 * ```
 */
export async function runSession(
  plan: RunPlan,
  options: SessionOptions = {},
): Promise<SessionResult> {
  if (options.onEvent === undefined) return await runObserved(plan, options, undefined);
  const observer = new Observer(options.onEvent);
  let result: SessionResult;
  try {
    result = await runObserved(plan, options, observer);
    await observer.settled(options.forceSignal);
  } catch (error) {
    throw observer.failure ? observer.failure.error : error;
  }
  if (observer.failure) throw observer.failure.error;
  return result;
}

async function runObserved(
  plan: RunPlan,
  options: SessionOptions,
  observer: Observer | undefined,
): Promise<SessionResult> {
  const { graph, names } = plan;
  const cleanup = new Cleanup();
  const diagnosticEvents: DiagnosticEvent[] = [];
  const { reporter } = options;
  let diagnostics: Diagnostics | undefined;
  let started = false;
  let capture: OutputCapture | undefined;
  let historyOff = plan.history?.warning;
  let onJobFailed: ((job: string) => void) | undefined;
  /** The latest event time: times never go back in the stream (events read two clocks, or a job's fake one). */
  let lastTime = -Infinity;
  const emit = (emitted: GatherEvent) => {
    const said = emitted.type === "run:start" && options.wrapRunner !== undefined
      ? { ...emitted, workQueue: true as const } // its jobs may wait in a work queue
      : emitted;
    const given = said.time >= lastTime ? said : { ...said, time: lastTime };
    lastTime = given.time;
    const event = options.strict && given.type === "run:end" && given.status === "ok" &&
        diagnosticEvents.length > 0
      ? {
        ...given,
        status: "failed" as const,
        firstFailure: strictFailure(diagnosticEvents.length),
      }
      : given;
    if (event.type === "job:end") {
      capture?.endJob(event.job); // its unfinished line comes first
      if (event.status === "failed") onJobFailed?.(event.job);
    }
    reporter?.handle(event);
    if (!started && event.type === "job:start") {
      started = true;
      reporter?.flush?.(); // the first job shows at once, before a profiler's start-up
    }
    if (event.type === "diagnostic") diagnosticEvents.push(event);
    diagnostics?.observe(event);
    observer?.deliver(event);
    // Said once the run has started, so that every reporter shows it: the history is off.
    if (event.type === "run:start" && historyOff !== undefined) {
      const message = historyOff;
      historyOff = undefined;
      emit({ type: "warning", time: Date.now(), message });
    }
  };
  try {
    if (reporter) cleanup.defer(() => reporter.close());
    const scope = new JobScope();
    let instrument: Instrument | undefined;
    // The diagnostics fail a job whose callback threw through the runner, made below.
    const late: { runner?: InProcessRunner } = {};
    if (options.diagnostics) {
      const watch = options.diagnostics;
      const watcher = diagnostics = new Diagnostics({
        emit,
        scope,
        fnOf: (name) => graph.jobs[graph.index.get(name) ?? -1]?.fn,
        stalls: watch.stalls,
        timers: globalThis,
        failJob: (job, error) => late.runner?.fail(job, error) ?? false,
        ...(watch.stallThresholdMs === undefined
          ? {}
          : { stallThresholdMs: watch.stallThresholdMs }),
        ...(watch.cwd === undefined ? {} : { cwd: watch.cwd }),
        ...(watch.denoDir === undefined ? {} : { denoDir: watch.denoDir }),
      });
      await watcher.start();
      cleanup.defer(() => watcher.stop());
      instrument = watcher.instrument;
    }
    // Captured output goes by the runner, made below, as the jobs' other output does: a
    // service's line probe reads it too.
    let captured: EventSink = emit;
    if (options.captureConsole) {
      const { fallback } = options.captureConsole;
      const patched = capture = captureConsole(
        { console, stdout: Deno.stdout, stderr: Deno.stderr, ...await nodeStreams() },
        scope,
        (event) => captured(event),
        fallback,
      );
      cleanup.defer(() => patched.restore());
    }
    const spawner = createSpawner({ adoptOrphans: options.adoptOrphans === true });
    cleanup.defer(() => spawner.close());
    // A job calling Deno.exit() fails; an exit from outside every job still leaves nothing behind.
    cleanup.defer(guardExit(scope, (code) => {
      spawner.killAll();
      // Everything else it started too: gather ends now.
      if (options.stopStrays) killTreesNow(childrenOf(Deno.pid));
      emit({ type: "warning", time: Date.now(), message: outsideExit(code) });
      reporter?.close();
    }));
    if (options.stopStrays) {
      const sweep = new StraySweep({
        scope,
        emit,
        graceMs: options.graceMs ?? 5_000,
        known: () => spawner.groups,
        ...(options.forceSignal === undefined ? {} : { force: options.forceSignal }),
      });
      cleanup.defer(sweep.watchSpawns());
      if (options.signal) cleanup.defer(sweep.sweepOnAbort(options.signal));
      const inner = instrument;
      // A job that stops takes the processes it started without ctx.sh with it, as it takes its
      // commands: at once when it is told to stop (a job waiting for one then ends), and when it
      // fails. An interrupted run's sweep covers every job.
      const interrupted = () => options.signal?.aborted === true;
      instrument = {
        ...inner,
        jobStopping: (job, reason) => {
          inner?.jobStopping?.(job, reason);
          if (interrupted()) return;
          const timedOut = isGatherError(reason) && reason.code === "TIMEOUT";
          void sweep.sweepJob(job, timedOut ? "timed out" : "was cancelled");
        },
        runEnding: async () => {
          await sweep.end();
          await inner?.runEnding?.();
        },
      };
      onJobFailed = (job) => {
        if (!interrupted()) void sweep.sweepJob(job, "failed");
      };
    }
    const inProcess = late.runner = new InProcessRunner({
      scope,
      spawner,
      emit: plan.cache ? plan.cache.tap(emit) : emit,
      nameOf: (handle) => names.get(handle),
      ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.forceSignal === undefined ? {} : { forceSignal: options.forceSignal }),
      ...(instrument === undefined ? {} : { instrument }),
    });
    captured = inProcess.sink;
    let inner: JobRunner = inProcess;
    if (options.wrapRunner) {
      const wrapped = await options.wrapRunner(inProcess, plan.cache ? plan.cache.tap(emit) : emit);
      cleanup.defer(() => wrapped.close());
      inner = wrapped.runner;
    }
    const runner = plan.cache ? plan.cache.wrap(inner, emit, options.signal) : inner;
    const result = await schedule(graph, {
      runner,
      onEvent: emit,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.onFailure === undefined ? {} : { onFailure: options.onFailure }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.forceSignal === undefined ? {} : { forceSignal: options.forceSignal }),
      ...(observer === undefined ? {} : { halt: observer.halted }),
      ...(instrument === undefined ? {} : { instrument }),
      ...(plan.keepServices ? { keepServices: true } : {}),
    });
    await plan.cache?.finish(options.cacheMaxBytes);
    if (plan.history) {
      const durations = new Map(
        result.jobs.filter((job) => job.status === "ok").map((job) => [job.name, job.durationMs]),
      );
      await plan.history.save(durations).catch(() => {});
    }
    const failedStrict = options.strict && result.status === "ok" && diagnosticEvents.length > 0;
    return {
      ...result,
      ...(failedStrict ? { status: "failed" as const } : {}),
      diagnostics: diagnosticEvents,
    };
  } finally {
    await cleanup.run();
  }
}

/**
 * node's `process` streams, where they need patches of their own: to a
 * terminal they write around `Deno.stdout`/`Deno.stderr`, to a pipe or a file
 * through them. Loading `node:process` costs ~20 ms of start-up, so it is
 * loaded only for a terminal.
 *
 * @returns `{ process }` for a terminal, else nothing.
 *
 * @example Usage
 * ```ts
 * import { nodeStreams } from "./session.ts";
 * import { captureConsole } from "../diagnostics/console_capture.ts";
 * import { JobScope } from "../engine/scope.ts";
 *
 * const targets = { console: { ...console }, stdout: Deno.stdout, stderr: Deno.stderr, ...await nodeStreams() };
 * captureConsole(targets, new JobScope(), () => {}, () => {}).restore();
 * ```
 */
export async function nodeStreams(): Promise<
  {
    process?: { stdout: NodeStream; stderr: NodeStream };
    encode?: (text: string, encoding: string) => Uint8Array;
  }
> {
  if (!Deno.stdout.isTerminal() && !Deno.stderr.isTerminal()) return {};
  const [{ default: process }, { Buffer }] = await Promise.all([
    import("node:process"),
    import("node:buffer"),
  ]);
  return { process, encode: (text, encoding) => Buffer.from(text, encoding as "hex") };
}

/** Why gather ends in the middle of a run: code outside every job called `Deno.exit()`. */
function outsideExit(code: number | undefined): string {
  const exit = `Deno.exit(${code ?? ""})`;
  return `code outside every job (a timer or a listener the task file set up) called ${exit}: gather ends now, with its code, and killed the run's processes; to fail the run, throw in a job instead`;
}

/**
 * Why a run whose jobs all succeeded failed under `--strict`: its
 * `run:end.firstFailure`, and the CLI's last line.
 *
 * @param count How many diagnostics the run raised.
 * @returns The reason.
 *
 * @example Usage
 * ```ts
 * import { strictFailure } from "./session.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(strictFailure(1), "--strict: 1 diagnostic fails the run");
 * assertEquals(strictFailure(2), "--strict: 2 diagnostics fail the run");
 * ```
 */
export function strictFailure(count: number): string {
  return `--strict: ${count} ${count === 1 ? "diagnostic fails" : "diagnostics fail"} the run`;
}
