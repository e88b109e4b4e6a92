/**
 * The exit codes of `gather`, as the README's table lists them.
 *
 * @module
 */

/**
 * Exit codes by meaning.
 *
 * @example Usage
 * ```ts
 * import { EXIT } from "./exit_codes.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(EXIT.SIGINT, 130);
 * ```
 */
export const EXIT = Object.freeze(
  {
    ok: 0,
    failed: 1,
    usage: 2,
    internal: 70,
    SIGINT: 130,
    /** The reader of the output went away (a closed pipe): 128 + SIGPIPE, as a shell reports it. */
    closedPipe: 141,
    SIGTERM: 143,
  } as const,
);
