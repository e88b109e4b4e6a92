// The POSIX glob functions of @std/path the cache uses (see path_glob.ts).
export { isGlob } from "npm:deno-std@1.4.0/path/posix/is_glob.js";
export { globToRegExp } from "npm:deno-std@1.4.0/path/posix/glob_to_regexp.js";
