/**
 * Medians, ratios and the number formats of the result tables.
 *
 * @module
 */

/**
 * The median of some numbers, ignoring `undefined` and `NaN`.
 *
 * @param values The numbers.
 * @returns The median, or `undefined` if there is none.
 *
 * @example Usage
 * ```ts
 * import { median } from "./stats.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(median([3, 1, 2]), 2);
 * assertEquals(median([1, 2]), 1.5);
 * ```
 */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const sorted = values.filter((v): v is number => v !== undefined && !Number.isNaN(v))
    .sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The spread of some numbers around their median, as `±x%` of it.
 *
 * @param values The numbers.
 * @returns Half the range over the median, in percent, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { spread } from "./stats.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(spread([90, 100, 110]), 10);
 * ```
 */
export function spread(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && !Number.isNaN(v));
  const mid = median(known);
  if (mid === undefined || mid === 0 || known.length < 2) return undefined;
  return ((Math.max(...known) - Math.min(...known)) / 2 / mid) * 100;
}

/**
 * Format a value: `–` when unknown, else with a precision that suits its size.
 *
 * @param value The value.
 * @param suffix Appended to known values.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { num } from "./stats.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(num(1234.5), "1235");
 * assertEquals(num(12.345, " ms"), "12.3 ms");
 * assertEquals(num(undefined), "–");
 * ```
 */
export function num(value: number | undefined, suffix = ""): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toFixed(digits) + suffix;
}

/**
 * A ratio against the baseline, as `12.3×`.
 *
 * @param value The tool's figure.
 * @param baseline gather's figure.
 * @returns The text, `–` if either is unknown.
 *
 * @example Usage
 * ```ts
 * import { ratio } from "./stats.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(ratio(300, 100), "3.00×");
 * ```
 */
export function ratio(value: number | undefined, baseline: number | undefined): string {
  if (value === undefined || baseline === undefined || baseline === 0) return "–";
  return num(value / baseline, "×");
}
