/**
 * What watch mode remembers between runs, and the runner each run uses: a
 * job that nothing changed keeps its last result (settled at once, shown as
 * cached, its function not called); a changed job, its dependents, and jobs
 * without a result run (through the cache, which restores those whose inputs
 * are back as they were); services go through the service host.
 *
 * @module
 */

import type { Graph } from "../engine/graph.ts";
import type { JobInput, JobRun, JobRunner } from "../engine/runner.ts";
import type { JobSpec, Settlement } from "../types.ts";
import type { ServiceHost } from "./services.ts";

/**
 * The results and services kept from one run to the next.
 *
 * @example Usage
 * ```ts ignore
 * const state = new WatchState(graph, host);
 * const affected = state.invalidate(["lint"]); // "lint" and its dependents rerun
 * await schedule(graph, { runner: state.runner(jobsRunner, () => !stopping) });
 * ```
 */
export class WatchState {
  #graph: Graph;
  #host: ServiceHost;
  #kept = new Map<string, Settlement>();
  /** How many times each job was invalidated: a result from before the last time is not kept. */
  #generation = new Map<string, number>();

  /**
   * Construct the state of a watch session.
   *
   * @param graph The selected jobs.
   * @param host The services.
   */
  constructor(graph: Graph, host: ServiceHost) {
    this.#graph = graph;
    this.#host = host;
  }

  /**
   * Jobs whose inputs changed: they and every job that depends on them run
   * again; services among them restart.
   *
   * @param names The jobs whose inputs changed.
   * @returns Those jobs and their dependents.
   */
  invalidate(names: Iterable<string>): Set<string> {
    const { index, dependentStart, dependentList, jobs } = this.#graph;
    const affected = new Set<string>();
    const stack = [...names].map((name) => index.get(name)).filter((i) => i !== undefined);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const name = jobs[i]!.name;
      if (affected.has(name)) continue;
      affected.add(name);
      this.#kept.delete(name);
      this.#generation.set(name, (this.#generation.get(name) ?? 0) + 1);
      this.#host.invalidate(name);
      for (let k = dependentStart[i]!; k < dependentStart[i + 1]!; k++) {
        stack.push(dependentList[k]!);
      }
    }
    return affected;
  }

  /**
   * Whether a job does not run in the next run: it keeps its result, or it is
   * a service that stopped on its own, which that run only reports.
   *
   * @param spec The job.
   * @returns `true` when it will not run.
   */
  keeps(spec: JobSpec): boolean {
    const { name } = spec;
    return spec.service === undefined
      ? this.#kept.has(name)
      : this.#host.reusable(name) || this.#host.stoppedOnItsOwn(name);
  }

  /**
   * Whether a service keeps running as it is, if a run starts it now: it is
   * ready, and nothing changed under it since.
   *
   * @param name The service.
   * @returns `true` when the run uses the running service rather than starting it.
   */
  keepsRunning(name: string): boolean {
    return this.#host.reusable(name);
  }

  /**
   * The runner of one run.
   *
   * @param jobs Runs the jobs that are not services (the cache in front of the in-process runner).
   * @param keeping Whether a cancelled run keeps its ready services that nothing changed (not on Ctrl-C or a reload).
   * @returns The runner.
   */
  runner(jobs: JobRunner, keeping: () => boolean): WatchRunner {
    return new WatchRunner(this, jobs, keeping);
  }

  /** @internal */
  start(spec: JobSpec, input: JobInput, jobs: JobRunner, keeping: () => boolean): JobRun {
    const { name } = spec;
    if (spec.service !== undefined) {
      // A service that starts again: the jobs that use it run again, against the new one.
      if (!this.#host.reusable(name)) this.#invalidateDependents(name);
      return this.#host.start(spec, input, keeping);
    }
    const kept = this.#kept.get(name);
    if (kept !== undefined) {
      return {
        settled: Promise.resolve({ ...kept, attempts: 0, cache: "hit" }),
        cancel: () => {},
        force: () => {},
      };
    }
    const generation = this.#generation.get(name) ?? 0;
    const run = jobs.start(spec, input);
    run.settled.then((settlement) => {
      if (settlement.status === "ok" && (this.#generation.get(name) ?? 0) === generation) {
        this.#kept.set(name, settlement);
      }
    });
    return run;
  }

  #invalidateDependents(name: string): void {
    const { index, dependentStart, dependentList, jobs } = this.#graph;
    const i = index.get(name)!;
    const users: string[] = [];
    for (let k = dependentStart[i]!; k < dependentStart[i + 1]!; k++) {
      users.push(jobs[dependentList[k]!]!.name);
    }
    if (users.length > 0) this.invalidate(users);
  }
}

/**
 * The runner of one run of watch mode.
 *
 * @example Usage
 * ```ts ignore
 * const runner = state.runner(jobsRunner, () => !stopping);
 * await schedule(graph, { runner });
 * runner.started; // the jobs this run started, kept ones included
 * ```
 */
export class WatchRunner implements JobRunner {
  #state: WatchState;
  #jobs: JobRunner;
  #keeping: () => boolean;
  /** The jobs this run has started (kept ones included). */
  readonly started: Set<string> = new Set();
  /** The services this run uses as an earlier run left them running (not started again). */
  readonly keptServices: Set<string> = new Set();

  /**
   * Construct it; {@linkcode WatchState.runner} does.
   *
   * @param state What is kept between runs.
   * @param jobs Runs the jobs that are not services.
   * @param keeping Whether a cancelled run keeps its ready services that nothing changed.
   */
  constructor(state: WatchState, jobs: JobRunner, keeping: () => boolean) {
    this.#state = state;
    this.#jobs = jobs;
    this.#keeping = keeping;
  }

  /**
   * Start a job: keep its result, run it, or use its service.
   *
   * @param job The job.
   * @param input Its dependencies' results.
   * @returns The running job.
   */
  start(job: JobSpec, input: JobInput): JobRun {
    this.started.add(job.name);
    if (job.service !== undefined && this.#state.keepsRunning(job.name)) {
      this.keptServices.add(job.name);
    }
    return this.#state.start(job, input, this.#jobs, this.#keeping);
  }

  /** Wait for the jobs' process trees (not the services', which keep running). */
  async drain(): Promise<void> {
    await this.#jobs.drain?.();
  }
}
