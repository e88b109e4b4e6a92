// @std/text/closest-string, from the npm mirror of the Deno standard library, typed by
// types/std/text_closest_string.d.ts: a full specifier, so gather loads from any folder.
// @ts-types="../../types/std/text_closest_string.d.ts"
export * from "npm:deno-std@1.4.0/text/closest_string.js";
export * from "npm:deno-std@1.4.0/text/levenshtein_distance.js";
