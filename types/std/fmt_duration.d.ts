// Types of @std/fmt/duration (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

export interface FormatOptions {
  /** @default {"narrow"} */
  style?: "narrow" | "digital" | "full";
  /** @default {false} */
  ignoreZero?: boolean;
}
export function format(ms: number, options?: FormatOptions): string;
