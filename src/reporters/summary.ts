/**
 * The closing summary, as lines of text, shared by the human reporters.
 *
 * @module
 */

import { formatDuration, plural } from "./format.ts";
import type { JobCounts } from "../events.ts";
import type { Palette } from "./palette.ts";
import type { Summary } from "./record.ts";
import { failureText, shorten, shortenMiddle } from "./_failure.ts";
import { cleanLine } from "./_tty_text.ts";
import { breakLine } from "./_break_line.ts";

/** The most characters of a failure's message the summary shows (a command can be long). */
const HEADLINE = 120;

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
  /**
   * How durations are written, as the reporter writes them elsewhere (the
   * live display: `1.5s`), so that one screen has one format.
   * @default {formatDuration: `1s 500ms`}
   */
  duration?: (ms: number) => string;
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
  const duration = options.duration ?? formatDuration;
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
      duration(summary.durationMs)
    }`,
  ];
  summary.failures.forEach((job, i) => {
    const label = i === 0 ? "first failure" : "also failed";
    const { headline } = failureText(job.error, true);
    // An error with causes is cut in its middle: its deepest cause, last, says why.
    const cut = job.error?.causes?.length ? shortenMiddle : shorten;
    // Colour codes in an error must not leak into the summary; the palette colours it.
    lines.push(
      `  ${p.red(label)} ${p.bold(job.name)}: ${cut(cleanLine(headline, false), HEADLINE)}`,
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
    lines.push(`  ${p.yellow(`⚠ ${plural(summary.diagnostics.length, "diagnostic")}`)}:`);
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
      `${job.name} ${p.dim(duration(job.durationMs))}`
    );
    lines.push(`  critical path: ${path.join(" → ")}`);
  }
  if (summary.slowest.length > 1) {
    const slow = summary.slowest.map((job) => `${job.name} ${p.dim(duration(job.durationMs))}`);
    lines.push(`  slowest: ${slow.join(", ")}`);
  }
  const columns = options.columns;
  const shown = columns === undefined ? lines : lines.flatMap((line) => breakLine(line, columns));
  return shown.join("\n") + "\n";
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
