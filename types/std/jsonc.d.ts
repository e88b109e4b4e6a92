// Types of @std/jsonc (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

export type JsonValue =
  | { [key: string]: JsonValue | undefined }
  | JsonValue[]
  | string
  | number
  | boolean
  | null;
/** Parse JSON with comments and trailing commas. Throws SyntaxError with the position on bad input. */
export function parse(text: string): JsonValue;
