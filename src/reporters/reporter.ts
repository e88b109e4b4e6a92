/**
 * The contract every reporter meets: it receives events and, at the end,
 * writes what is left. The engine never prints; reporters do.
 *
 * @module
 */

import type { GatherEvent } from "../events.ts";

/** Turns events into output. */
export interface Reporter {
  /**
   * Receive one event.
   *
   * @param event The event.
   */
  handle(event: GatherEvent): void;
  /** Finish: restore the terminal and flush the output. */
  close(): void;
  /** Write out what is buffered now (the first lines of a run, say). */
  flush?(): void;
  /**
   * After `close()`: wait for what is still being written without blocking
   * (a `--summary` report going down a pipe whose reader is slow).
   *
   * @param stop Aborting it gives up on that writing.
   */
  drain?(stop?: AbortSignal): Promise<void>;
  /**
   * Print lines that belong to no job (console output outside every job)
   * where they do not break the display: above the live block, say.
   *
   * @param text The text, ending with a line break.
   */
  print?(text: string): void;
}

/**
 * Whose output the human reporters print (`--output`): `full`, every job's;
 * `errors`, only failed jobs'; `none`, no job's (a failure still shows its
 * error and where its full log is). The JSON stream always carries every line.
 */
export type OutputMode = "full" | "errors" | "none";

/**
 * Output that could not be written (a closed pipe, a full disk, a folder
 * that became read-only). Reporters never throw for it: they stop writing
 * that output and tell whoever listens, once per output.
 */
export interface OutputFailure {
  /**
   * Which output: the JSON `events` (stdout), the human `progress`
   * (stderr), the `--summary` file, or the per-job `logs`.
   */
  output: "events" | "progress" | "summary" | "logs";
  /** Where it was going: `stdout`, `stderr`, or a path. */
  target: string;
  /** Why it could not be written. */
  error: Error;
}
