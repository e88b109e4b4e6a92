/**
 * The terminal's size as the live display may use it. Some terminals report
 * 0 columns and rows (`script -qc`, `stty cols 0 rows 0`, some `docker -t`
 * and `ssh -t` ptys): such a size means "unknown", and, as most command-line
 * tools do, gather then assumes 80 columns by 24 rows.
 *
 * @module
 */

import type { TerminalSize } from "./_tty_frame.ts";

/** The size assumed when the terminal's is unknown: 80 columns by 24 rows. */
export const DEFAULT_SIZE: Readonly<TerminalSize> = Object.freeze({ columns: 80, rows: 24 });

/** Fewer columns than this is no real terminal: the size is unknown. */
const MIN_COLUMNS = 10;
/** Fewer rows than this is no real terminal: the size is unknown. */
const MIN_ROWS = 2;

/**
 * The size to draw for: each dimension as the terminal reports it, or its
 * default ({@linkcode DEFAULT_SIZE}) when it is unknown (missing, 0, not a
 * number, or too small to be real).
 *
 * @param size What the terminal reports (`Deno.consoleSize()`), if anything.
 * @returns A size the live display can draw for.
 *
 * @example Usage
 * ```ts
 * import { usableSize } from "./terminal_size.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(usableSize({ columns: 0, rows: 0 }), { columns: 80, rows: 24 });
 * assertEquals(usableSize({ columns: 132, rows: 0 }), { columns: 132, rows: 24 });
 * assertEquals(usableSize({ columns: 100, rows: 40 }), { columns: 100, rows: 40 });
 * ```
 */
export function usableSize(size: Partial<TerminalSize> | undefined): TerminalSize {
  return {
    columns: known(size?.columns, MIN_COLUMNS) ?? DEFAULT_SIZE.columns,
    rows: known(size?.rows, MIN_ROWS) ?? DEFAULT_SIZE.rows,
  };
}

/**
 * Read the terminal's size with `read`, falling back to the default when it
 * throws (no stream is a terminal) or reports an unknown size.
 *
 * @param read Reads the size (`() => Deno.consoleSize()`).
 * @returns A size the live display can draw for.
 *
 * @example Usage
 * ```ts
 * import { readTerminalSize } from "./terminal_size.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(readTerminalSize(() => ({ columns: 0, rows: 0 })), { columns: 80, rows: 24 });
 * assertEquals(readTerminalSize(() => { throw new Error("not a terminal"); }), { columns: 80, rows: 24 });
 * ```
 */
export function readTerminalSize(read: () => TerminalSize): TerminalSize {
  try {
    return usableSize(read());
  } catch {
    return { ...DEFAULT_SIZE };
  }
}

function known(value: number | undefined, least: number): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= least
    ? Math.floor(value)
    : undefined;
}
