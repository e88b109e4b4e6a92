/**
 * SHA-256 of a text, for what the loaders put in cache keys.
 *
 * @module
 */

import { createHash } from "node:crypto";

/**
 * The SHA-256 of a text, hex.
 *
 * @param text Any text.
 * @returns Its hash.
 *
 * @example Usage
 * ```ts
 * import { sha256Text } from "./_hash.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(sha256Text("hello").slice(0, 8), "2cf24dba");
 * ```
 */
export function sha256Text(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
