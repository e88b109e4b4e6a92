/**
 * The permanent lines the live display prints above its block when a job
 * ends: `✔ name 1.2s`, `⊘`, `–`, and for a failure the error, the job's last
 * output lines and where its full log is.
 *
 * @module
 */

import type { JobEndEvent } from "../events.ts";
import type { Palette } from "./palette.ts";
import type { JobRecord } from "./record.ts";
import { cachedLabel } from "./format.ts";
import { cleanLine, shortDuration } from "./_tty_text.ts";

/** Options of {@linkcode endLines}. */
export interface EndLinesOptions {
  /** Colours. */
  palette: Palette;
  /** Only failures get lines. @default {false} */
  quiet?: boolean;
  /** Keep colour codes in job output. @default {false} */
  color?: boolean;
  /** Where the job's full log is. @default {undefined} */
  log?: string | undefined;
}

/**
 * The lines to print when a job ends.
 *
 * @param event The `job:end` event.
 * @param job The job's record: its last lines and how many it wrote.
 * @param options Palette, quiet mode, colour and the log path.
 * @returns The lines, without line breaks; none for a job that never started.
 *
 * @example Usage
 * ```ts
 * import { endLines } from "./_tty_lines.ts";
 * import { palette } from "./palette.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const event = { type: "job:end", time: 0, job: "a", status: "ok", started: true, durationMs: 1200, attempt: 1, cache: "off" } as const;
 * assertEquals(endLines(event, undefined, { palette: palette(false) }), ["✔ a 1.2s"]);
 * ```
 */
export function endLines(
  event: JobEndEvent,
  job: JobRecord | undefined,
  options: EndLinesOptions,
): string[] {
  const p = options.palette;
  const quiet = options.quiet ?? false;
  const took = p.dim(shortDuration(event.durationMs));
  switch (event.status) {
    case "ok":
      return quiet ? [] : [`${p.green("✔")} ${event.job} ${cachedLabel(event.cache, p) ?? took}`];
    case "cancelled":
      return quiet || !event.started
        ? [] // jobs that never started are listed by the summary
        : [`${p.yellow("⊘")} ${event.job} ${took} ${p.yellow("cancelled")}`];
    case "skipped":
      return quiet ? [] : [p.yellow(`– ${event.job} skipped: ${event.reason ?? ""}`)];
    case "failed":
      break;
  }
  const [first = "failed", ...rest] = (event.error?.message ?? "failed").split("\n");
  const lines = [`${p.red("✖")} ${p.bold(event.job)} ${took}`, `  ${p.red(first)}`];
  const tail = job?.tail ?? [];
  if (tail.length > 0) {
    const earlier = (job?.lines ?? 0) > tail.length ? `, last ${tail.length} lines` : "";
    lines.push(p.dim(`  output of ${event.job}${earlier}:`));
    for (const line of tail) {
      lines.push(`  ${p.dim("│")} ${cleanLine(line, options.color ?? false)}`);
    }
  }
  const shown = new Set(tail);
  for (const line of rest) if (!shown.has(line)) lines.push(p.dim(`  ${line}`));
  if (options.log !== undefined) lines.push(p.dim(`  full log: ${options.log}`));
  return lines;
}
