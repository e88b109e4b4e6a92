/**
 * Map a line of Deno's emitted JavaScript back to the TypeScript source,
 * using the inline source map of Deno's emit cache when it is there, read
 * by `@jridgewell/trace-mapping`. Best effort: any failure returns
 * `undefined`, and callers show the emitted line instead.
 *
 * @module
 */

import { fromFileUrl } from "../deps/path.ts";
import { lazy } from "../lazy.ts";

const MARKER = "sourceMappingURL=data:application/json;base64,";

/**
 * Find the TypeScript line of an emitted line for a local `.ts` module. The
 * source-map reader is loaded on first use: most runs never report a stall.
 *
 * @param url The module's file URL.
 * @param line The 1-based emitted line.
 * @param denoDir Deno's cache directory.
 * @param column The 0-based emitted column, when known (a function's start).
 * @returns The 1-based source line, or `undefined` when it cannot tell.
 *
 * @example Usage
 * ```ts
 * import { sourceLine } from "./_source_map.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(await sourceLine("file:///nowhere/tasks.ts", 3, "/no/deno/dir"), undefined);
 * ```
 */
export async function sourceLine(
  url: string,
  line: number,
  denoDir: string | undefined,
  column?: number,
): Promise<number | undefined> {
  if (!denoDir || !url.startsWith("file://") || !/\.(ts|tsx|mts)$/.test(url)) return undefined;
  try {
    const emitted = Deno.readTextFileSync(`${denoDir}/gen/file${fromFileUrl(url)}.js`);
    const at = emitted.lastIndexOf(MARKER);
    if (at < 0) return undefined;
    const { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, originalPositionFor, TraceMap } = await lazy<
      typeof import("../deps/trace_mapping.ts")
    >(new URL("../deps/trace_mapping.ts", import.meta.url));
    const map = new TraceMap(atob(emitted.slice(at + MARKER.length).split(/\s/, 1)[0]!));
    // Without a column, the first mapped position on the line.
    const bias = column === undefined ? LEAST_UPPER_BOUND : GREATEST_LOWER_BOUND;
    return originalPositionFor(map, { line, column: column ?? 0, bias }).line ?? undefined;
  } catch {
    return undefined;
  }
}
