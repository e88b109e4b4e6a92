/**
 * Modules loaded only when a feature is used, and not looked at before.
 *
 * Deno walks the module graph before it runs anything, and that walk follows
 * every `import("...")` whose specifier is a string literal, with everything
 * those modules import: each one gather's command can reach (watch mode, the
 * NATS client, the cache's codecs) cost start-up even when unused (~10 ms for
 * the NATS client alone). A specifier made at run time is not followed.
 *
 * @module
 */

/**
 * Import a module when it is needed, without Deno loading it ahead.
 *
 * @typeParam T The module's type: `typeof import("./the_module.ts")` (a type, so it costs nothing).
 * @param url The module, resolved against the caller's `import.meta.url`.
 * @returns The module's namespace.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lazy } from "./lazy.ts";
 *
 * const { parseDuration } = await lazy<typeof import("./duration.ts")>(
 *   new URL("./duration.ts", import.meta.url),
 * );
 * assertEquals(parseDuration("2s"), 2000);
 * ```
 */
export function lazy<T>(url: URL): Promise<T> {
  return import(url.href);
}
