/**
 * The scheduler's view of the services in a run: which jobs are services,
 * and when one is no longer needed and may be stopped. A service is needed
 * while a job that depends on it is running, or pending and still able to
 * start; a service nothing depends on is needed while some other job of the
 * run is. With `keep` (only services were selected, or watch mode), they are
 * needed until the run is cancelled.
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import type { Graph } from "./graph.ts";

/** What the tracker reads of the scheduler's state. */
export interface ServiceView {
  /** Whether job `i` has ended (or was skipped, or will never start). */
  ended(i: number): boolean;
  /** Whether job `i` is running now. */
  running(i: number): boolean;
  /** Whether job `i`'s dependents were released (it is ready). */
  released(i: number): boolean;
  /** Whether the run starts nothing new (after a failure, or when cancelled). */
  stopping(): boolean;
}

/** A job to cancel because a service it uses failed. */
export interface ServiceCancel {
  /** The job. */
  user: number;
  /** The error to cancel it with. */
  error: GatherError;
  /** Why, in one line: `the service it needs, "api", failed: ...`. */
  reason: string;
}

/**
 * Tracks the services of a run.
 *
 * @example Usage
 * ```ts
 * import { ServiceTracker } from "./_services.ts";
 * import { buildGraph } from "./graph.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const api = job({ service: true }, () => {});
 * const { specs } = resolveJobs([["api", api], ["e2e", job({ deps: [api] }, () => {})]], "x");
 * const graph = buildGraph(specs, ["e2e"]);
 * const tracker = new ServiceTracker(graph, false);
 * const ended = new Set<number>();
 * const view = {
 *   ended: (i: number) => ended.has(i), running: (i: number) => i === 0,
 *   released: () => true, stopping: () => false,
 * };
 * assertEquals(tracker.toStop(view), []); // e2e still needs api
 * ended.add(1);
 * tracker.ended(1);
 * assertEquals(tracker.toStop(view), [0]);
 * ```
 */
export class ServiceTracker {
  #graph: Graph;
  #keep: boolean;
  #services: number[] = [];
  #isService: Uint8Array;
  #stopAsked: Uint8Array;
  /** Jobs that are not services and have not ended. */
  #otherOpen = 0;
  /** Jobs that are not services and are running. */
  #otherRunning = 0;

  /**
   * Construct a tracker.
   *
   * @param graph The run's graph.
   * @param keep Keep services running until the run is cancelled.
   */
  constructor(graph: Graph, keep: boolean) {
    this.#graph = graph;
    this.#keep = keep;
    this.#isService = new Uint8Array(graph.jobs.length);
    this.#stopAsked = new Uint8Array(graph.jobs.length);
    graph.jobs.forEach((spec, i) => {
      if (spec.service !== undefined) {
        this.#isService[i] = 1;
        this.#services.push(i);
      } else {
        this.#otherOpen++;
      }
    });
  }

  /** Whether the run has services at all. */
  get any(): boolean {
    return this.#services.length > 0;
  }

  /**
   * Whether a job is a service.
   *
   * @param i The job.
   * @returns `true` for a service.
   */
  isService(i: number): boolean {
    return this.#isService[i] === 1;
  }

  /**
   * A job started.
   *
   * @param i The job.
   */
  started(i: number): void {
    if (this.#isService[i] === 0) this.#otherRunning++;
  }

  /**
   * A job that was running settled.
   *
   * @param i The job.
   */
  settled(i: number): void {
    if (this.#isService[i] === 0) this.#otherRunning--;
  }

  /**
   * A job ended, however it ended (its `job:end`).
   *
   * @param i The job.
   */
  ended(i: number): void {
    if (this.#isService[i] === 0) this.#otherOpen--;
  }

  /**
   * The running, ready services that no job needs any more, each given once.
   *
   * @param view The scheduler's state.
   * @returns Their indices: stop them.
   */
  toStop(view: ServiceView): number[] {
    if (this.#keep) return [];
    const stop: number[] = [];
    for (const s of this.#services) {
      if (this.#stopAsked[s] === 1 || !view.running(s) || !view.released(s)) continue;
      if (this.#needed(s, view)) continue;
      this.#stopAsked[s] = 1;
      stop.push(s);
    }
    return stop;
  }

  /**
   * Whether gather asked a service to stop.
   *
   * @param i The job.
   * @returns `true` once {@linkcode toStop} gave it.
   */
  stopAsked(i: number): boolean {
    return this.#stopAsked[i] === 1;
  }

  /**
   * The running jobs that use a service that failed, each with why it is
   * cancelled: its error, naming the service and carrying the service's
   * error (its last output lines), and that reason in one line, for its
   * `job:end`.
   *
   * @param i The service.
   * @param error Why it failed.
   * @param view The scheduler's state.
   * @returns The jobs, their errors and their reasons.
   */
  usersToCancel(i: number, error: Error | undefined, view: ServiceView): ServiceCancel[] {
    const [first = "it failed", ...rest] = (error?.message ?? "").split("\n");
    const detail = rest.length > 0 ? `\n${rest.join("\n")}` : "";
    const service = this.#graph.jobs[i]!.name;
    const reason = `the service it needs, "${service}", failed: ${first}`;
    return this.#runningDependents(i, view).map((user) => {
      const name = this.#graph.jobs[user]!.name;
      const message = `Job "${name}" was cancelled: ${reason}${detail}`;
      return { user, error: new GatherError("CANCELLED", message, { job: name }), reason };
    });
  }

  /** The running jobs that depend on a job, directly or through other jobs. */
  #runningDependents(i: number, view: ServiceView): number[] {
    const { dependentStart, dependentList } = this.#graph;
    const found: number[] = [];
    const seen = new Set<number>([i]);
    const stack = [i];
    while (stack.length > 0) {
      const at = stack.pop()!;
      for (let k = dependentStart[at]!; k < dependentStart[at + 1]!; k++) {
        const user = dependentList[k]!;
        if (seen.has(user) || !view.running(user)) continue;
        seen.add(user);
        found.push(user);
        stack.push(user);
      }
    }
    return found;
  }

  #needed(s: number, view: ServiceView): boolean {
    const { dependentStart, dependentList } = this.#graph;
    const from = dependentStart[s]!;
    const to = dependentStart[s + 1]!;
    const stopping = view.stopping();
    if (from === to) {
      // Nothing depends on it: it serves the run, until every other job is done.
      return stopping ? this.#otherRunning > 0 : this.#otherOpen > 0;
    }
    for (let k = from; k < to; k++) {
      const user = dependentList[k]!;
      if (!view.ended(user) && (view.running(user) || !stopping)) return true;
    }
    return false;
  }
}
