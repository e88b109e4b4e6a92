/**
 * One frame of the live display, as lines: a row per running job (spinner,
 * name, elapsed time, latest output), then a dim row per job waiting in a
 * distributed run's work queue (`queued`, no time: it is not running yet), a
 * "more" row when they do not fit, and a footer with a progress bar, counts, elapsed time and ETA. Pure:
 * the caller gives the state, the time and the terminal size.
 *
 * @module
 */

import type { Palette } from "./palette.ts";
import { cutToWidth, padToWidth, plainLine, shortDuration, textWidth } from "./_tty_text.ts";

/** The size of a terminal, as `Deno.consoleSize()` gives it. */
export interface TerminalSize {
  /** Columns. */
  columns: number;
  /** Rows. */
  rows: number;
}

/** A running job as the frame shows it. */
export interface LiveJob {
  /** The job's name. */
  name: string;
  /** When it started, ms since the epoch. */
  start: number;
  /** The latest line it wrote, if any. */
  line?: string | undefined;
  /** Its progress through its items, like `12/40`, if it reports any. */
  progress?: string | undefined;
  /** For a service that is ready: how long that took, in ms. */
  ready?: number | undefined;
  /** For a service watch mode kept running from an earlier run: `still running`, not its time. */
  kept?: boolean | undefined;
  /** The worker running it, in a distributed run. */
  worker?: string | undefined;
  /** It waits in a distributed run's work queue for a worker: shown `queued`, without a time. */
  queued?: boolean | undefined;
}

/** What a frame shows. */
export interface FrameState {
  /** The time of the frame, ms since the epoch. */
  now: number;
  /** When the run started, ms since the epoch. */
  start: number;
  /** Jobs in the run. */
  total: number;
  /** Jobs that ended, however they ended. */
  done: number;
  /** Jobs that failed. */
  failed: number;
  /** How many jobs are running. */
  running: number;
  /** How many jobs wait in a distributed run's work queue for a worker. @default {0} */
  queued?: number;
  /** The running jobs, longest-running first, then the queued ones; only as many as fit are read. */
  jobs: Iterable<LiveJob>;
  /** The width of the name column: the longest name in the run. */
  nameWidth: number;
  /** The run is being cancelled: the jobs left will not run, so no time left is estimated. */
  stopping?: boolean;
}

/** A line of a frame with its width in columns, for erasing it later. */
export interface FrameLine {
  /** The text, colours included. */
  text: string;
  /** Its width in columns, colours excluded. */
  width: number;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const SPIN_MS = 80;
const ELAPSED = 6;
/**
 * Columns the footer, where the cursor rests between frames, leaves free at
 * the end of its row: a terminal echoes a Ctrl-C there (`^C`). Had the row
 * been full, the echo would wrap onto a new row, and the next frame's erase,
 * one row short, would leave the row above the footer on the screen.
 */
const ECHO_ROOM = 2;
/** The narrowest terminal whose footer has a progress bar: a narrower one needs the room for words. */
const BAR_COLUMNS = 60;

/**
 * Render one frame. Costs as much as the rows it shows, whatever the number
 * of jobs in the run; every line fits in `size.columns` (the footer, last,
 * leaves the last two columns free, for a terminal's echo of `^C`), and the
 * frame in `size.rows - 1`.
 *
 * @param state What to show.
 * @param size The terminal size.
 * @param p The palette.
 * @returns The lines, top to bottom.
 *
 * @example Usage
 * ```ts
 * import { renderFrame } from "./_tty_frame.ts";
 * import { palette } from "./palette.ts";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 *
 * const lines = renderFrame({
 *   now: 1_500, start: 0, total: 4, done: 1, failed: 0, running: 1,
 *   jobs: [{ name: "build", start: 300, line: "compiling" }], nameWidth: 5,
 * }, { columns: 80, rows: 24 }, palette(false));
 * assertEquals(lines[0]?.text, "⠇ build   1.2s  compiling");
 * assertStringIncludes(lines[1]?.text ?? "", "1/4 done · 1 running · 2 pending · 0 failed");
 *
 * const waiting = renderFrame({
 *   now: 1_500, start: 0, total: 4, done: 1, failed: 0, running: 1, queued: 1,
 *   jobs: [{ name: "build", start: 300 }, { name: "test", start: 300, queued: true }], nameWidth: 5,
 * }, { columns: 80, rows: 24 }, palette(false));
 * assertEquals(waiting[1]?.text, "· test  queued");
 * assertStringIncludes(waiting[2]?.text ?? "", "1/4 done · 1 running · 1 queued · 0 failed");
 * ```
 */
export function renderFrame(state: FrameState, size: TerminalSize, p: Palette): FrameLine[] {
  const columns = Math.max(1, Math.floor(size.columns));
  const room = Math.max(1, Math.floor(size.rows) - 3); // rows for jobs, "more" line included
  const queued = state.queued ?? 0;
  const live = state.running + queued;
  const shown = live > room ? room - 1 : live;
  const spin = SPINNER[Math.floor(state.now / SPIN_MS) % SPINNER.length]!;
  const nameWidth = Math.min(state.nameWidth, Math.max(4, Math.floor(columns / 3)));
  const lines: FrameLine[] = [];
  let count = 0;
  let shownRunning = 0;
  for (const job of state.jobs) {
    if (count++ >= shown) break;
    if (!job.queued) shownRunning++;
    lines.push(
      job.queued
        ? queuedLine(job, nameWidth, columns, p)
        : jobLine(job, state.now, spin, nameWidth, columns, p),
    );
  }
  if (live > shown) {
    const running = state.running - shownRunning;
    const waiting = live - shown - running;
    const more = [
      running > 0 ? `${running} more running` : undefined,
      waiting > 0 ? `${waiting}${running > 0 ? "" : " more"} queued` : undefined,
    ].filter((part) => part !== undefined).join(", ");
    const text = cutToWidth(`… and ${more}`, columns);
    lines.push({ text: p.dim(text), width: textWidth(text) });
  }
  lines.push(footer(state, Math.max(1, columns - ECHO_ROOM), p));
  return lines;
}

/** A job waiting in the work queue: dim, `queued` where a running job's time is, nothing after. */
function queuedLine(job: LiveJob, nameWidth: number, columns: number, p: Palette): FrameLine {
  const name = padToWidth(cutToWidth(job.name, nameWidth), nameWidth);
  const text = cutToWidth(`· ${name} ${"queued".padStart(ELAPSED)}`, columns);
  return { text: p.dim(text), width: textWidth(text) };
}

function jobLine(
  job: LiveJob,
  now: number,
  spin: string,
  nameWidth: number,
  columns: number,
  p: Palette,
): FrameLine {
  const name = padToWidth(cutToWidth(job.name, nameWidth), nameWidth);
  // A ready service: `● api ready 1.2s`, with the time it took to be ready (or `still running`).
  const mark = job.ready === undefined ? spin : "●";
  const elapsed = job.ready === undefined
    ? shortDuration(now - job.start).padStart(ELAPSED)
    : job.kept
    ? "still running"
    : `ready ${shortDuration(job.ready)}`;
  const head = cutToWidth(`${mark} ${name} ${elapsed}`, columns);
  const headWidth = textWidth(head);
  if (headWidth < 2 + nameWidth + 1 + Math.min(ELAPSED, elapsed.length)) {
    return { text: p.cyan(head), width: headWidth }; // a very narrow terminal
  }
  const output = job.line === undefined ? "" : plainLine(job.line).trim();
  const progress = job.progress === undefined ? output : `[${job.progress}] ${output}`.trim();
  const line = job.worker === undefined ? progress : `on ${job.worker}  ${progress}`.trim();
  const tail = line === "" ? "" : cutToWidth(line, columns - headWidth - 2);
  const text = `${job.ready === undefined ? p.cyan(mark) : p.green(mark)} ${p.bold(name)} ${
    p.dim(elapsed)
  }${tail ? `  ${p.dim(tail)}` : ""}`;
  return { text, width: headWidth + (tail ? 2 + textWidth(tail) : 0) };
}

/**
 * The footer: the most it can say in `columns`, never a cut word. When the
 * counts do not all fit, the least needed go first: the pending count, the
 * queued count (a distributed run's jobs waiting for a worker), the word "done", the running count (the rows above show them), the time left
 * (or "stopping" once the run is cancelled), the elapsed time; done/total
 * and the failed count go last. In a terminal of 60 columns or more, a
 * progress bar leads it, as wide as the terminal alone says (a quarter of
 * it, at most 24 columns), so that it keeps its width while the words
 * change; the words make room for it, unless even done/total, the failed
 * count and the elapsed time would not fit beside it: then there is no bar.
 */
function footer(state: FrameState, columns: number, p: Palette): FrameLine {
  const { total, done, failed, running } = state;
  const queued = state.queued ?? 0;
  const pending = Math.max(0, total - done - running - queued);
  const waiting = queued > 0 ? `${queued} queued` : undefined;
  const elapsed = state.now - state.start;
  const time = shortDuration(elapsed);
  const left = state.stopping
    ? "stopping"
    : done >= 3 && done >= total / 10 && done < total
    ? `~${eta(elapsed / done * (total - done))} left`
    : undefined;
  const bad = `${failed} failed`;
  const count = `${done}/${total}`;
  const forms = [
    [`${count} done`, `${running} running`, waiting, `${pending} pending`, bad, time, left],
    [`${count} done`, `${running} running`, waiting, bad, time, left],
    [`${count} done`, `${running} running`, bad, time, left],
    [count, `${running} running`, bad, time, left],
    [count, bad, time, left],
    [count, bad, time],
    [count, bad],
    [count],
  ].map((parts) => parts.filter((part) => part !== undefined));
  const barWidth = Math.min(24, Math.floor(columns / 4));
  const besideBar = columns - barWidth - 1;
  const withBar = columns + ECHO_ROOM >= BAR_COLUMNS &&
    textWidth([count, bad, time].join(" · ")) <= besideBar;
  const room = withBar ? besideBar : columns;
  const parts = forms.find((form) => textWidth(form.join(" · ")) <= room) ?? forms.at(-1)!;
  const text = cutToWidth(parts.join(" · "), room);
  const width = textWidth(text);
  const coloured = text === parts.join(" · ")
    ? parts.map((part) => part === bad && failed > 0 ? p.red(part) : part).join(" · ")
    : text;
  if (!withBar) return { text: coloured, width };
  const filled = total === 0 ? barWidth : Math.floor(barWidth * done / total);
  const bar = `${p.green("━".repeat(filled))}${p.dim("─".repeat(barWidth - filled))} `;
  return { text: bar + coloured, width: barWidth + 1 + width };
}

function eta(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : shortDuration(s * 1000);
}
