/**
 * What a job's name may hold. Names are printed everywhere (the prefix
 * column, the live display, the summary, `--list`), raw: a control character
 * in one would break the line or drive the terminal (`\x1b[2J` clears it), a
 * bidirectional mark would make it read as another name. So a name may hold
 * any printable character, spaces and punctuation (`:`, `/`, `#`) included,
 * and none of these.
 *
 * @module
 */

import { escaped, shownText, UNSHOWN } from "../shown_text.ts";

/** The characters a name may not hold: those messages never show raw. */
const REFUSED = UNSHOWN;

/** What the characters a name may not hold are, in messages. */
const NAMED: Record<string, string> = {
  "\n": "a line break",
  "\r": "a carriage return",
  "\t": "a tab",
  "\u001b": "an escape",
  "\u2028": "a line separator",
  "\u2029": "a paragraph separator",
};

/** What a name may hold, said after what is wrong with it. */
export const ALLOWED_NAMES =
  `a name may hold any printable character (spaces, ":", "/" and "#" too), but no control characters (line breaks, tabs, escapes) or bidirectional marks`;

/**
 * What is wrong with a name, if anything.
 *
 * @param name The name.
 * @returns The first character it may not hold, described
 * (`a line break (\n)`), or `undefined` when the name is fine.
 *
 * @example Usage
 * ```ts
 * import { nameProblem } from "./job_name.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(nameProblem("lint:fix src/#1"), undefined);
 * assertEquals(nameProblem("a\u001b[31mred"), "an escape (\\u001b)");
 * assertEquals(nameProblem("admin\u202etxt"), "a bidirectional mark (\\u202e)");
 * ```
 */
export function nameProblem(name: string): string | undefined {
  const found = REFUSED.exec(name)?.[0];
  if (found === undefined) return undefined;
  const what = NAMED[found] ??
    (found < "\u00a0" ? "a control character" : "a bidirectional mark");
  return `${what} (${escaped(found)})`;
}

/**
 * A name as a message shows it: each character it may not hold written as an
 * escape (`\n`, `\u001b`), so that the message itself stays one clean line.
 *
 * @param name The name.
 * @returns The name, escaped.
 *
 * @example Usage
 * ```ts
 * import { shownName } from "./job_name.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(shownName("line\nbreak\u001b[31mRED"), "line\\nbreak\\u001b[31mRED");
 * ```
 */
export function shownName(name: string): string {
  return shownText(name);
}
