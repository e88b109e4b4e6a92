/**
 * Breaking gather's own lines (a job's end, an error, a warning, the
 * summary) to a terminal's width, where the terminal would break them
 * mid-word: between words, the rest indented under the line's start; a word
 * wider than a line is broken too, a path after one of its `/`.
 *
 * @module
 */

import { plainLine, textWidth } from "./_tty_text.ts";

/**
 * A word that is (the start of) a duration as `formatDuration` writes it
 * (`80ms`, `3s,`) or as `shortDuration` does (`0.4s`, `2m05s`).
 */
const DURATION_PART = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)\b|^\d+[hm]\d\d[ms]\b/;

/** An SGR colour code, or one character. */
// deno-lint-ignore no-control-regex
const TOKEN = /\x1b\[[0-9;:]*m|[\s\S]/gu;

/**
 * A line broken between words to fit `columns`, each following part
 * indented under the line's start: `  slowest: a 1s, b 2s` becomes
 * `  slowest: a 1s,` and `      b 2s`; a `fix:` hint's parts go under the
 * text after `fix: `. A duration (`1s 80ms`) stays whole and on the line of
 * the word before it, unless the two do not fit in a line together. A word
 * wider than a line starts a line of its own and is broken where it reaches
 * the width, after its last `/` before that when it has one (a path).
 *
 * @param line The line, colour codes included.
 * @param columns The terminal's width.
 * @returns The parts, each within `columns`.
 *
 * @example Usage
 * ```ts
 * import { breakLine } from "./_break_line.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(breakLine("  slowest: build 1s 80ms, test 2s", 26), [
 *   "  slowest: build 1s 80ms,",
 *   "      test 2s",
 * ]);
 * assertEquals(breakLine("  log: .gather/logs/2026-11-26/lint.log", 22), [
 *   "  log:",
 *   "      .gather/logs/",
 *   "      2026-11-26/",
 *   "      lint.log",
 * ]);
 * ```
 */
export function breakLine(line: string, columns: number): string[] {
  const plain = plainLine(line);
  if (textWidth(plain) <= columns) return [line];
  // Colour codes may come before the leading spaces (a dimmed line): they stay with the first word.
  // deno-lint-ignore no-control-regex
  const lead = line.match(/^(?:\x1b\[[0-9;]*m)* */)![0];
  const leadWidth = textWidth(plainLine(lead));
  const hanging = plain.match(/^ *fix: /)?.[0].length ?? plain.match(/^ */)![0].length + 4;
  const indent = " ".repeat(Math.min(hanging, Math.floor(columns / 2)));
  const room = columns - indent.length;
  // Words that cannot be parted: a duration's pieces and the word before it, unless together
  // they are wider than a line (a long job name): then the duration goes on, whole, under it.
  const glued: string[][] = [];
  for (const word of line.slice(lead.length).split(" ")) {
    if (glued.length > 0 && DURATION_PART.test(plainLine(word))) glued.at(-1)!.push(word);
    else glued.push([word]);
  }
  const chunks = glued.flatMap((words) =>
    words.length > 1 && textWidth(plainLine(words.join(" "))) > room
      ? [words[0]!, words.slice(1).join(" ")]
      : [words.join(" ")]
  );
  const parts: string[] = [];
  let current = lead;
  let width = leadWidth;
  let first = true; // no word on the first line yet
  for (const chunk of chunks) {
    const chunkWidth = textWidth(plainLine(chunk));
    const gap = first ? 0 : 1;
    if (width + gap + chunkWidth <= columns) {
      current += first ? chunk : ` ${chunk}`;
      width += gap + chunkWidth;
    } else if (!first && chunkWidth <= room) {
      parts.push(current);
      current = indent + chunk;
      width = indent.length + chunkWidth;
    } else {
      // Wider than a line: on lines of its own (from the first line's start, if it is its first word).
      const pieces = splitWord(chunk, first ? Math.max(1, columns - leadWidth) : room, room);
      if (!first) {
        parts.push(current);
        current = indent;
      }
      for (const piece of pieces.slice(0, -1)) {
        parts.push(current + piece);
        current = indent;
      }
      current += pieces.at(-1)!;
      width = textWidth(plainLine(current));
    }
    first = false;
  }
  parts.push(current);
  return parts;
}

/**
 * A word cut into pieces: the first at most `first` columns wide, the others
 * `width`. A piece ends after the last `/` that lets it fit (a path), else
 * after a `-`, `_`, `:` or `.` in its second half, else where it reaches its
 * width. Colour codes take no columns and stay where they are.
 */
function splitWord(word: string, first: number, width: number): string[] {
  const pieces: string[] = [];
  let piece = "";
  let used = 0;
  // Where the piece may end, and its width there: after a `/`, after other punctuation.
  let slash = { at: 0, used: 0 };
  let punct = { at: 0, used: 0 };
  const max = () => pieces.length === 0 ? first : width;
  for (const token of word.match(TOKEN) ?? []) {
    const tokenWidth = token.startsWith("\x1b") ? 0 : textWidth(token);
    while (tokenWidth > 0 && used > 0 && used + tokenWidth > max()) {
      const end = slash.at > 0 ? slash : punct.used * 2 >= max() ? punct : { at: 0, used: 0 };
      const at = end.at > 0 && end.at < piece.length ? end.at : piece.length;
      pieces.push(piece.slice(0, at));
      piece = piece.slice(at);
      used = at === end.at ? used - end.used : 0;
      slash = punct = { at: 0, used: 0 };
    }
    piece += token;
    used += tokenWidth;
    if (token === "/") slash = { at: piece.length, used };
    else if ("-_:.".includes(token)) punct = { at: piece.length, used };
  }
  pieces.push(piece);
  return pieces;
}
