/**
 * Durations as task files write them: a number of milliseconds, or a string
 * such as `"500ms"`, `"10s"`, `"2m"`, `"1h"` or `"1m30s"`.
 *
 * @module
 */

import type { Duration } from "./types.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * The longest delay a timer can wait, 2^31-1 ms (24.8 days): a longer one
 * overflows and fires at once. Durations are clamped to it.
 *
 * @example Usage
 * ```ts
 * import { MAX_TIMER_MS, parseDuration } from "./duration.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseDuration("1000h"), MAX_TIMER_MS);
 * ```
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Parse a {@linkcode Duration} into milliseconds. Durations longer than
 * {@linkcode MAX_TIMER_MS} (24.8 days) are clamped to it: no timer can wait
 * longer, and `"1000h"` means "practically never" either way.
 *
 * @param value The duration to parse.
 * @returns The duration in milliseconds, at most {@linkcode MAX_TIMER_MS}.
 * @throws {RangeError} If the value is negative, not finite, or not a duration string.
 *
 * @example Usage
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseDuration("1m30s"), 90_000);
 * assertEquals(parseDuration(250), 250);
 * ```
 */
export function parseDuration(value: Duration): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`Cannot use duration ${value}: expected a number of milliseconds >= 0`);
    }
    return Math.min(value, MAX_TIMER_MS);
  }
  const text = String(value).trim();
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) break;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    matched = PART.lastIndex;
  }
  if (text.length === 0 || matched !== text.length) {
    throw new RangeError(
      `Cannot parse duration "${value}": use milliseconds or a string like "500ms", "10s", "2m"`,
    );
  }
  return Math.min(total, MAX_TIMER_MS);
}
