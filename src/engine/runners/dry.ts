/**
 * The dry runner, after ninja's `DryRunCommandRunner`: runs nothing. Every
 * job takes one step of virtual time, so the real scheduler, driven by it,
 * tells in which step each job would start if all jobs took equally long.
 *
 * @module
 */

import type { Settlement } from "../../types.ts";
import type { Clock } from "../clock.ts";
import type { JobRun, JobRunner } from "../runner.ts";
import type { JobSpec } from "../../types.ts";

/** A job the dry runner was asked to start, and when. */
export interface DryStart {
  /** The job. */
  job: JobSpec;
  /** The step it starts in, from 1. */
  step: number;
}

const DONE: Settlement = Object.freeze({ status: "ok", attempts: 1, ignoredCancellation: false });

/**
 * A runner that settles every job one step after it started. Pass its
 * `clock` to the scheduler as well, so that durations are counted in steps.
 *
 * @example Usage
 * ```ts
 * import { DryRunner } from "./dry.ts";
 * import { schedule } from "../scheduler.ts";
 * import { buildGraph } from "../graph.ts";
 * import { resolveJobs } from "../../load/resolve.ts";
 * import { job } from "../../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = job(() => 1);
 * const { specs } = resolveJobs([["a", a], ["b", job({ deps: [a] }, () => 2)]], "x");
 * const runner = new DryRunner();
 * await schedule(buildGraph(specs, ["b"]), { runner, clock: runner.clock, concurrency: 2 });
 * assertEquals(runner.starts.map((s) => `${s.step} ${s.job.name}`), ["1 a", "2 b"]);
 * ```
 */
export class DryRunner implements JobRunner {
  /** Every job started, in the order the scheduler started them. */
  readonly starts: DryStart[] = [];
  /** Virtual time: the number of steps completed. */
  readonly clock: Clock = { now: () => this.#time, epochMs: () => this.#time };
  #time = 0;
  #due: (() => void)[] = [];
  #tickScheduled = false;

  /**
   * Start a job: it settles at the end of this step.
   *
   * @param job The job.
   * @returns Its run.
   */
  start(job: JobSpec): JobRun {
    this.starts.push({ job, step: this.#time + 1 });
    let settle!: (settlement: Settlement) => void;
    const settled = new Promise<Settlement>((resolve) => settle = resolve);
    this.#due.push(() => settle(DONE));
    if (!this.#tickScheduled) {
      this.#tickScheduled = true;
      // A macrotask: the scheduler has started every job it can in this step by then.
      setTimeout(() => this.#tick(), 0);
    }
    return { settled, cancel: () => settle(DONE), force: () => {} };
  }

  #tick(): void {
    this.#tickScheduled = false;
    this.#time++;
    const due = this.#due;
    this.#due = [];
    for (const settle of due) settle();
  }
}
