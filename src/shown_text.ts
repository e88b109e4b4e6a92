/**
 * Text from outside gather (a job's name, a path a depfile names) as a
 * message shows it: a character that would break the line, drive the
 * terminal (`\x1b[2J` clears it) or make it read as other text (a
 * bidirectional mark) is written as an escape, so that the message stays
 * one clean line.
 *
 * @module
 */

/**
 * The characters never shown raw: C0 and C1 controls (line breaks, tabs,
 * escapes, DEL), the line and paragraph separators, and the bidirectional
 * marks, embeddings, overrides and isolates.
 */
// deno-lint-ignore no-control-regex
export const UNSHOWN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const UNSHOWN_ALL = new RegExp(UNSHOWN.source, "g");

/**
 * A text with each character of {@linkcode UNSHOWN} written as an escape
 * (`\n`, `\u001b`).
 *
 * @param text The text.
 * @returns It, escaped.
 *
 * @example Usage
 * ```ts
 * import { shownText } from "./shown_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(shownText("line\nbreak\u001b[31mRED"), "line\\nbreak\\u001b[31mRED");
 * ```
 */
export function shownText(text: string): string {
  return text.replace(UNSHOWN_ALL, escaped);
}

/**
 * One character as its escape: `\n`, `\r`, `\t`, else `\uXXXX`.
 *
 * @param char The character.
 * @returns Its escape.
 *
 * @example Usage
 * ```ts
 * import { escaped } from "./shown_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([escaped("\n"), escaped("\u202e")], ["\\n", "\\u202e"]);
 * ```
 */
export function escaped(char: string): string {
  if (char === "\n") return "\\n";
  if (char === "\r") return "\\r";
  if (char === "\t") return "\\t";
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}
