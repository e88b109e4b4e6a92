/**
 * The JSON reporter: every event as one JSON object per line (NDJSON), and
 * nothing else.
 *
 * @module
 */

import type { GatherEvent } from "../events.ts";
import type { Output } from "./output.ts";
import type { Reporter } from "./reporter.ts";

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
    this.#out.write(JSON.stringify(event) + "\n");
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
