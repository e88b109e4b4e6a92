/**
 * Sizes in bytes, as people write and read them.
 *
 * @module
 */

import { GatherError } from "../errors.ts";

/**
 * Parse a size: bytes, or a number with `KB`, `MB`, `GB` (powers of 1024).
 *
 * @param text The size.
 * @returns Bytes.
 * @throws {GatherError} `BAD_OPTION` on anything else.
 *
 * @example Usage
 * ```ts
 * import { parseSize } from "./size.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseSize("1.5GB"), 1.5 * 1024 ** 3);
 * assertEquals(parseSize("512"), 512);
 * ```
 */
export function parseSize(text: string): number {
  const match = text.trim().match(/^(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?|tb?)?$/i);
  if (!match) {
    const why = text.trim().startsWith("-") ? "a size cannot be negative; use" : "use";
    throw bad(`Invalid size "${text}": ${why} bytes or a size like 500MB or 5GB`);
  }
  const unit = (match[2] ?? "b").toLowerCase()[0]!;
  const power = { b: 0, k: 1, m: 2, g: 3, t: 4 }[unit as "b"] ?? 0;
  return Math.round(Number(match[1]) * 1024 ** power);
}

/**
 * Format bytes for people.
 *
 * @param bytes Bytes.
 * @returns `12 B`, `3.4 MB`, ...
 *
 * @example Usage
 * ```ts
 * import { formatBytes } from "./size.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatBytes(1536), "1.5 KB");
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function bad(message: string): GatherError {
  return new GatherError("BAD_OPTION", message);
}
