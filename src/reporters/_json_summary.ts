/**
 * Completes the closing summary that the scheduler puts in `run:end`
 * (critical path, slowest jobs, failures) with where each failure's log is,
 * before the JSON reporter writes it. It keeps no per-job state.
 *
 * @module
 */

import type { GatherEvent } from "../events.ts";
import type { Reporter } from "./reporter.ts";

/**
 * Passes events on, adding log paths to the failures of `run:end`'s summary.
 *
 * @example Usage
 * ```ts
 * import { JsonSummary } from "./_json_summary.ts";
 * import type { GatherEvent } from "../events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const seen: GatherEvent[] = [];
 * const reporter = new JsonSummary({ handle: (e) => seen.push(e), close: () => {} });
 * reporter.handle({ type: "run:start", time: 0, jobs: [], concurrency: 1 });
 * const counts = { total: 1, ok: 0, failed: 1, cancelled: 0, skipped: 0, cached: 0 };
 * const summary = { criticalPath: [], slowest: [], failures: [{ name: "a", message: "broke" }] };
 * reporter.handle({ type: "run:end", time: 1, status: "failed", counts, durationMs: 1, summary });
 * const end = seen[1];
 * assertEquals(end?.type === "run:end" && end.summary?.failures[0]?.message, "broke");
 * ```
 */
export class JsonSummary implements Reporter {
  #inner: Reporter;
  #logPath: (job: string) => string | undefined;

  /**
   * Wrap a reporter.
   *
   * @param inner The JSON reporter.
   * @param logPath Where a job's full log is.
   */
  constructor(inner: Reporter, logPath: (job: string) => string | undefined = () => undefined) {
    this.#inner = inner;
    this.#logPath = logPath;
  }

  /**
   * Pass one event on.
   *
   * @param event The event.
   */
  handle(event: GatherEvent): void {
    if (event.type !== "run:end") return this.#inner.handle(event);
    if (event.summary !== undefined) {
      // The scheduler summarised the run: add where each failure's log is.
      const failures = event.summary.failures.map((failure) => {
        const log = this.#logPath(failure.name);
        return log === undefined ? failure : { ...failure, log };
      });
      return this.#inner.handle({ ...event, summary: { ...event.summary, failures } });
    }
    this.#inner.handle(event); // an engine that does not summarise: pass it on as it is
  }

  /** Write out what is buffered. */
  flush(): void {
    this.#inner.flush?.();
  }

  /** Close the wrapped reporter. */
  close(): void {
    this.#inner.close();
  }
}
