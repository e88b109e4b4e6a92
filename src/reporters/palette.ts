/**
 * Colours for reporters, injected rather than global: a palette either
 * colours text with `@std/fmt/colors` or leaves it plain.
 *
 * @module
 */

import * as colors from "../deps/fmt_colors.ts";

/** The styles reporters use. */
export interface Palette {
  /** Success. */
  green(text: string): string;
  /** Failure. */
  red(text: string): string;
  /** Cancelled, warnings. */
  yellow(text: string): string;
  /** Names. */
  cyan(text: string): string;
  /** Secondary text. */
  dim(text: string): string;
  /** Emphasis. */
  bold(text: string): string;
}

/**
 * A palette that colours text, or one that does not.
 *
 * @param enabled Whether to colour.
 * @returns The palette.
 *
 * @example Usage
 * ```ts
 * import { palette } from "./palette.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(palette(false).red("x"), "x");
 * ```
 */
export function palette(enabled: boolean): Palette {
  if (!enabled) {
    const plain = (text: string) => text;
    return { green: plain, red: plain, yellow: plain, cyan: plain, dim: plain, bold: plain };
  }
  // The std functions obey a module-wide switch; a coloured palette needs it on.
  colors.setColorEnabled(true);
  return {
    green: colors.green,
    red: colors.red,
    yellow: colors.yellow,
    cyan: colors.cyan,
    dim: colors.dim,
    bold: colors.bold,
  };
}
