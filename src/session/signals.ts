/**
 * Turns the signals that stop a run into an orderly shutdown: the first one
 * cancels the run, the second stops waiting and kills what is left.
 *
 * @module
 */

import { GatherError } from "../errors.ts";

/** A signal that stops a run. */
export type StopSignal = "SIGINT" | "SIGTERM";

/**
 * Listens for SIGINT and SIGTERM while a run lasts.
 *
 * @example Usage
 * ```ts
 * import { Shutdown } from "./signals.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const shutdown = new Shutdown();
 * assertEquals(shutdown.interrupt.signal.aborted, false);
 * shutdown.dispose();
 * ```
 */
export class Shutdown {
  /** Aborted by the first signal: cancel the run. */
  readonly interrupt: AbortController = new AbortController();
  /** Aborted by the second signal: stop waiting, kill what is left. */
  readonly force: AbortController = new AbortController();
  #stoppedBy: StopSignal | undefined;
  #removers: (() => void)[];

  /** Start listening. */
  constructor() {
    this.#removers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
      const listener = () => {
        if (this.#stoppedBy === undefined) {
          this.#stoppedBy = signal;
          this.interrupt.abort(new GatherError("CANCELLED", `interrupted by ${signal}`));
        } else {
          this.force.abort(new GatherError("CANCELLED", `${signal} again: stopping now`));
        }
      };
      Deno.addSignalListener(signal, listener);
      return () => Deno.removeSignalListener(signal, listener);
    });
  }

  /** The signal that stopped the run, if one did. */
  get stoppedBy(): StopSignal | undefined {
    return this.#stoppedBy;
  }

  /** Stop listening. */
  dispose(): void {
    for (const remove of this.#removers) remove();
    this.#removers = [];
  }
}
