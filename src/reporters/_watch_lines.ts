/**
 * The lines watch mode adds around each run, for the live and plain
 * reporters: a header before it (the run's number, the time, what changed)
 * and a line after it (what is watched, which services keep running).
 *
 * @module
 */

import type { WatchChangeEvent, WatchWaitEvent } from "../events.ts";
import { plural } from "./format.ts";
import type { Palette } from "./palette.ts";
import { cutToWidth, plainLine, textWidth } from "./_tty_text.ts";

/**
 * The header of a run in watch mode.
 *
 * @param event The `watch:change` event.
 * @param p The palette.
 * @param columns Cut it to this width (a terminal's).
 * @returns One line, without a line break.
 *
 * @example Usage
 * ```ts
 * import { watchHeader } from "./_watch_lines.ts";
 * import { palette } from "./palette.ts";
 * import { assertMatch } from "@std/assert";
 *
 * const line = watchHeader({
 *   type: "watch:change", time: Date.now(), run: 2, reason: "1 file changed: src/a.ts",
 *   files: ["src/a.ts"], count: 1, jobs: ["build"],
 * }, palette(false));
 * assertMatch(line, /^↻ run 2 · \d\d:\d\d:\d\d · 1 file changed: src\/a\.ts · reruns build$/);
 * ```
 */
export function watchHeader(event: WatchChangeEvent, p: Palette, columns = Infinity): string {
  const time = new Date(event.time).toTimeString().slice(0, 8);
  const jobs = event.run === 1 || event.jobs.length === 0
    ? ""
    : ` · reruns ${event.jobs.slice(0, 5).join(", ")}${
      event.jobs.length > 5 ? ` and ${event.jobs.length - 5} more` : ""
    }`;
  const head = `↻ run ${event.run}`;
  const when = ` · ${time} · `;
  const room = columns - textWidth(head + when);
  const reason = cutToWidth(plainLine(event.reason), room);
  const rest = cutToWidth(jobs, room - textWidth(reason));
  return p.bold(head) + p.dim(when) + reason + p.dim(rest);
}

/**
 * The line after a run in watch mode.
 *
 * @param event The `watch:wait` event.
 * @param p The palette.
 * @returns One line, without a line break.
 *
 * @example Usage
 * ```ts
 * import { waitLine } from "./_watch_lines.ts";
 * import { palette } from "./palette.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   waitLine({ type: "watch:wait", time: 0, run: 1, files: 12, services: ["api"], mode: "events" }, palette(false)),
 *   "◌ watching 12 files · service api keeps running · Ctrl-C to stop",
 * );
 * assertEquals(
 *   waitLine({ type: "watch:wait", time: 0, run: 1, files: 3, folders: 1, services: [], mode: "events" }, palette(false)),
 *   "◌ watching 3 files and 1 folder · Ctrl-C to stop",
 * );
 * ```
 */
export function waitLine(event: WatchWaitEvent, p: Palette): string {
  const services = event.services.length === 0
    ? ""
    : ` · ${event.services.length === 1 ? "service" : "services"} ${event.services.join(", ")} ${
      event.services.length === 1 ? "keeps" : "keep"
    } running`;
  const how = event.mode === "polling" ? " (polling)" : "";
  const folders = event.folders ? ` and ${plural(event.folders, "folder")}` : "";
  return p.dim(
    `◌ watching ${plural(event.files, "file")}${folders}${how}${services} · Ctrl-C to stop`,
  );
}
