/**
 * Hooks into the engine for tools that watch a run from inside, after trio's
 * `Instrument`: the diagnostics use them to time each job's synchronous code
 * and to start their profiler at the right moment. Passed in explicitly, never
 * looked up.
 *
 * @module
 */

/**
 * What an instrument may be told. Every hook is optional and called
 * synchronously on the engine's own path, so it must be cheap.
 *
 * @example An instrument that counts the jobs whose code runs on after their function returned
 * ```ts
 * import type { Instrument } from "./instrument.ts";
 * import { InProcessRunner } from "./runners/in_process.ts";
 * import { schedule } from "./scheduler.ts";
 * import { buildGraph } from "./graph.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const later: string[] = [];
 * let batches = 0;
 * const instrument: Instrument = {
 *   jobReturned: (name, _ms, runsLater) => void (runsLater && later.push(name)),
 *   batchStarted: () => void batches++,
 * };
 * const { specs } = resolveJobs([
 *   ["plain", job(() => 1)],
 *   ["awaits", job(async () => await Promise.resolve(2))],
 * ], "example");
 * const runner = new InProcessRunner({ instrument });
 * await schedule(buildGraph(specs, ["plain", "awaits"]), { runner, instrument });
 * assertEquals(later, ["awaits"]);
 * assertEquals(batches > 0, true);
 * ```
 */
export interface Instrument {
  /**
   * A job's function has returned: how long its synchronous part ran (whole
   * ms, by `Date.now()`), and whether the job may run more of its own code
   * later (it returned a promise of its own making, or started children with
   * `ctx.spawn`), rather than only waiting on work gather runs for it
   * (`ctx.sh`, `ctx.offload`).
   */
  jobReturned?(job: string, ms: number, runsLater: boolean): void;
  /** The scheduler started every job it could for now; none has run on past its first `await`. */
  batchStarted?(): void;
  /**
   * A job was told to stop (it timed out, or was cancelled): its signal
   * aborted, its commands got SIGTERM. `reason` is the abort's reason.
   */
  jobStopping?(job: string, reason: unknown): void;
  /** Awaited after the last job settled and before `run:end`, so late events still come first. */
  runEnding?(): Promise<void>;
}
