/**
 * The JSON reporter: every event as one JSON object per line (NDJSON), and
 * nothing else.
 *
 * @module
 */

import type { GatherEvent, RunStartEvent } from "../events.ts";
import type { Output } from "./output.ts";
import type { Reporter } from "./reporter.ts";

/** `run:start` events listing more jobs than this are written a slice of jobs at a time. */
const SLICE = 2048;

/**
 * Writes each event as a line of JSON.
 *
 * @example Usage
 * ```ts
 * import { JsonReporter } from "./json.ts";
 * import { Output } from "./output.ts";
 * import { assertEquals } from "@std/assert";
 *
 * let text = "";
 * const output = new Output({ writeSync: (p) => (text += new TextDecoder().decode(p), p.length) });
 * const reporter = new JsonReporter(output);
 * reporter.handle({ type: "job:start", time: 1, job: "a", attempt: 1 });
 * reporter.close();
 * assertEquals(JSON.parse(text).job, "a");
 * ```
 */
export class JsonReporter implements Reporter {
  #out: Output;

  /**
   * Construct the reporter.
   *
   * @param output Where the lines go (stdout).
   */
  constructor(output: Output) {
    this.#out = output;
  }

  /**
   * Write one event.
   *
   * @param event The event.
   */
  handle(event: GatherEvent): void {
    if (event.type === "run:start" && event.jobs.length > SLICE) return this.#runStart(event);
    this.#out.write(JSON.stringify(event) + "\n");
  }

  /**
   * The same line as `JSON.stringify(event)`, written a slice of jobs at a
   * time, so that a run of 100,000 jobs never holds its first line whole.
   */
  #runStart(event: RunStartEvent): void {
    const { jobs } = event;
    const marker = '"jobs":[]';
    const shell = JSON.stringify({ ...event, jobs: [] });
    const at = shell.indexOf(marker);
    this.#out.write(shell.slice(0, at) + '"jobs":[');
    for (let from = 0; from < jobs.length; from += SLICE) {
      const items = JSON.stringify(jobs.slice(from, from + SLICE)).slice(1, -1);
      this.#out.write(from === 0 ? items : "," + items);
    }
    this.#out.write("]" + shell.slice(at + marker.length) + "\n");
  }

  /** Write out what is buffered. */
  flush(): void {
    this.#out.flush();
  }

  /** Flush the output. */
  close(): void {
    this.#out.flush();
  }
}
