/**
 * The watch loop, in the child process: run the selected jobs, wait for a
 * change, rerun what it affects, until Ctrl-C. A change to a job's inputs
 * reruns that job and its dependents (the rest keep their results, services
 * keep running); if some of them have run or are running in the run under
 * way, that run is cancelled first (its process trees gone) and the next one
 * starts at once. A change to the task file or its local imports ends the
 * child, which asks its supervisor for a new one.
 *
 * @module
 */

import type { CachePlace } from "../session/plan.ts";
import { attachCache, type RunPlan } from "../session/plan.ts";
import { Diagnostics } from "../diagnostics/diagnostics.ts";
import type { Graph } from "../engine/graph.ts";
import { schedule } from "../engine/scheduler.ts";
import { GatherError } from "../errors.ts";
import type { GatherEvent } from "../events.ts";
import type { JobNames } from "../load/resolve.ts";
import type { Reporter } from "../reporters/reporter.ts";
import type { SessionDiagnostics } from "../session/session.ts";
import { type Shutdown, signalExitCode } from "../session/signals.ts";
import type { FailurePolicy, JobSpec, Settlement } from "../types.ts";
import type { WatchEnvironment } from "./environment.ts";
import type { WatchedFiles } from "./files.ts";
import type { ListingChanges } from "./listed_folders.ts";
import { type ChildState, RELOAD_EXIT, writeState } from "./protocol.ts";
import { WatchState } from "./runner.ts";
import { FileWatcher } from "./watcher.ts";

/** Options of {@linkcode WatchLoop}. */
export interface WatchLoopOptions {
  /** The selected jobs. */
  graph: Graph;
  /** Every job of the task file, by name. */
  specs: ReadonlyMap<string, JobSpec>;
  /** Each handle's name. */
  names: JobNames;
  /** The task file, quoted, for messages. */
  source: string;
  /** What is watched. */
  files: WatchedFiles;
  /** The runs' shared environment. */
  environment: WatchEnvironment;
  /** The cache, when it is on. */
  cache: CachePlace | undefined;
  /** The cache's size cap. */
  cacheMaxBytes?: number | undefined;
  /** The first run's number and reason. */
  first: ChildState;
  /** Where the next child's state goes. */
  statePath: string;
  /** Quiet time after a change, in ms. */
  debounceMs: number;
  /** Poll instead of file events. */
  poll: boolean;
  /** Jobs at once. */
  concurrency: number;
  /** The failure policy. */
  onFailure: FailurePolicy;
  /** A new reporter, for each run. */
  reporter: () => Reporter;
  /** Watch each run for async mistakes. */
  diagnostics?: SessionDiagnostics | undefined;
  /** The signals. */
  shutdown: Shutdown;
  /** Writes a line for people (stderr). */
  print: (text: string) => void;
}

interface Pending {
  files: string[];
  services: string[];
}

/**
 * One watch session in a child process.
 *
 * @example Usage
 * ```ts ignore
 * const loop = new WatchLoop({ graph, specs, names, files, environment, first, ...choices });
 * const code = await loop.run(); // 130 after Ctrl-C, RELOAD_EXIT when the task file changed
 * ```
 */
export class WatchLoop {
  #o: WatchLoopOptions;
  #state: WatchState;
  #watcher: FileWatcher;
  #pending: Pending | undefined;
  /** Why the task file is to be reloaded, and the files that changed; set once. */
  #reload: { reason: string; files: string[] } | undefined;
  #wake: (() => void) | undefined;
  #current: { started: ReadonlySet<string>; restart: (why: string) => void } | undefined;
  #reporter: Reporter | undefined;

  /**
   * Prepare the loop.
   *
   * @param options What to run, how, and where events go.
   */
  constructor(options: WatchLoopOptions) {
    this.#o = options;
    this.#state = new WatchState(options.graph, options.environment.host);
    const files = options.files;
    this.#watcher = new FileWatcher({
      roots: () => files.roots(),
      relevant: (path) => files.relevant(path),
      onBatch: (paths) => this.#changed(paths),
      debounceMs: options.debounceMs,
      snapshot: () => files.snapshot(),
      poll: options.poll,
      onWarning: (message) =>
        options.environment.emit({ type: "warning", time: Date.now(), message }),
      // An entry that came in a listed folder before its watch was set sent no event.
      onArmed: () => this.#relisted(files.listingChanges()),
    });
  }

  /**
   * A service stopped on its own between runs: the next run reports it.
   *
   * @param name The service.
   * @param _settlement How it ended.
   */
  serviceExited(name: string, _settlement: Settlement): void {
    (this.#pending ??= { files: [], services: [] }).services.push(name);
    this.#wake?.();
  }

  /**
   * Run until Ctrl-C, or until the task file changes.
   *
   * @returns 130 (or the stopping signal's code), or {@linkcode RELOAD_EXIT}.
   */
  async run(): Promise<number> {
    const { shutdown } = this.#o;
    const wake = () => this.#wake?.();
    shutdown.interrupt.signal.addEventListener("abort", wake);
    this.#watcher.start();
    let next = this.#o.first;
    let idle = false;
    try {
      for (;;) {
        await this.#runOnce(next);
        if (this.#stop()) break;
        if (this.#pending === undefined) {
          this.#o.environment.emit({
            type: "watch:wait",
            time: Date.now(),
            run: next.run,
            files: this.#o.files.count,
            ...(this.#o.files.folders > 0 ? { folders: this.#o.files.folders } : {}),
            services: this.#o.environment.host.running,
            mode: this.#watcher.mode,
          });
          idle = true;
          await new Promise<void>((resolve) => this.#wake = resolve);
          this.#wake = undefined;
        }
        if (this.#stop()) break;
        idle = false;
        next = this.#take(next.run + 1);
      }
      const services = this.#o.environment.host.running;
      const reason = (shutdown.interrupt.signal.reason as Error | undefined)?.message;
      if (idle && this.#reload === undefined && reason !== undefined) {
        // Stopped between runs: the last run's summary is on the screen; say what happens now.
        this.#o.print(
          `\n⊘ ${reason}: ${
            services.length > 0 ? `stopping ${services.join(", ")}` : "stopping"
          } (send it again to stop at once)\n`,
        );
      }
    } finally {
      shutdown.interrupt.signal.removeEventListener("abort", wake);
      this.#watcher.close();
      try {
        await this.#o.environment.close(); // every service stopped, every process tree gone
      } finally {
        this.#reporter?.close();
      }
    }
    if (this.#reload !== undefined && shutdown.stoppedBy === undefined) {
      writeState(this.#o.statePath, {
        run: next.run + 1,
        reason: `${this.#reload.reason}: reloaded`,
        files: this.#reload.files,
      });
      return RELOAD_EXIT;
    }
    return signalExitCode(shutdown.stoppedBy ?? "SIGINT");
  }

  #stop(): boolean {
    return this.#o.shutdown.interrupt.signal.aborted || this.#reload !== undefined;
  }

  /** A batch of changed paths, from the watcher. */
  #changed(paths: Set<string>): void {
    const affected = this.#o.files.affected(paths);
    if (affected.modules.length > 0) {
      const shown = affected.files.slice(0, 3).join(", ");
      this.#reloading(`task file changed (${shown})`, affected.files, "the task file changed");
      return;
    }
    if (this.#relisted(affected.listings)) return;
    if (affected.jobs.size === 0) return;
    const jobs = this.#state.invalidate(affected.jobs);
    const current = this.#current;
    if (current !== undefined && ![...jobs].some((name) => current.started.has(name))) {
      return; // the run under way has not started them: they will read the new files
    }
    const pending = this.#pending ??= { files: [], services: [] };
    pending.files.push(...affected.files.filter((file) => !pending.files.includes(file)));
    current?.restart(`${describeFiles(affected.files)}: rerunning`);
    this.#wake?.();
  }

  /** Entries came or went in a folder the task file listed: reload it; whether they did. */
  #relisted(changes: ListingChanges): boolean {
    if (changes.added.length + changes.removed.length === 0) return false;
    const { root } = this.#o.files;
    const files = [...changes.added, ...changes.removed].map((path) =>
      path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path
    );
    const reason = this.#o.files.describeListings(changes);
    this.#reloading(reason, files, reason);
    return true;
  }

  /** Stop the run under way, if any, and end the loop for a new child. */
  #reloading(reason: string, files: string[], why: string): void {
    this.#reload ??= { reason, files };
    this.#current?.restart(`${why}: reloading`);
    this.#wake?.();
  }

  /** The next run's number and reason, from what is pending. */
  #take(run: number): ChildState {
    const pending = this.#pending ?? { files: [], services: [] };
    this.#pending = undefined;
    const reasons: string[] = [];
    if (pending.files.length > 0) reasons.push(describeFiles(pending.files));
    for (const name of pending.services) reasons.push(`service "${name}" stopped on its own`);
    return { run, reason: reasons.join("; ") || "rerun", files: pending.files };
  }

  async #runOnce(change: ChildState): Promise<void> {
    const o = this.#o;
    this.#reporter?.close();
    const reporter = this.#reporter = o.reporter();
    let diagnostics: Diagnostics | undefined;
    let first = true;
    let kept: ReadonlySet<string> = new Set(); // the services this run did not start again
    const emit = (event: GatherEvent) => {
      // Its unfinished line first; a failed job's strays stopped.
      if (event.type === "job:end") o.environment.jobEnded(event.job, event.status);
      // A service kept from an earlier run is ready at once: the reporters say it still runs.
      if (event.type === "job:ready" && kept.has(event.job)) event = { ...event, kept: true };
      reporter.handle(event);
      if (first && event.type === "job:start") {
        first = false;
        reporter.flush?.();
      }
      diagnostics?.observe(event);
    };
    if (o.diagnostics) {
      const watch = o.diagnostics;
      diagnostics = new Diagnostics({
        emit,
        scope: o.environment.scope,
        fnOf: (name) => o.graph.jobs[o.graph.index.get(name) ?? -1]?.fn,
        stalls: watch.stalls,
        timers: globalThis,
        failJob: (job, error) => o.environment.fail(job, error),
        ...(watch.stallThresholdMs === undefined
          ? {}
          : { stallThresholdMs: watch.stallThresholdMs }),
        ...(watch.denoDir === undefined ? {} : { denoDir: watch.denoDir }),
      });
      await diagnostics.start();
    }
    const plan: RunPlan = { graph: o.graph, names: o.names };
    if (o.cache) await attachCache(plan, o.specs, o.cache, o.source);
    o.environment.setRun(emit, plan.cache ? plan.cache.tap(emit) : emit, diagnostics?.instrument);
    emit({
      type: "watch:change",
      time: Date.now(),
      run: change.run,
      reason: change.reason,
      files: change.files.slice(0, 100),
      count: change.files.length,
      jobs: o.graph.jobs.filter((spec) => !this.#state.keeps(spec)).map((spec) => spec.name),
    });
    const restart = new AbortController();
    const runner = this.#state.runner(
      plan.cache ? plan.cache.wrap(o.environment.jobs, emit) : o.environment.jobs,
      () => !this.#stop(),
    );
    kept = runner.keptServices;
    this.#current = {
      started: runner.started,
      restart: (why) => {
        if (!restart.signal.aborted) restart.abort(new GatherError("CANCELLED", why));
      },
    };
    try {
      await schedule(o.graph, {
        runner,
        onEvent: emit,
        concurrency: o.concurrency,
        onFailure: o.onFailure,
        signal: AbortSignal.any([o.shutdown.interrupt.signal, restart.signal]),
        forceSignal: o.shutdown.force.signal,
        // The run's diagnostics, and its end's stray sweep.
        instrument: o.environment.runInstrument(),
      });
    } finally {
      this.#current = undefined;
    }
    await plan.cache?.finish(o.cacheMaxBytes);
    if (plan.cache !== undefined) o.files.discovered(plan.cache.discoveredFiles());
    o.files.refresh();
    this.#watcher.rootsMayHaveChanged();
  }
}

/**
 * A change in a few words.
 *
 * @param files The changed files, relative to the root.
 * @returns `1 file changed: src/a.ts`, `3 files changed: a, b, c`, `12 files changed: a, b, c, …`.
 *
 * @example Usage
 * ```ts
 * import { describeFiles } from "./loop.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(describeFiles(["a.ts", "b.ts", "c.ts", "d.ts"]), "4 files changed: a.ts, b.ts, c.ts, …");
 * ```
 */
export function describeFiles(files: readonly string[]): string {
  const shown = files.slice(0, 3).join(", ") + (files.length > 3 ? ", …" : "");
  return `${files.length} ${files.length === 1 ? "file" : "files"} changed: ${shown}`;
}
