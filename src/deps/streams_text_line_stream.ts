// @std/streams/text-line-stream, from the npm mirror of the Deno standard library, typed by
// types/std/streams_text_line_stream.d.ts: a full specifier, so gather loads from any folder.
// @ts-types="../../types/std/streams_text_line_stream.d.ts"
export * from "npm:deno-std@1.4.0/streams/text_line_stream.js";
