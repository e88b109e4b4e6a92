/**
 * What a task file writes while it loads (a top-level `console.log`, a
 * `Deno.stdout.write`) goes to stderr: stdout carries data (`--list`,
 * `--graph`, `--dry-run`, the JSON events), and `gather --reporter json | jq`
 * must see nothing else. Once the run starts, the session's console capture
 * does the same for output outside every job.
 *
 * @module
 */

import { captureConsole } from "../diagnostics/console_capture.ts";
import type { SyncWriter } from "../reporters/output.ts";
import { warnTo } from "./print.ts";

/** While a task file loads, no job runs. */
const NO_JOB = { current: (): string | undefined => undefined };

/**
 * Send the console's output and writes to `Deno.stdout` to `stderr`, line by
 * line, until the returned function is called; writes to `Deno.stderr` pass
 * through.
 *
 * @param stderr Where the lines go.
 * @param targets The console and streams to patch. @default {the process's}
 * @returns Puts them back, handing on an unfinished line.
 *
 * @example Usage
 * ```ts
 * import { loadOutputToStderr } from "./load_output.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const lines: string[] = [];
 * const stderr = { writeSync: (bytes: Uint8Array) => (lines.push(new TextDecoder().decode(bytes)), bytes.length) };
 * const target = { ...console };
 * const restore = loadOutputToStderr(stderr, { console: target });
 * target.log("loading");
 * restore();
 * assertEquals(lines, ["loading\n"]);
 * ```
 */
export function loadOutputToStderr(
  stderr: SyncWriter,
  targets: Parameters<typeof captureConsole>[0] = {
    console,
    stdout: Deno.stdout,
    stderr: Deno.stderr,
  },
): () => void {
  const capture = captureConsole(targets, NO_JOB, () => {}, (text) => warnTo(stderr, text));
  return () => capture.restore();
}
