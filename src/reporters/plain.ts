/**
 * The plain reporter, for pipes, files and CI: one line per event, each
 * prefixed by its job's name, aligned, then the summary. No cursor movement.
 *
 * @module
 */

import { stripAnsiCode } from "@std/fmt/colors";
import type { GatherEvent } from "../events.ts";
import { formatDuration } from "./format.ts";
import type { Output } from "./output.ts";
import type { Palette } from "./palette.ts";
import { RunRecord } from "./record.ts";
import type { Reporter } from "./reporter.ts";
import { formatSummary } from "./summary.ts";

/** Options of {@linkcode PlainReporter}. */
export interface PlainReporterOptions {
  /** Where text goes. */
  output: Output;
  /** Colours. */
  palette: Palette;
  /** Print only failures and the summary. @default {false} */
  quiet?: boolean;
  /** Whether colour is wanted: without it, colour codes in job output are removed. @default {false} */
  color?: boolean;
}

/**
 * Writes events as prefixed lines.
 *
 * @example Usage
 * ```ts
 * import { PlainReporter } from "./plain.ts";
 * import { Output } from "./output.ts";
 * import { palette } from "./palette.ts";
 *
 * const output = new Output({ writeSync: (p) => p.length });
 * const reporter = new PlainReporter({ output, palette: palette(false) });
 * reporter.handle({ type: "job:log", time: 0, job: "build", line: "hi", stream: "log" });
 * reporter.close();
 * ```
 */
export class PlainReporter implements Reporter {
  #out: Output;
  #p: Palette;
  #quiet: boolean;
  #record = new RunRecord();
  #width = 0;
  #color: boolean;

  /**
   * Construct the reporter.
   *
   * @param options Output, palette and quiet mode.
   */
  constructor(options: PlainReporterOptions) {
    this.#out = options.output;
    this.#p = options.palette;
    this.#quiet = options.quiet ?? false;
    this.#color = options.color ?? false;
  }

  /**
   * Print one event.
   *
   * @param event The event.
   */
  handle(event: GatherEvent): void {
    this.#record.add(event);
    const p = this.#p;
    switch (event.type) {
      case "run:start":
        this.#width = Math.min(24, Math.max(0, ...event.jobs.map((job) => job.name.length)));
        if (!this.#quiet) {
          this.#out.write(
            p.dim(`gather: ${event.jobs.length} jobs, up to ${event.concurrency} at once\n`),
          );
        }
        break;
      case "job:start":
        if (!this.#quiet) this.#line(event.job, p.dim("▶ start"));
        break;
      case "job:log":
        if (!this.#quiet) {
          const line = this.#color ? event.line : stripAnsiCode(event.line);
          this.#line(event.job, event.stream === "stderr" ? p.yellow(line) : line);
        }
        break;
      case "job:retry":
        if (!this.#quiet) {
          this.#line(
            event.job,
            p.yellow(
              `↻ attempt ${event.attempt} failed: ${event.error.message.split("\n")[0]}; retrying`,
            ),
          );
        }
        break;
      case "job:end":
        this.#end(event);
        break;
      case "diagnostic": {
        const where = event.site ? ` (at ${event.site})` : "";
        const text = `${p.yellow(`⚠ ${event.kind}`)}: ${event.message}${where}`;
        if (event.job) this.#line(event.job, text);
        else this.#out.write(`${text}\n`);
        if (event.job) this.#line(event.job, p.dim(`  fix: ${event.hint}`));
        else this.#out.write(p.dim(`  fix: ${event.hint}\n`));
        break;
      }
      case "job:progress":
        break;
      case "run:cancel":
        this.#out.write(
          p.yellow(`⊘ ${event.reason}: cancelling running jobs (send it again to stop at once)\n`),
        );
        break;
      case "run:end":
        this.#out.write(
          formatSummary(this.#record.summary(event.status, event.counts, event.durationMs), p),
        );
        break;
      default: {
        const never: never = event;
        throw new TypeError(`Unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Flush the output. */
  close(): void {
    this.#out.flush();
  }

  #end(event: Extract<GatherEvent, { type: "job:end" }>): void {
    const p = this.#p;
    const took = p.dim(formatDuration(event.durationMs));
    switch (event.status) {
      case "ok":
        if (!this.#quiet) this.#line(event.job, `${p.green("✔ ok")} ${took}`);
        break;
      case "failed": {
        if (this.#quiet) {
          for (const line of this.#record.job(event.job)?.tail ?? []) this.#line(event.job, line);
        }
        const [first, ...rest] = (event.error?.message ?? "failed").split("\n");
        this.#line(event.job, `${p.red("✖ failed")} ${took}: ${first}`);
        for (const line of rest) this.#line(event.job, p.dim(line));
        break;
      }
      case "cancelled":
        if (!this.#quiet) {
          this.#line(event.job, p.yellow(event.started ? `⊘ cancelled ${took}` : "⊘ not started"));
        }
        break;
      case "skipped":
        if (!this.#quiet) this.#line(event.job, p.yellow(`– skipped: ${event.reason ?? ""}`));
        break;
    }
  }

  #line(job: string, text: string): void {
    this.#out.write(`${this.#p.cyan(job.padEnd(this.#width))} │ ${text}\n`);
  }
}
