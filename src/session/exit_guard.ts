/**
 * Keeps `Deno.exit()` from ending a run behind its back: called in a job, it
 * fails that job instead; called outside every job, it still kills the run's
 * process trees and restores the terminal before the process ends.
 *
 * @module
 */

import type { JobScope } from "../engine/scope.ts";
import { GatherError } from "../errors.ts";

/**
 * Replace `Deno.exit` while a run lasts, or while a task file loads.
 *
 * @param scope Tells which job is calling; without one (a task file loading), no call fails.
 * @param beforeExit Called, synchronously, with the code asked for, before an exit from outside
 * every job goes through: to say why gather stops, and stop what it started.
 * @returns Puts the real `Deno.exit` back.
 *
 * @example Usage
 * ```ts
 * import { guardExit } from "./exit_guard.ts";
 * import { JobScope } from "../engine/scope.ts";
 * import { assertThrows } from "@std/assert";
 *
 * const scope = new JobScope();
 * const restore = guardExit(scope, () => {});
 * try {
 *   assertThrows(() => scope.run("deploy", () => Deno.exit(1)), Error, 'Job "deploy" called Deno.exit(1)');
 * } finally {
 *   restore();
 * }
 * ```
 */
export function guardExit(
  scope: JobScope | undefined,
  beforeExit: (code: number | undefined) => void,
): () => void {
  const realExit = Deno.exit;
  const guarded = (code?: number): never => {
    const job = scope?.current();
    if (job !== undefined) {
      throw new GatherError(
        "JOB_EXIT",
        `Job "${job}" called Deno.exit(${
          code ?? ""
        }), which would end gather and every other job: throw an error to fail the job instead`,
        { job },
      );
    }
    try {
      beforeExit(code);
    } finally {
      realExit(code);
    }
    throw new Error("unreachable: Deno.exit returned");
  };
  Deno.exit = guarded;
  return () => {
    if (Deno.exit === guarded) Deno.exit = realExit;
  };
}
