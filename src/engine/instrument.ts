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
 * import { job, run } from "../../mod.ts";
 * import { assertEquals } from "@std/assert";
 *
 * let later = 0;
 * const counter: Instrument = { jobReturned: (_job, _ms, runsLater) => void (runsLater && later++) };
 * const a = job(() => 1);
 * const b = job(async () => await Promise.resolve(2));
 * // run() takes no instrument; the scheduler does (see scheduler.ts)
 * assertEquals(typeof counter.jobReturned, "function");
 * await run({ a, b });
 * assertEquals(later, 0);
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
  /** Awaited after the last job settled and before `run:end`, so late events still come first. */
  runEnding?(): Promise<void>;
}
