/**
 * A failed job's error as the human reporters print it: its first line, and
 * the lines after it unless they only repeat output already on screen (a
 * failed command's error carries the last lines of its stderr, a failed
 * service's the last lines of its output, which the job's output holds too).
 *
 * @module
 */

import type { CauseInfo } from "../errors.ts";
import type { ErrorInfo } from "../events.ts";

/** The codes of errors whose lines after the first are the job's last output lines. */
const COPIES_OUTPUT = new Set(["COMMAND_FAILED", "NOT_READY", "SERVICE_EXITED"]);

/**
 * The most characters of one line of a failed job's error the human
 * reporters print: a command's error (which shows up to 4,000 characters of
 * the command) fits whole, a 200,000-character message does not.
 */
export const ERROR_LINE_CHARS = 4096;
/** The most lines of a failed job's error printed after its first. */
export const ERROR_DETAIL_LINES = 50;

/** Where the whole error is when no log holds it. */
const IN_EVENTS = "the JSON events (--reporter json) and --summary";

/** The error of a failed job, split for printing. */
export interface FailureText {
  /** The first line of the message, cut at {@linkcode ERROR_LINE_CHARS}. */
  headline: string;
  /** The lines after it that are worth printing, as many as {@linkcode ERROR_DETAIL_LINES}, each cut. */
  detail: string[];
  /** When the error was cut: what was left out, and where the whole error is. */
  note?: string;
}

/**
 * Split a failed job's error for printing, cut to a sensible size.
 *
 * @param error The job's error, if it has one.
 * @param outputShown Whether the job's output is printed with it.
 * @param whole Where the whole error is, when it is cut (its log).
 * @returns The headline, the detail lines, and a note when anything was cut.
 *
 * @example Usage
 * ```ts
 * import { failureText } from "./_failure.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = { name: "GatherError", code: "COMMAND_FAILED", message: "Command failed: cc\nx.c:1: error" };
 * assertEquals(failureText(error, true), { headline: "Command failed: cc", detail: [] });
 * assertEquals(failureText(error, false).detail, ["x.c:1: error"]);
 * const huge = failureText({ name: "Error", message: "x".repeat(5000) }, true, "a.log");
 * assertEquals(huge.headline.length, 4096);
 * assertEquals(huge.note, "… error cut: 905 characters not shown; the whole error: a.log");
 * const fetchError = { name: "TypeError", message: "fetch failed", causes: [{ name: "TypeError", message: "tcp connect error" }] };
 * assertEquals(failureText(fetchError, true).headline, "fetch failed: tcp connect error");
 * ```
 */
export function failureText(
  error: ErrorInfo | undefined,
  outputShown: boolean,
  whole?: string,
): FailureText {
  const message = error?.message ?? "failed";
  const [line = "", ...rest] = message.split("\n");
  const first = withCauses(line, message, error?.causes);
  const copied = outputShown && COPIES_OUTPUT.has(error?.code ?? "");
  const lines = copied ? [] : rest;
  let chars = 0;
  const cut = (line: string) => {
    if (line.length <= ERROR_LINE_CHARS) return line;
    const short = shorten(line, ERROR_LINE_CHARS);
    chars += line.length - (short.length - 1);
    return short;
  };
  const text: FailureText = {
    headline: cut(first) || "failed",
    detail: lines.slice(0, ERROR_DETAIL_LINES).map(cut),
  };
  const moreLines = lines.length - text.detail.length;
  if (chars === 0 && moreLines === 0) return text;
  const left = [
    ...(chars > 0 ? [`${count(chars)} character${chars === 1 ? "" : "s"}`] : []),
    ...(moreLines > 0 ? [`${count(moreLines)} line${moreLines === 1 ? "" : "s"}`] : []),
  ];
  text.note = `… error cut: ${left.join(" and ")} not shown; the whole error: ${
    whole ?? IN_EVENTS
  }`;
  return text;
}

/**
 * A failed job's first line followed by its causes (`fetch failed: tcp connect error: Connection
 * refused`): the first line of each, but one the error's message (or a cause before it) already says.
 */
function withCauses(first: string, message: string, causes: readonly CauseInfo[] = []): string {
  let said = message;
  let line = first;
  for (const cause of causes) {
    const text = cause.message.split("\n")[0]!.trim();
    if (text === "" || said.includes(text)) continue;
    said += `\n${cause.message}`;
    line += `: ${text}`;
  }
  return line;
}

/**
 * The lines of a failed job's stack that say where it was thrown (`at …`), for `--debug`.
 *
 * @param error The job's error, if it has one.
 * @returns Those lines, indented as in the stack; none without a stack.
 *
 * @example Usage
 * ```ts
 * import { stackLines } from "./_failure.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const stack = "Error: boom\n    at build (file:///tasks.ts:3:9)\n    at run (file:///x.ts:1:1)";
 * assertEquals(stackLines({ name: "Error", message: "boom", stack }), [
 *   "    at build (file:///tasks.ts:3:9)",
 *   "    at run (file:///x.ts:1:1)",
 * ]);
 * ```
 */
export function stackLines(error: ErrorInfo | undefined): string[] {
  return (error?.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
}

/** A count with thousands separators: 195,904. */
function count(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * Cut text to its first `max` characters, ending it with `…` when anything
 * was cut: a 2,000-character command line stays readable in a summary. The
 * `…` follows the last character kept that is not a space, so that it never
 * stands alone as a word (a line broken between words would put it on a
 * line of its own).
 *
 * @param text The text.
 * @param max The most characters to keep, the `…` included.
 * @returns The text, whole or cut.
 *
 * @example Usage
 * ```ts
 * import { shorten } from "./_failure.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(shorten("gcc -c -DLONG=1 main.c", 10), "gcc -c -D…");
 * assertEquals(shorten("short", 10), "short");
 * assertEquals(shorten("make all test", 10), "make all…");
 * ```
 */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = Array.from(text.slice(0, max + 1)).slice(0, max - 1).join("");
  return cut.trimEnd() + "…";
}

/**
 * Cut a text in its middle to at most `max` characters, keeping its start
 * and its end: an error's deepest cause comes last (`fetch failed: … tcp
 * connect error: Connection refused`), and is what says why.
 *
 * @param text The text.
 * @param max The most characters to keep, ` … ` included.
 * @returns The text, whole or cut.
 *
 * @example Usage
 * ```ts
 * import { shortenMiddle } from "./_failure.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(shortenMiddle("fetch failed: error sending request: connection refused", 40), "fetch failed: … connection refused");
 * assertEquals(shortenMiddle("short", 10), "short");
 * ```
 */
export function shortenMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const headMax = Math.floor((max - 3) * 0.4);
  const head = chars.slice(0, headMax).join("");
  // The head ends after a word (a ": " or a space), the tail starts at one.
  const headCut = head.slice(0, Math.max(head.lastIndexOf(" "), 1)).trimEnd();
  const tail = chars.slice(chars.length - (max - 3 - headCut.length)).join("");
  const space = tail.indexOf(" ");
  const tailCut = space >= 0 && space < tail.length / 2 ? tail.slice(space + 1) : tail;
  return `${headCut} … ${tailCut}`;
}
