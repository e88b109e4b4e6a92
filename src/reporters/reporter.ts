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
}
