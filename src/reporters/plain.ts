/**
 * The plain reporter, for pipes, files and CI: one line per event, each
 * prefixed by its job's name, aligned, then the summary. No cursor movement.
 *
 * @module
 */

import { stripAnsiCode } from "../deps/fmt_colors.ts";
import type { GatherEvent } from "../events.ts";
import { formatDuration, plural } from "./format.ts";
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
  /** Hold each job's lines until it ends, then print them together. @default {false} */
  group?: boolean;
  /** Where a job's full log is, for the summary. @default {() => undefined} */
  logPath?: (job: string) => string | undefined;
}

const GROUP_LINES = 10_000; // per job; older lines are dropped (they are in the job's log)

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
  /** Each running job's held lines; the first `head` of them (its start) are never dropped. */
  #groups: Map<string, { lines: string[]; head: number; dropped: number }> | undefined;
  #logPath: (job: string) => string | undefined;

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
    if (options.group) this.#groups = new Map();
    this.#logPath = options.logPath ?? (() => undefined);
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
        for (const job of event.jobs) this.#width = Math.max(this.#width, job.name.length);
        this.#width = Math.min(24, this.#width);
        if (!this.#quiet) {
          this.#out.write(
            p.dim(
              `gather: ${plural(event.jobs.length, "job")}, up to ${event.concurrency} at once\n`,
            ),
          );
        }
        break;
      case "job:start":
        if (this.#quiet) break;
        this.#groups?.set(event.job, { lines: [], head: 1, dropped: 0 });
        this.#line(event.job, p.dim("▶ start"));
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
        this.#flushGroup(event.job);
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
          formatSummary(this.#record.summary(event), p, {
            logPath: this.#logPath,
          }),
        );
        break;
      default: {
        const never: never = event;
        throw new TypeError(`Unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Write out what is buffered. */
  flush(): void {
    this.#out.flush();
  }

  /** Flush the output. */
  close(): void {
    for (const job of [...this.#groups?.keys() ?? []]) this.#flushGroup(job);
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
    const line = `${this.#p.cyan(job.padEnd(this.#width))} │ ${text}\n`;
    const group = this.#groups?.get(job);
    if (!group) return this.#out.write(line);
    group.lines.push(line);
    if (group.lines.length > GROUP_LINES) {
      const drop = group.lines.length - GROUP_LINES / 2;
      group.lines.splice(group.head, drop); // the job's output, not its start line
      group.dropped += drop;
    }
  }

  #flushGroup(job: string): void {
    const group = this.#groups?.get(job);
    if (!group) return;
    this.#groups!.delete(job);
    this.#out.write(group.lines.slice(0, group.head).join(""));
    if (group.dropped > 0) {
      const log = this.#logPath(job);
      const where = log === undefined ? "" : `; full log: ${log}`;
      this.#line(job, this.#p.dim(`… ${group.dropped} earlier lines not shown${where}`));
    }
    this.#out.write(group.lines.slice(group.head).join(""));
  }
}
