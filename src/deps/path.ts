// @std/path, from the npm mirror of the Deno standard library, typed by
// types/std/path.d.ts: a full specifier, so gather loads from any folder.
// The POSIX module: gather runs on POSIX systems, and the module that picks
// the platform's reads `process.platform`, which loads Node's process object
// (measured: a third of gather's start-up).
// @ts-types="../../types/std/path.d.ts"
export * from "npm:deno-std@1.4.0/path/posix/mod.js";
