// @std/assert, from the npm mirror of the Deno standard library, typed by
// types/std/assert.d.ts: a full specifier, so gather loads from any folder.
// @ts-types="../../types/std/assert.d.ts"
export * from "npm:deno-std@1.4.0/assert/mod.js";
