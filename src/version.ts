/**
 * gather's version, in one place: the CLI prints it, the cache keys on it.
 *
 * @module
 */

/**
 * The version of this copy of gather.
 *
 * @example Usage
 * ```ts
 * import { VERSION } from "./version.ts";
 * import { assertMatch } from "@std/assert";
 *
 * assertMatch(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION = "0.1.0";
