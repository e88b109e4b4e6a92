/**
 * The closing summary, as lines of text, shared by the human reporters.
 *
 * @module
 */

import { formatDuration, plural } from "./format.ts";
import type { JobCounts } from "../events.ts";
import type { Palette } from "./palette.ts";
import type { Summary } from "./record.ts";
import { failureText, shorten } from "./_failure.ts";
import { cleanLine, plainLine, textWidth } from "./_tty_text.ts";

/** The most characters of a failure's message the summary shows (a command can be long). */
const HEADLINE = 120;

/** A word that is (the start of) a duration as {@linkcode formatDuration} writes it: `80ms`, `3s,`. */
const DURATION_PART = /^\d+(?:ms|s|m|h|d)\b/;

/** Options of {@linkcode formatSummary}. */
export interface SummaryFormatOptions {
  /** Where a job's full log is, if it has one. @default {undefined} */
  logPath?: (job: string) => string | undefined;
  /**
   * The terminal's width: longer lines break between words, the rest
   * indented under their start (a terminal would break them mid-word).
   * @default {no breaking (a pipe, a file)}
   */
  columns?: number;
}

/**
 * Render the summary: the outcome with counts, each failure with the first
 * line of its error (cut to 120 characters: its output and whole error were
 * printed when it failed) and where its full log is, the critical path and
 * the slowest jobs.
 *
 * @param summary The summary.
 * @param p The palette.
 * @param options Where the jobs' logs are.
 * @returns The text, ending with a newline.
 *
 * @example Usage
 * ```ts
 * import { formatSummary } from "./summary.ts";
 * import { palette } from "./palette.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const text = formatSummary({
 *   status: "ok",
 *   counts: { total: 1, ok: 1, failed: 0, cancelled: 0, skipped: 0, cached: 0 },
 *   durationMs: 1200,
 *   criticalPath: [{ name: "build", durationMs: 1200 }],
 *   slowest: [{ name: "build", durationMs: 1200 }],
 *   failures: [],
 *   ignoredCancellation: [],
 *   diagnostics: [],
 *   finished: ["build"],
 *   cancelled: [],
 *   notStarted: [],
 * }, palette(false));
 * assertStringIncludes(text, "1 ok");
 * ```
 */
export function formatSummary(
  summary: Summary,
  p: Palette,
  options: SummaryFormatOptions = {},
): string {
  const { counts, status } = summary;
  const parts = [
    p.green(`${counts.ok} ok`) + (counts.cached ? p.dim(` (${cachedCount(counts)})`) : ""),
    counts.failed ? p.red(`${counts.failed} failed`) : "",
    counts.cancelled ? p.yellow(`${counts.cancelled} cancelled`) : "",
    counts.skipped ? p.yellow(`${counts.skipped} skipped`) : "",
  ].filter(Boolean);
  const head = status === "ok"
    ? p.green("✔ done")
    : status === "failed"
    ? p.red("✖ failed")
    : p.yellow("⊘ interrupted");
  const lines = [
    "",
    `${p.bold(head)}: ${parts.join(", ")} of ${plural(counts.total, "job")} in ${
      formatDuration(summary.durationMs)
    }`,
  ];
  summary.failures.forEach((job, i) => {
    const label = i === 0 ? "first failure" : "also failed";
    const { headline } = failureText(job.error, true);
    // Colour codes in an error must not leak into the summary; the palette colours it.
    lines.push(
      `  ${p.red(label)} ${p.bold(job.name)}: ${shorten(cleanLine(headline, false), HEADLINE)}`,
    );
    const log = options.logPath?.(job.name);
    if (log !== undefined) lines.push(p.dim(`    full log: ${log}`));
  });
  if (status === "cancelled") {
    lines.push(
      `  ${p.green("finished")}: ${summary.finished.length ? list(summary.finished) : "none"}`,
    );
  }
  if (status !== "ok" && summary.cancelled.length > 0) {
    lines.push(`  ${p.yellow("cancelled while running")}: ${list(summary.cancelled)}`);
  }
  if (status !== "ok" && summary.notStarted.length > 0) {
    lines.push(`  ${p.yellow("never started")}: ${list(summary.notStarted)}`);
  }
  const diagnosed = new Set(
    summary.diagnostics.filter((d) => d.kind === "ignored-cancellation").map((d) => d.job),
  );
  for (const name of summary.ignoredCancellation) {
    if (diagnosed.has(name)) continue; // listed with the diagnostics below
    const fix = "pass ctx.signal to fetch, ctx.sh and timers";
    lines.push(
      `  ${p.yellow("ignored cancellation")} ${
        p.bold(name)
      }: still running when its grace period ended; ${fix}`,
    );
  }
  if (summary.diagnostics.length > 0) {
    lines.push(`  ${p.yellow(`⚠ ${summary.diagnostics.length} diagnostic(s)`)}:`);
    for (const d of summary.diagnostics.slice(0, 20)) {
      const where = d.site ? ` (at ${d.site})` : "";
      lines.push(`    ${p.yellow(d.kind)} ${p.bold(d.job ?? "(no job)")}: ${d.message}${where}`);
      lines.push(p.dim(`      fix: ${d.hint}`));
    }
    if (summary.diagnostics.length > 20) {
      lines.push(p.dim(`    … and ${summary.diagnostics.length - 20} more (see --reporter json)`));
    }
  }
  if (summary.criticalPath.length > 1) {
    const path = summary.criticalPath.map((job) =>
      `${job.name} ${p.dim(formatDuration(job.durationMs))}`
    );
    lines.push(`  critical path: ${path.join(" → ")}`);
  }
  if (summary.slowest.length > 1) {
    const slow = summary.slowest.map((job) =>
      `${job.name} ${p.dim(formatDuration(job.durationMs))}`
    );
    lines.push(`  slowest: ${slow.join(", ")}`);
  }
  const columns = options.columns;
  const shown = columns === undefined ? lines : lines.flatMap((line) => breakLine(line, columns));
  return shown.join("\n") + "\n";
}

/**
 * A line broken between words to fit `columns`, each following part
 * indented under the line's start: `  slowest: a 1s, b 2s` becomes
 * `  slowest: a 1s,` and `      b 2s`; a `fix:` hint's parts go under the
 * text after `fix: `. A duration (`1s 80ms`) stays whole and on the line of
 * the word before it, unless the two do not fit in a line together. A word
 * wider than the line stays whole.
 *
 * @param line The line, colour codes included.
 * @param columns The terminal's width.
 * @returns The parts, each within `columns` (but for a word wider than it).
 *
 * @example Usage
 * ```ts
 * import { breakLine } from "./summary.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(breakLine("  slowest: build 1s 80ms, test 2s", 26), [
 *   "  slowest: build 1s 80ms,",
 *   "      test 2s",
 * ]);
 * ```
 */
export function breakLine(line: string, columns: number): string[] {
  const plain = plainLine(line);
  if (textWidth(plain) <= columns) return [line];
  // Colour codes may come before the leading spaces (a dimmed line): they stay with the first word.
  // deno-lint-ignore no-control-regex
  const lead = line.match(/^(?:\x1b\[[0-9;]*m)* */)![0];
  const indent = " ".repeat(
    plain.match(/^ *fix: /)?.[0].length ?? plain.match(/^ */)![0].length + 4,
  );
  // Words that cannot be parted: a duration's pieces and the word before it, unless together
  // they are wider than a line (a long job name): then the duration goes on, whole, under it.
  const glued: string[][] = [];
  for (const word of line.slice(lead.length).split(" ")) {
    if (glued.length > 0 && DURATION_PART.test(plainLine(word))) glued.at(-1)!.push(word);
    else glued.push([word]);
  }
  const room = columns - indent.length;
  const chunks = glued.flatMap((words) =>
    words.length > 1 && textWidth(plainLine(words.join(" "))) > room
      ? [words[0]!, words.slice(1).join(" ")]
      : [words.join(" ")]
  );
  const parts: string[] = [];
  let current = "";
  let width = 0;
  for (const chunk of chunks) {
    const chunkWidth = textWidth(plainLine(chunk));
    if (current === "") {
      current = lead + chunk;
      width = textWidth(plainLine(current));
    } else if (width + 1 + chunkWidth <= columns) {
      current += ` ${chunk}`;
      width += 1 + chunkWidth;
    } else {
      parts.push(current);
      current = indent + chunk;
      width = indent.length + chunkWidth;
    }
  }
  parts.push(current);
  return parts;
}

/** `10 cached`, or `10 cached: 6 local, 4 remote` when some came from the remote cache. */
function cachedCount(counts: JobCounts): string {
  const remote = counts.cachedRemote ?? 0;
  return remote === 0
    ? `${counts.cached} cached`
    : `${counts.cached} cached: ${counts.cached - remote} local, ${remote} remote`;
}

function list(names: string[], most = 8): string {
  const shown = names.slice(0, most).join(", ");
  return names.length > most ? `${shown} and ${names.length - most} more` : shown;
}
