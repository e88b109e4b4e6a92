// @std/path, POSIX flavour, from the npm mirror of the Deno standard library,
// typed by types/std/path.d.ts: full specifiers, so gather loads from any
// folder. Only the functions start-up needs, one module each (the whole of
// path/mod.js cost ~15 ms of start-up); the glob functions are in path_glob.ts.
// @ts-types="../../types/std/path.d.ts"
export * from "./_path_posix.ts";
