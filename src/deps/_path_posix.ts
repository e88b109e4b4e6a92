// The POSIX path functions gather needs at start-up, one module each (see path.ts).
export { dirname } from "npm:deno-std@1.4.0/path/posix/dirname.js";
export { fromFileUrl } from "npm:deno-std@1.4.0/path/posix/from_file_url.js";
export { toFileUrl } from "npm:deno-std@1.4.0/path/posix/to_file_url.js";
export { isAbsolute } from "npm:deno-std@1.4.0/path/posix/is_absolute.js";
export { join } from "npm:deno-std@1.4.0/path/posix/join.js";
export { normalize } from "npm:deno-std@1.4.0/path/posix/normalize.js";
export { relative } from "npm:deno-std@1.4.0/path/posix/relative.js";
export { resolve } from "npm:deno-std@1.4.0/path/posix/resolve.js";
