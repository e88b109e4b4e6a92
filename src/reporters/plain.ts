/**
 * The plain reporter, for pipes, files and CI: one line per event, each
 * prefixed by its job's name, aligned, then the summary. No cursor movement.
 * Job output streams as it comes (`--output full`), or is held and printed
 * only if the job fails (`--output errors`, and `-q`), or not at all.
 *
 * @module
 */

import type { GatherEvent } from "../events.ts";
import { cachedLabel, formatDuration, plural, uploadLine, warningText } from "./format.ts";
import type { Output } from "./output.ts";
import type { Palette } from "./palette.ts";
import { RunRecord } from "./record.ts";
import type { OutputMode, Reporter } from "./reporter.ts";
import { formatSummary } from "./summary.ts";
import { excerptLines, LineExcerpt } from "./_excerpt.ts";
import { failureText, stackLines } from "./_failure.ts";
import { cleanLine, padToWidth, textWidth } from "./_tty_text.ts";
import { waitLine, watchHeader } from "./_watch_lines.ts";

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
  /** Whose output is printed (`--output`). @default {quiet ? "errors" : "full"} */
  show?: OutputMode;
  /** `--debug`: print a failed job's stack under its error. @default {false} */
  debug?: boolean;
  /** Where a job's full log is, for the summary. @default {() => undefined} */
  logPath?: (job: string) => string | undefined;
}

/** A line of output held until its job ends. */
type HeldLine = { line: string; stream: string };

/** The widest the name column gets, in terminal columns: a longer name is printed whole, past it. */
const NAME_COLUMNS = 24;

/** Lines held per job (grouped, or waiting to see if it fails): its first and its last. */
const HELD_HEAD = 5_000;
const HELD_TAIL = 5_000;

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
  #debug: boolean;
  /**
   * In a distributed run: the jobs started whose `▶ start` is not said yet. A job sent to the
   * work queue says `… queued for a worker`, then `→ on w1`, never `▶ start`; one that runs here
   * says it with its first line.
   */
  #unsaid: Set<string> | undefined;
  #record = new RunRecord();
  #width = 0;
  #color: boolean;
  #show: OutputMode;
  #groups: Map<string, LineExcerpt> | undefined;
  #held = new Map<string, LineExcerpt<HeldLine>>(); // --output errors: kept until the job ends
  #logPath: (job: string) => string | undefined;

  /**
   * Construct the reporter.
   *
   * @param options Output, palette, quiet mode, grouping and whose output to print.
   */
  constructor(options: PlainReporterOptions) {
    this.#out = options.output;
    this.#p = options.palette;
    this.#quiet = options.quiet ?? false;
    this.#debug = options.debug ?? false;
    this.#show = options.show ?? (this.#quiet ? "errors" : "full");
    this.#color = options.color ?? false;
    if (options.group) this.#groups = new Map();
    this.#logPath = options.logPath ?? (() => undefined);
  }

  /** A distributed run's job says `▶ start` once it is seen to run here, not while it waits. */
  #sayStart(event: GatherEvent & { job?: string }): void {
    const job = event.job!;
    if (!this.#unsaid!.has(job)) return;
    switch (event.type) {
      case "job:start":
      case "job:cache": // before it is queued, or runs here
        return;
      case "job:queued":
      case "job:worker":
      case "job:end": // its end line says how it went
        this.#unsaid!.delete(job);
        return;
      default:
        this.#unsaid!.delete(job);
        this.#line(job, this.#p.dim("▶ start"));
    }
  }

  /**
   * Print one event.
   *
   * @param event The event.
   */
  handle(event: GatherEvent): void {
    this.#record.add(event);
    const p = this.#p;
    if (this.#unsaid !== undefined && "job" in event && event.job !== undefined) {
      this.#sayStart(event);
    }
    switch (event.type) {
      case "run:start":
        // Measured in columns, as the live display does: a CJK name takes twice its length.
        for (const job of event.jobs) this.#width = Math.max(this.#width, textWidth(job.name));
        this.#width = Math.min(NAME_COLUMNS, this.#width);
        if (event.workQueue) this.#unsaid = new Set();
        if (!this.#quiet) {
          this.#out.write(
            p.dim(
              `gather: ${plural(event.jobs.length, "job")}, up to ${event.concurrency} at once\n`,
            ),
          );
        }
        break;
      case "job:start":
        this.#groups?.set(event.job, new LineExcerpt(HELD_HEAD, HELD_TAIL));
        if (this.#quiet) break;
        if (this.#unsaid !== undefined) this.#unsaid.add(event.job);
        else this.#line(event.job, p.dim("▶ start"));
        break;
      case "job:log":
        if (this.#show === "full") this.#output(event.job, event.line, event.stream);
        else if (this.#show === "errors") {
          let held = this.#held.get(event.job);
          if (!held) this.#held.set(event.job, held = new LineExcerpt(HELD_HEAD, HELD_TAIL));
          held.add(event);
        }
        break;
      case "job:retry":
        if (!this.#quiet) {
          this.#line(
            event.job,
            p.yellow(
              `↻ attempt ${event.attempt} failed: ${
                failureText(event.error, false).headline
              }; retrying`,
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
      case "job:partial":
        break;
      case "job:ready":
        if (!this.#quiet) {
          const value = event.value === undefined ? "" : ` → ${event.value}`;
          // Watch mode: a service kept from an earlier run did not start again.
          const state = event.kept
            ? p.green("● still running")
            : `${p.green("● ready")} ${p.dim(formatDuration(event.durationMs))}`;
          this.#line(event.job, `${state} ${p.dim(`(${event.probe}${value})`)}`);
        }
        break;
      case "watch:change":
        this.#out.write(`${watchHeader(event, p)}\n`);
        break;
      case "watch:wait":
        this.#out.write(`${waitLine(event, p)}\n`);
        this.#out.flush();
        break;
      case "job:queued":
        // Sent to a distributed run's work queue: it runs from its "→ on <worker>" line.
        if (!this.#quiet) this.#line(event.job, p.dim("… queued for a worker"));
        break;
      case "job:worker":
        if (!this.#quiet) {
          const moved = event.delivery > 1 ? ` (delivery ${event.delivery})` : "";
          this.#line(event.job, p.dim(`→ on ${event.worker}${moved}`));
        }
        break;
      case "job:cache":
        if (event.reason !== undefined && !this.#quiet) {
          this.#line(event.job, p.dim(`↻ runs: ${event.reason}`));
        }
        break;
      case "warning": {
        const text = `${p.yellow("⚠ warning")}: ${warningText(event)}`;
        if (event.job) this.#line(event.job, text);
        else this.#out.write(`${text}\n`);
        break;
      }
      case "cache:upload":
        this.#out.write(`${p.dim(uploadLine(event.pending))}\n`);
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

  /**
   * Print lines that belong to no job, in order with the rest.
   *
   * @param text The text, ending with a line break.
   */
  print(text: string): void {
    this.#out.write(text);
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
    const held = this.#held.get(event.job);
    this.#held.delete(event.job);
    switch (event.status) {
      case "ok":
        if (event.running) {
          if (!this.#quiet) this.#line(event.job, p.dim("● keeps running"));
        } else if (!this.#quiet) {
          const label = cachedLabel(event.cache, p);
          const cached = label === undefined ? "" : ` ${label}`;
          const on = event.worker === undefined ? "" : ` ${p.dim(`on ${event.worker}`)}`;
          this.#line(event.job, `${p.green("✔ ok")} ${took}${cached}${on}`);
        }
        break;
      case "failed": {
        if (held) {
          this.#excerpt(event.job, held, (line) => this.#output(event.job, line.line, line.stream));
        }
        // The error's detail is skipped when it repeats output printed above (a command's stderr).
        const shown = this.#show !== "none" && (this.#record.job(event.job)?.lines ?? 0) > 0;
        // A huge error is cut (its log holds it whole): a line is not 200,000 characters long.
        const { headline, detail, note } = failureText(
          event.error,
          shown,
          this.#logPath(event.job),
        );
        const on = event.worker === undefined ? "" : ` ${p.dim(`on ${event.worker}`)}`;
        this.#line(
          event.job,
          `${p.red("✖ failed")} ${took}${on}: ${cleanLine(headline, this.#color)}`,
        );
        for (const line of detail) this.#line(event.job, p.dim(cleanLine(line, this.#color)));
        if (note !== undefined) this.#line(event.job, p.dim(note));
        if (this.#debug) {
          for (const line of stackLines(event.error)) {
            this.#line(event.job, p.dim(cleanLine(line, this.#color)));
          }
        }
        break;
      }
      case "cancelled": {
        if (this.#quiet) break;
        // A running job's reason says which service failed under it; other cancellations have none.
        const why = event.reason === undefined ? "" : `: ${cleanLine(event.reason, this.#color)}`;
        this.#line(
          event.job,
          // No attempt made: it waited (for a worker, say) and never ran.
          p.yellow(
            event.started && event.attempt > 0
              ? `⊘ cancelled ${took}${
                event.worker === undefined ? "" : ` on ${event.worker}`
              }${why}`
              : "⊘ not started",
          ),
        );
        break;
      }
      case "skipped":
        if (!this.#quiet) this.#line(event.job, p.yellow(`– skipped: ${event.reason ?? ""}`));
        break;
    }
  }

  /** A line of the job's output, cleaned of escapes other than colours (and of those without colour). */
  #output(job: string, line: string, stream: string): void {
    const text = cleanLine(line, this.#color);
    this.#line(job, stream === "stderr" ? this.#p.yellow(text) : text);
  }

  #line(job: string, text: string): void {
    const line = `${this.#p.cyan(padToWidth(job, this.#width))} │ ${text}\n`;
    const group = this.#groups?.get(job);
    if (group) group.add(line);
    else this.#out.write(line);
  }

  /** Print an excerpt: its first lines, how many were cut and where the full log is, its last. */
  #excerpt<T>(job: string, excerpt: LineExcerpt<T>, each: (line: T) => void): void {
    for (const { line, note } of excerptLines(excerpt, this.#logPath(job))) {
      if (note !== undefined) this.#line(job, this.#p.dim(note));
      else each(line);
    }
  }

  #flushGroup(job: string): void {
    const group = this.#groups?.get(job);
    if (!group) return;
    this.#groups!.delete(job);
    this.#excerpt(job, group, (line) => this.#out.write(line));
  }
}
