/**
 * The permanent lines the live display prints above its block when a job
 * ends: `✔ name 1.2s`, `⊘`, `–`, `✖` with the error; under it, the job's
 * output (first and last lines, with how many were cut) when `--output`
 * shows it, and for a failure where its full log is. Also the line of a
 * service that is ready (`● api ready 1.2s (…)`, or `● api still running (…)`
 * for one watch mode kept from an earlier run).
 *
 * @module
 */

import type { JobEndEvent, JobReadyEvent } from "../events.ts";
import type { Palette } from "./palette.ts";
import type { JobRecord } from "./record.ts";
import { cachedLabel } from "./format.ts";
import type { OutputMode } from "./reporter.ts";
import { excerptLines } from "./_excerpt.ts";
import { failureText, stackLines } from "./_failure.ts";
import { cleanLine, cutToWidth, plainLine, shortDuration, textWidth } from "./_tty_text.ts";

/**
 * The line a ready service gets: how long it took, and its ready value (a
 * URL, a port) or else what told it was ready. A service watch mode kept
 * running from an earlier run did not start again: it is `still running`.
 *
 * @param event The `job:ready` event.
 * @param p Colours.
 * @returns The line, without a line break.
 *
 * @example Usage
 * ```ts
 * import { readyLine } from "./_tty_lines.ts";
 * import { palette } from "./palette.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const event = { type: "job:ready", time: 0, job: "api", probe: "port 8000", durationMs: 1200, value: 8000 } as const;
 * assertEquals(readyLine(event, palette(false)), "● api ready 1.2s (8000)");
 * assertEquals(readyLine({ ...event, durationMs: 0, kept: true }, palette(false)), "● api still running (8000)");
 * ```
 */
export function readyLine(event: JobReadyEvent, p: Palette): string {
  const what = event.value === undefined ? event.probe : String(event.value);
  const state = event.kept ? "still running" : `ready ${shortDuration(event.durationMs)}`;
  return `${p.green("●")} ${event.job} ${p.dim(state)} ${p.dim(`(${what})`)}`;
}

/**
 * A line to print above the live block: gather's own, which the display
 * breaks between words to the terminal's width, or a line of a job's output,
 * printed as it was written (`asWritten`).
 */
export interface AboveLine {
  /** The line, without a line break. */
  text: string;
  /** A line of a job's output: the terminal wraps it, if it is wide. */
  asWritten?: boolean;
}

/** Options of {@linkcode endLines}. */
export interface EndLinesOptions {
  /** Colours. */
  palette: Palette;
  /** Only failures get lines. @default {false} */
  quiet?: boolean;
  /** Whose output is printed under its line. @default {"full"} */
  show?: OutputMode;
  /** `--debug`: a failed job's stack under its error. @default {false} */
  debug?: boolean;
  /** Keep colour codes in job output. @default {false} */
  color?: boolean;
  /** Where the job's full log is. @default {undefined} */
  log?: string | undefined;
  /** The most columns a line of output may take (the rest is in the log). @default {Infinity} */
  lineWidth?: number;
}

/**
 * The lines to print when a job ends.
 *
 * @param event The `job:end` event.
 * @param job The job's record: an excerpt of its output.
 * @param options Palette, quiet mode, whose output to show, colour and the log path.
 * @returns The lines, without line breaks; none for a job that never started.
 *
 * @example Usage
 * ```ts
 * import { endLines } from "./_tty_lines.ts";
 * import { palette } from "./palette.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const event = { type: "job:end", time: 0, job: "a", status: "ok", started: true, durationMs: 1200, attempt: 1, cache: "off" } as const;
 * assertEquals(endLines(event, undefined, { palette: palette(false) }), [{ text: "✔ a 1.2s" }]);
 * ```
 */
export function endLines(
  event: JobEndEvent,
  job: JobRecord | undefined,
  options: EndLinesOptions,
): AboveLine[] {
  const p = options.palette;
  const quiet = options.quiet ?? false;
  const color = options.color ?? false;
  const took = p.dim(shortDuration(event.durationMs));
  const on = event.worker === undefined ? "" : ` ${p.dim(`on ${event.worker}`)}`;
  let head: string;
  switch (event.status) {
    case "ok":
      if (quiet || event.running) return []; // a service that keeps running: the watch line names it
      head = `${p.green("✔")} ${event.job} ${cachedLabel(event.cache, p) ?? took}${on}`;
      break;
    case "cancelled":
      // Jobs that never ran (not started, or queued for a worker: no attempt) are listed by the summary.
      if (quiet || !event.started || event.attempt === 0) return [];
      // A reason says which service failed under it; any other cancellation has none.
      head = `${p.yellow("⊘")} ${event.job} ${took}${on} ${p.yellow("cancelled")}${
        event.reason === undefined ? "" : p.yellow(`: ${cleanLine(event.reason, color)}`)
      }`;
      break;
    case "skipped":
      return quiet ? [] : [{ text: p.yellow(`– ${event.job} skipped: ${event.reason ?? ""}`) }];
    case "failed":
      head = `${p.red("✖")} ${p.bold(event.job)} ${took}${on}`;
      break;
  }
  const failed = event.status === "failed";
  const mode = options.show ?? "full";
  const excerpt = mode === "full" || (mode === "errors" && failed) ? job?.output : undefined;
  const lines: AboveLine[] = [{ text: head }];
  const own = (text: string) => lines.push({ text });
  if (failed) {
    const { headline, detail, note } = failureText(event.error, excerpt !== undefined, options.log);
    own(`  ${p.red(cleanLine(headline, color))}`);
    for (const line of detail) own(p.dim(`  ${cleanLine(line, color)}`));
    if (note !== undefined) own(p.dim(`  ${note}`));
    if (options.debug) {
      for (const line of stackLines(event.error)) own(p.dim(`  ${cleanLine(line, color)}`));
    }
  }
  if (excerpt) {
    const width = options.lineWidth ?? Infinity;
    for (const { line, note } of excerptLines(excerpt, options.log)) {
      if (note !== undefined) own(p.dim(`  ${note}`));
      else {lines.push({
          text: `  ${p.dim("│")} ${outputLine(line, color, width)}`,
          asWritten: true,
        });}
    }
  }
  const logNamed = excerpt !== undefined && excerpt.omitted > 0;
  if (failed && options.log !== undefined && !logNamed) own(p.dim(`  full log: ${options.log}`));
  return lines;
}

/** A line of output, cleaned; one wider than `width` columns is cut, its colours dropped. */
function outputLine(line: string, color: boolean, width: number): string {
  if (line.length <= width) return cleanLine(line, color);
  const plain = plainLine(line);
  return textWidth(plain) <= width ? cleanLine(line, color) : cutToWidth(plain, width);
}
