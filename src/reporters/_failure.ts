/**
 * A failed job's error as the human reporters print it: its first line, and
 * the lines after it unless they only repeat output already on screen (a
 * failed command's error carries the last lines of its stderr, a failed
 * service's the last lines of its output, which the job's output holds too).
 *
 * @module
 */

import type { ErrorInfo } from "../events.ts";

/** The codes of errors whose lines after the first are the job's last output lines. */
const COPIES_OUTPUT = new Set(["COMMAND_FAILED", "NOT_READY", "SERVICE_EXITED"]);

/** The error of a failed job, split for printing. */
export interface FailureText {
  /** The first line of the message. */
  headline: string;
  /** The lines after it that are worth printing. */
  detail: string[];
}

/**
 * Split a failed job's error for printing.
 *
 * @param error The job's error, if it has one.
 * @param outputShown Whether the job's output is printed with it.
 * @returns The headline and the detail lines.
 *
 * @example Usage
 * ```ts
 * import { failureText } from "./_failure.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = { name: "GatherError", code: "COMMAND_FAILED", message: "Command failed: cc\nx.c:1: error" };
 * assertEquals(failureText(error, true), { headline: "Command failed: cc", detail: [] });
 * assertEquals(failureText(error, false).detail, ["x.c:1: error"]);
 * ```
 */
export function failureText(error: ErrorInfo | undefined, outputShown: boolean): FailureText {
  const [headline = "", ...rest] = (error?.message ?? "failed").split("\n");
  const copied = outputShown && COPIES_OUTPUT.has(error?.code ?? "");
  return { headline: headline || "failed", detail: copied ? [] : rest };
}

/**
 * Cut text to its first `max` characters, ending it with `…` when anything
 * was cut: a 2,000-character command line stays readable in a summary.
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
 * ```
 */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = Array.from(text.slice(0, max + 1)).slice(0, max - 1).join("");
  return cut + "…";
}
