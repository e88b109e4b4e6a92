/**
 * Writing the CLI's own text (help, version, listings) to stdout, where a
 * closed pipe (`gather -l | head`) is not an error.
 *
 * @module
 */

import { toError } from "../errors.ts";
import type { SyncWriter } from "../reporters/output.ts";
import { EXIT } from "./exit_codes.ts";

/**
 * Write text to stdout, all of it.
 *
 * @param stdout Where the text goes.
 * @param stderr Where a failure to write it is said.
 * @param text The text.
 * @returns The exit code: 0, {@linkcode EXIT.closedPipe} when nobody reads
 * any more, or {@linkcode EXIT.failed} when the write failed otherwise.
 *
 * @example Usage
 * ```ts
 * import { printTo } from "./print.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const out: string[] = [];
 * const stream = { writeSync: (b: Uint8Array) => (out.push(new TextDecoder().decode(b)), b.length) };
 * assertEquals(printTo(stream, stream, "gather 0.1.0\n"), 0);
 * assertEquals(out, ["gather 0.1.0\n"]);
 * ```
 */
export function printTo(stdout: SyncWriter, stderr: SyncWriter, text: string): number {
  const bytes = new TextEncoder().encode(text);
  try {
    for (let at = 0; at < bytes.length;) at += stdout.writeSync(bytes.subarray(at));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return EXIT.closedPipe; // `gather -l | head`
    warnTo(stderr, `gather: could not write to stdout: ${toError(error).message}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

/**
 * Say one line on stderr, if it can still be written.
 *
 * @param stderr Where.
 * @param line The line, without its newline.
 *
 * @example Usage
 * ```ts
 * import { warnTo } from "./print.ts";
 *
 * warnTo(Deno.stderr, "gather: warning: an example");
 * ```
 */
export function warnTo(stderr: SyncWriter, line: string): void {
  try {
    stderr.writeSync(new TextEncoder().encode(`${line}\n`));
  } catch {
    // stderr is gone too: the exit code is all that is left
  }
}
