/**
 * Text helpers of the live display (and of the plain reporter, which pads
 * names by the same widths): make job output safe to print, measure and cut
 * it to a terminal width, and format short durations.
 *
 * Widths are measured here rather than with `@std/cli/unicode-width`: the npm
 * mirror of std that deno.json maps (`deno-std@1.4.0`) does not publish that
 * module's `_data.json`, so importing it throws. The rules below follow UAX
 * #11: East Asian Wide and Fullwidth characters and emoji presentation take
 * two columns, combining marks and format characters none. A cluster counts
 * the sum of its code points (a flag or an emoji with a skin tone: 4), which
 * is never less than what a terminal draws: overestimating only shortens a
 * line, underestimating would let it wrap and break the redraw.
 *
 * @module
 */

// CSI sequences, OSC sequences (ended by BEL or ST), and two-character escapes.
// deno-lint-ignore no-control-regex
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
// deno-lint-ignore no-control-regex
const SGR = /^\x1b\[[0-9;:]*m$/;
// deno-lint-ignore no-control-regex
const STRAY_ESC = /\x1b(?!\[[0-9;:]*m)/g;
// deno-lint-ignore no-control-regex
const CONTROLS = /[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]/g;
const PLAIN = /^[\x20-\x7e]*$/;
// Created on first use: building a segmenter costs ~10 ms of start-up.
let segmenter: Intl.Segmenter | undefined;
const graphemes = (text: string) => (segmenter ??= new Intl.Segmenter()).segment(text);
// Two columns: East Asian Wide and Fullwidth ranges, emoji presentation, VS16.
const WIDE_CHARS = "\\u1100-\\u115F\\u231A\\u231B\\u2329\\u232A\\u2E80-\\u303E\\u3041-\\u33FF" +
  "\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uA000-\\uA4CF\\uA960-\\uA97F\\uAC00-\\uD7A3\\uF900-\\uFAFF" +
  "\\uFE10-\\uFE19\\uFE30-\\uFE6F\\uFF00-\\uFF60\\uFFE0-\\uFFE6\\u{16FE0}-\\u{16FE4}" +
  "\\u{17000}-\\u{18CFF}\\u{1B000}-\\u{1B2FF}\\u{1F200}-\\u{1F2FF}\\u{20000}-\\u{3FFFD}\\uFE0F";
// No columns: combining marks, format characters (ZWJ), Hangul medial vowels.
const ZERO_CHARS = "\\p{Mn}\\p{Me}\\p{Cf}\\u1160-\\u11FF";
const WIDE = new RegExp(`^(?:[${WIDE_CHARS}]|\\p{Emoji_Presentation})$`, "u");
const ZERO = new RegExp(`^[${ZERO_CHARS}]$`, "u");
const SPECIAL = new RegExp(`[${WIDE_CHARS}${ZERO_CHARS}]|\\p{Emoji_Presentation}`, "u");

function charsWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    width += char >= " " && char <= "~" ? 1 : WIDE.test(char) ? 2 : ZERO.test(char) ? 0 : 1;
  }
  return width;
}

/**
 * Make a line of job output safe to print above the live block: keep only
 * what follows its last carriage return, drop cursor movement and other
 * control characters, and keep colours only when asked (then reset them at
 * the end of the line).
 *
 * @param line A line of job output.
 * @param keepColor Whether to keep colour codes.
 * @returns The printable line; tabs are kept.
 *
 * @example Usage
 * ```ts
 * import { cleanLine } from "./_tty_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(cleanLine("10%\r50%\r\x1b[2K\x1b[31mdone\x1b[0m", false), "done");
 * ```
 */
export function cleanLine(line: string, keepColor: boolean): string {
  const end = line.endsWith("\r") ? line.length - 1 : line.length;
  const text = line.slice(line.lastIndexOf("\r", end - 1) + 1, end);
  if (PLAIN.test(text)) return text;
  const cleaned = text
    .replace(ESCAPES, (seq) => keepColor && SGR.test(seq) ? seq : "")
    .replace(STRAY_ESC, "")
    .replace(CONTROLS, "");
  return keepColor && cleaned.includes("\x1b[") ? cleaned + "\x1b[0m" : cleaned;
}

/**
 * A line of job output as plain text for one row of the live block: cleaned,
 * without colours, tabs as two spaces.
 *
 * @param line A line of job output.
 * @returns Plain text whose width {@linkcode textWidth} can measure.
 *
 * @example Usage
 * ```ts
 * import { plainLine } from "./_tty_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(plainLine("\x1b[1mok\x1b[22m\tdone"), "ok  done");
 * ```
 */
export function plainLine(line: string): string {
  return cleanLine(line, false).replaceAll("\t", "  ");
}

/**
 * The number of terminal columns plain text takes (wide characters count 2).
 *
 * @param text Text without escape codes.
 * @returns Its width in columns.
 *
 * @example Usage
 * ```ts
 * import { textWidth } from "./_tty_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(textWidth("ab"), 2);
 * assertEquals(textWidth("漢字"), 4);
 * assertEquals(textWidth("e\u0301 👍"), 4);
 * assertEquals(textWidth("👍🏽"), 4); // never less than a terminal draws
 * ```
 */
export function textWidth(text: string): number {
  if (PLAIN.test(text)) return text.length;
  if (!SPECIAL.test(text)) {
    let count = 0;
    for (const _ of text) count++;
    return count;
  }
  return charsWidth(text);
}

/**
 * Cut plain text to at most `width` columns, ending it with `…` when
 * anything was cut. Measures grapheme by grapheme and stops early, so a huge
 * line costs no more than a short one.
 *
 * @param text Text without escape codes.
 * @param width The columns available.
 * @returns The text, at most `width` columns wide.
 *
 * @example Usage
 * ```ts
 * import { cutToWidth } from "./_tty_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(cutToWidth("hello world", 6), "hello…");
 * assertEquals(cutToWidth("漢字漢字", 5), "漢字…");
 * assertEquals(cutToWidth("short", 10), "short");
 * ```
 */
export function cutToWidth(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length <= width && PLAIN.test(text)) return text;
  let used = 0;
  let fits = 0; // where to cut, leaving a column for the ellipsis
  let at = 0;
  for (const { segment, index } of graphemes(text)) {
    const w = charsWidth(segment);
    if (used + w > width) return text.slice(0, fits) + "…";
    used += w;
    at = index + segment.length;
    if (used <= width - 1) fits = at;
  }
  return text;
}

/**
 * Pad plain text with spaces to `width` columns.
 *
 * @param text Text no wider than `width`.
 * @param width The columns to fill.
 * @returns The padded text.
 *
 * @example Usage
 * ```ts
 * import { padToWidth } from "./_tty_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(padToWidth("字", 4), "字  ");
 * ```
 */
export function padToWidth(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - textWidth(text)));
}

/**
 * Format a duration in a few columns: `0.4s`, `12.3s`, `2m05s`, `1h02m`.
 *
 * @param ms Milliseconds.
 * @returns The short form.
 *
 * @example Usage
 * ```ts
 * import { shortDuration } from "./_tty_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(shortDuration(420), "0.4s");
 * assertEquals(shortDuration(125_000), "2m05s");
 * ```
 */
export function shortDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 59.95) return `${s.toFixed(1)}s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  const minutes = Math.floor(whole / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}
