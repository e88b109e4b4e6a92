/**
 * Undo what a run patched or opened, newest first, all of it even when one
 * step throws (effection's scope teardown).
 *
 * @module
 */

/**
 * A stack of cleanups.
 *
 * @example Usage
 * ```ts
 * import { Cleanup } from "./cleanup.ts";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * const order: string[] = [];
 * const cleanup = new Cleanup();
 * cleanup.defer(() => void order.push("first in"));
 * cleanup.defer(() => { throw new Error("broke"); });
 * cleanup.defer(async () => void order.push("last in"));
 * await assertRejects(() => cleanup.run(), Error, "broke");
 * assertEquals(order, ["last in", "first in"]);
 * ```
 */
export class Cleanup {
  #steps: (() => void | Promise<void>)[] = [];

  /**
   * Add a step; steps run newest first.
   *
   * @param step What to undo.
   */
  defer(step: () => void | Promise<void>): void {
    this.#steps.push(step);
  }

  /**
   * Run every step, newest first, each once.
   *
   * @throws The error of the one step that failed, or an `AggregateError` of several.
   */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, "Several cleanups failed");
  }
}
