/**
 * Adds the closing summary (critical path, slowest jobs, failures with their
 * logs) to the `run:end` event before the JSON reporter writes it, so the
 * JSON stream ends with a summary like every other reporter.
 *
 * @module
 */

import type { GatherEvent } from "../events.ts";
import { RunRecord } from "./record.ts";
import type { Reporter } from "./reporter.ts";
import { runSummaryInfo } from "./summary_file.ts";

/**
 * Passes events on, with `summary` added to `run:end`.
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
 * const counts = { total: 0, ok: 0, failed: 0, cancelled: 0, skipped: 0 };
 * reporter.handle({ type: "run:end", time: 1, status: "ok", counts, durationMs: 1 });
 * assertEquals(seen[1]?.type === "run:end" && seen[1].summary?.slowest, []);
 * ```
 */
export class JsonSummary implements Reporter {
  #inner: Reporter;
  #logPath: (job: string) => string | undefined;
  #record = new RunRecord({ tailLines: 0 });

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
    this.#record.add(event);
    if (event.type !== "run:end") return this.#inner.handle(event);
    this.#inner.handle({ ...event, summary: runSummaryInfo(this.#record, event, this.#logPath) });
  }

  /** Close the wrapped reporter. */
  close(): void {
    this.#inner.close();
  }
}
