// @std/fmt/colors, from the npm mirror of the Deno standard library, typed by
// types/std/fmt_colors.d.ts: a full specifier, so gather loads from any folder.
// @ts-types="../../types/std/fmt_colors.d.ts"
export * from "npm:deno-std@1.4.0/fmt/colors.js";
