// @std/async/debounce, from the npm mirror of the Deno standard library, typed by
// types/std/async_debounce.d.ts: a full specifier, so gather loads from any folder.
// @ts-types="../../types/std/async_debounce.d.ts"
export * from "npm:deno-std@1.4.0/async/debounce.js";
