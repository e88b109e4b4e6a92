// @std/cli/parse-args, from the npm mirror of the Deno standard library, typed by
// types/std/cli_parse_args.d.ts: a full specifier, so gather loads from any folder.
// @ts-types="../../types/std/cli_parse_args.d.ts"
export * from "npm:deno-std@1.4.0/cli/parse_args.js";
