/**
 * Small text helpers shared by the reporters.
 *
 * @module
 */

import { format } from "../deps/fmt_duration.ts";
import type { CacheStatus, WarningEvent } from "../events.ts";
import type { Palette } from "./palette.ts";

/**
 * Format a duration for people: `340ms`, `1s 200ms`, `2m 5s`.
 *
 * @param ms Milliseconds.
 * @returns The duration, rounded to what a person cares about.
 *
 * @example Usage
 * ```ts
 * import { formatDuration } from "./format.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatDuration(1234.5), "1s 230ms");
 * assertEquals(formatDuration(0.4), "0ms");
 * ```
 */
export function formatDuration(ms: number): string {
  const rounded = ms < 1_000
    ? Math.round(ms)
    : ms < 60_000
    ? Math.round(ms / 10) * 10
    : Math.round(ms / 1_000) * 1_000;
  return rounded === 0 ? "0ms" : format(rounded, { ignoreZero: true });
}

/**
 * A count with its noun, singular or plural: `1 job`, `3 jobs`.
 *
 * @param count How many.
 * @param noun The singular noun; its plural adds an `s`.
 * @returns The count and the noun.
 *
 * @example Usage
 * ```ts
 * import { plural } from "./format.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(plural(1, "job"), "1 job");
 * assertEquals(plural(0, "job"), "0 jobs");
 * ```
 */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * The label of a job restored from the cache: `(cached)`, or `(cached, remote)`
 * when it came from the remote cache.
 *
 * @param cache What the cache did for the job.
 * @param p Colours.
 * @returns The label, dimmed; `undefined` for a job that ran.
 *
 * @example Usage
 * ```ts
 * import { cachedLabel } from "./format.ts";
 * import { palette } from "./palette.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(cachedLabel("hit-remote", palette(false)), "(cached, remote)");
 * assertEquals(cachedLabel("miss", palette(false)), undefined);
 * ```
 */
export function cachedLabel(cache: CacheStatus, p: Palette): string | undefined {
  if (cache === "hit") return p.dim("(cached)");
  if (cache === "hit-remote") return p.dim("(cached, remote)");
  return undefined;
}

/**
 * The line that says the run waits for its uploads to the remote cache.
 *
 * @param pending Uploads not finished.
 * @returns The line.
 *
 * @example Usage
 * ```ts
 * import { uploadLine } from "./format.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(uploadLine(1), "⇡ waiting for 1 upload to the remote cache (Ctrl-C abandons it)");
 * ```
 */
export function uploadLine(pending: number): string {
  return `⇡ waiting for ${plural(pending, "upload")} to the remote cache (Ctrl-C abandons ${
    pending === 1 ? "it" : "them"
  })`;
}

/**
 * A warning's text for people: its message, and the worker it happened on
 * when a worker sent it (in a distributed run, a file it removed is in the
 * worker's checkout, not this one).
 *
 * @param event The warning.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { warningText } from "./format.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(warningText({ type: "warning", time: 0, message: "m" }), "m");
 * assertEquals(warningText({ type: "warning", time: 0, message: "m", worker: "w1" }), "m (on w1)");
 * ```
 */
export function warningText(event: WarningEvent): string {
  return event.worker === undefined ? event.message : `${event.message} (on ${event.worker})`;
}
