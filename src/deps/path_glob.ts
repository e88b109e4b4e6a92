// @std/path's glob functions, POSIX flavour (see path.ts), typed by
// types/std/path_glob.d.ts: loaded only by the cache.
// @ts-types="../../types/std/path_glob.d.ts"
export * from "./_path_glob_posix.ts";
