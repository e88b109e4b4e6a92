/**
 * The live display, for a person at a terminal: finished jobs scroll up as
 * permanent lines, and a live block at the bottom (one row per running job,
 * a dim `queued` row per job waiting for a worker in a distributed run, and
 * a progress footer) is redrawn in place at most ~15 times a second.
 * A job's output is printed under its line once it ends (with `--output
 * errors`, only a failed job's), its first and last lines when it is long;
 * at the end the block is erased, the cursor restored and the summary printed.
 *
 * @module
 */

import type { GatherEvent, JobEndEvent } from "../events.ts";
import type { Output } from "./output.ts";
import type { Palette } from "./palette.ts";
import { RunRecord } from "./record.ts";
import type { OutputMode, Reporter } from "./reporter.ts";
import { uploadLine, warningText } from "./format.ts";
import { formatSummary } from "./summary.ts";
import { breakLine } from "./_break_line.ts";
import { failureText } from "./_failure.ts";
import { type FrameLine, type LiveJob, renderFrame, type TerminalSize } from "./_tty_frame.ts";
import { type AboveLine, endLines, readyLine } from "./_tty_lines.ts";
import { cleanLine, shortDuration } from "./_tty_text.ts";
import { waitLine, watchHeader } from "./_watch_lines.ts";

export type { TerminalSize } from "./_tty_frame.ts";

/** Calls `tick` every `ms` milliseconds until the returned function is called. */
export type Ticker = (tick: () => void, ms: number) => () => void;

/** Options of {@linkcode TtyReporter}. */
export interface TtyReporterOptions {
  /** Where the display goes: a terminal (stderr). */
  output: Output;
  /** Colours. */
  palette: Palette;
  /** The terminal's size, read again for every frame so resizes are followed. */
  size: () => TerminalSize;
  /** Whether colour is wanted: without it, colour codes in job output are removed. @default {false} */
  color?: boolean;
  /** Print only failures and the summary under the live block. @default {false} */
  quiet?: boolean;
  /** Whose output is printed when a job ends (`--output`). @default {quiet ? "errors" : "full"} */
  show?: OutputMode;
  /** `--debug`: print a failed job's stack under its error. @default {false} */
  debug?: boolean;
  /** Where a job's full log is, if it has one. @default {() => undefined} */
  logPath?: (job: string) => string | undefined;
  /** The clock, ms since the epoch. @default {Date.now} */
  now?: () => number;
  /** Drives redraws. @default {setInterval} */
  ticker?: Ticker;
  /** Time between redraws. @default {66} */
  frameMs?: number;
  /** How many of a job's first lines to print when it ends. @default {20} */
  headLines?: number;
  /** How many of a job's last lines to print when it ends, after the first ones. @default {30} */
  tailLines?: number;
}

const HIDE_CURSOR = "\x1b[?25l";
/** Cursor home, then clear the screen (the scrollback keeps what was on it). */
const CLEAR_SCREEN = "\x1b[H\x1b[2J";
const SHOW_CURSOR = "\x1b[?25h";

const defaultTicker: Ticker = (tick, ms) => {
  const id = setInterval(tick, ms);
  return () => clearInterval(id);
};

/**
 * Shows the run live in a terminal.
 *
 * @example Usage
 * ```ts
 * import { TtyReporter } from "./tty.ts";
 * import { Output } from "./output.ts";
 * import { palette } from "./palette.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * let screen = "";
 * const output = new Output({ writeSync: (p) => (screen += new TextDecoder().decode(p), p.length) });
 * let tick = () => {};
 * const reporter = new TtyReporter({
 *   output, palette: palette(false), size: () => ({ columns: 60, rows: 10 }),
 *   now: () => 1_000, ticker: (fn) => (tick = fn, () => {}),
 * });
 * reporter.handle({ type: "run:start", time: 0, jobs: [{ name: "build", deps: [] }], concurrency: 1 });
 * reporter.handle({ type: "job:start", time: 0, job: "build", attempt: 1 });
 * tick();
 * assertStringIncludes(screen, "build   1.0s");
 * reporter.close();
 * assertStringIncludes(screen, "\x1b[?25h"); // the cursor is back
 * ```
 */
export class TtyReporter implements Reporter {
  #out: Output;
  #p: Palette;
  #size: () => TerminalSize;
  #color: boolean;
  #quiet: boolean;
  #debug: boolean;
  #show: OutputMode;
  #logPath: (job: string) => string | undefined;
  #now: () => number;
  #ticker: Ticker;
  #frameMs: number;
  #record: RunRecord;
  #nameWidth = 0;
  #failed = 0;
  #progress = new Map<string, string>(); // running jobs' `done/total`
  #stopping = false; // a run:cancel came: the footer says so instead of a time left
  #partial = new Map<string, string>(); // running jobs' unfinished line (a progress bar), until it ends
  #workers = new Map<string, string>(); // running jobs' workers, in a distributed run
  #above: AboveLine[] = []; // permanent lines waiting for the next frame
  #frame: FrameLine[] = []; // the live block on screen now
  #frameColumns = 0;
  #frameText = "";
  #stopTicker: (() => void) | undefined;
  #live = false;
  #cursorHidden = false;

  /**
   * Construct the reporter.
   *
   * @param options Output, palette, terminal size and clock.
   */
  constructor(options: TtyReporterOptions) {
    this.#out = options.output;
    this.#p = options.palette;
    this.#size = options.size;
    this.#color = options.color ?? false;
    this.#quiet = options.quiet ?? false;
    this.#debug = options.debug ?? false;
    this.#show = options.show ?? (this.#quiet ? "errors" : "full");
    this.#logPath = options.logPath ?? (() => undefined);
    this.#now = options.now ?? Date.now;
    this.#ticker = options.ticker ?? defaultTicker;
    this.#frameMs = options.frameMs ?? 66;
    this.#record = this.#show === "none"
      ? new RunRecord({ tailLines: 1 }) // the running row's latest line
      : new RunRecord({ headLines: options.headLines ?? 20, tailLines: options.tailLines ?? 30 });
  }

  /**
   * Take in one event. Cheap: drawing happens on the ticker, not per event.
   *
   * @param event The event.
   */
  handle(event: GatherEvent): void {
    this.#record.add(event);
    const p = this.#p;
    switch (event.type) {
      case "run:start":
        for (const job of event.jobs) this.#nameWidth = Math.max(this.#nameWidth, job.name.length);
        this.#live = true;
        this.#cursorHidden = true;
        this.#out.write(HIDE_CURSOR);
        this.#stopTicker = this.#ticker(() => this.#draw(), this.#frameMs);
        break;
      case "job:start":
        break;
      case "job:queued": // the record moves it from the running rows to the queued ones
        this.#workers.delete(event.job); // given back: no worker runs it now
        break;
      case "job:log":
        this.#partial.delete(event.job);
        break;
      case "job:partial":
        this.#partial.set(event.job, event.line);
        break;
      case "job:worker":
        this.#workers.set(event.job, event.worker);
        break;
      case "job:progress":
        this.#progress.set(
          event.job,
          `${event.done}${event.total === undefined ? "" : `/${event.total}`}`,
        );
        break;
      case "diagnostic": {
        const where = event.site ? ` (at ${event.site})` : "";
        const about = event.job === undefined ? "" : ` ${p.bold(event.job)}`;
        this.#own(`${p.yellow(`⚠ ${event.kind}`)}${about}: ${event.message}${where}`);
        this.#own(p.dim(`  fix: ${event.hint}`));
        break;
      }
      case "job:cache":
        if (event.reason !== undefined && !this.#quiet) {
          this.#own(p.dim(`↻ ${event.job} runs: ${event.reason}`));
        }
        break;
      case "job:ready":
        if (!this.#quiet) this.#own(readyLine(event, p));
        break;
      case "watch:change":
        // Watch mode: each run has the screen to itself, under a header that says why it runs.
        this.#out.write(
          `${event.run > 1 ? CLEAR_SCREEN : ""}${watchHeader(event, p, this.#size().columns)}\n`,
        );
        break;
      case "watch:wait":
        this.#out.write(`${waitLine(event, p)}\n`);
        this.#out.flush();
        break;
      case "warning": {
        const about = event.job === undefined ? "" : ` ${p.bold(event.job)}`;
        this.#own(`${p.yellow("⚠ warning")}${about}: ${warningText(event)}`);
        break;
      }
      case "cache:upload":
        this.#own(p.dim(uploadLine(event.pending)));
        break;
      case "job:retry":
        if (!this.#quiet) {
          const why = failureText(event.error, false).headline;
          this.#own(p.yellow(`↻ ${event.job} attempt ${event.attempt} failed: ${why}`));
        }
        break;
      case "job:end":
        this.#end(event);
        break;
      case "run:cancel":
        this.#stopping = true;
        this.#own(
          p.yellow(`⊘ ${event.reason}: cancelling running jobs (send it again to stop at once)`),
        );
        break;
      case "run:end": {
        this.#finish();
        const summary = this.#record.summary(event);
        this.#out.write(
          formatSummary(summary, p, {
            logPath: this.#logPath,
            columns: this.#size().columns,
            duration: shortDuration, // as the rows and the end lines above it
          }),
        );
        this.#out.flush();
        break;
      }
      default: {
        const never: never = event;
        throw new TypeError(`Unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Print lines that belong to no job above the live block (with the next
   * frame), or at once when the block is gone.
   *
   * @param text The text, ending with a line break.
   */
  print(text: string): void {
    if (!this.#live) return this.#out.write(text);
    for (const line of text.replace(/\n$/, "").split("\n")) {
      this.#above.push({ text: cleanLine(line, this.#color), asWritten: true });
    }
  }

  /** Stop redrawing, erase the live block, restore the cursor and flush. */
  close(): void {
    this.#finish();
  }

  /** A line of gather's own for above the block: the next frame breaks it between words. */
  #own(text: string): void {
    this.#above.push({ text });
  }

  #end(event: JobEndEvent): void {
    this.#progress.delete(event.job);
    this.#partial.delete(event.job);
    this.#workers.delete(event.job);
    if (event.status === "failed") this.#failed++;
    const job = this.#record.job(event.job);
    // Printed by the next frame, within frameMs: a job's output shows while other jobs still run.
    this.#above.push(...endLines(event, job, {
      palette: this.#p,
      quiet: this.#quiet,
      debug: this.#debug,
      show: this.#show,
      color: this.#color,
      log: this.#logPath(event.job),
      lineWidth: 4 * Math.max(20, this.#size().columns), // a minified bundle: four rows of it
    }));
    if (job) delete job.output; // printed once: nothing reads it again
  }

  #draw(): void {
    if (!this.#live && this.#above.length === 0 && this.#frame.length === 0) return;
    const size = this.#size();
    const lines = this.#live ? renderFrame(this.#state(), size, this.#p) : [];
    const text = lines.map((line) => line.text).join("\n");
    if (
      this.#above.length === 0 && text === this.#frameText && size.columns === this.#frameColumns
    ) {
      return; // nothing changed: write nothing
    }
    let out = this.#erase(size.columns);
    if (this.#above.length > 0) {
      // gather's own lines break between words; a job's output is shown as it was written.
      const above = this.#above.flatMap((line) =>
        line.asWritten ? [line.text] : breakLine(line.text, size.columns)
      );
      out += above.join("\n") + "\n";
      this.#above = [];
    }
    out += text;
    this.#frame = lines;
    this.#frameText = text;
    this.#frameColumns = size.columns;
    this.#out.write(out);
    this.#out.flush();
  }

  /**
   * Clear the live block's rows from the bottom up, ending at its top row.
   * Not `ESC[J`: tmux moves the whole screen into scrollback when that runs
   * at the top-left corner, which is where the block starts on a new screen.
   * Rows a shrinking resize pushed above the screen (tmux keeps the cursor's
   * row and moves what no longer fits above it into its scrollback) are out
   * of reach: the cursor stops at the top row.
   */
  #erase(columns: number): string {
    if (this.#frame.length === 0) return "";
    let rows = 0;
    for (const line of this.#frame) {
      // After a shrinking resize the terminal re-wraps the old lines: count their rows now.
      rows += columns < this.#frameColumns ? Math.max(1, Math.ceil(line.width / columns)) : 1;
    }
    return "\r" + "\x1b[2K\x1b[1A".repeat(rows - 1) + "\x1b[2K";
  }

  #state() {
    const record = this.#record;
    const now = this.#now();
    return {
      now,
      start: record.startTime,
      total: record.total,
      done: record.done,
      failed: this.#failed,
      running: record.running.size,
      queued: record.queued.size,
      jobs: this.#liveJobs(now),
      nameWidth: this.#nameWidth,
      stopping: this.#stopping,
    };
  }

  *#liveJobs(now: number): Iterable<LiveJob> {
    for (const name of this.#record.running) {
      const job = this.#record.job(name);
      yield {
        name,
        start: job?.start ?? now,
        line: this.#partial.get(name) ?? job?.output?.last,
        progress: this.#progress.get(name),
        ready: job?.readyMs,
        kept: job?.kept,
        worker: this.#workers.get(name),
      };
    }
    // A distributed run's jobs waiting for a worker: not running, so no spinner and no time.
    for (const name of this.#record.queued) yield { name, start: now, queued: true };
  }

  #finish(): void {
    this.#stopTicker?.();
    this.#stopTicker = undefined;
    this.#live = false;
    this.#draw(); // erases the block and prints what is waiting
    if (this.#cursorHidden) {
      this.#out.write(SHOW_CURSOR);
      this.#cursorHidden = false;
    }
    this.#out.flush();
  }
}
