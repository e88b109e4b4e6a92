/**
 * Several reporters as one: each event goes to each, in order; closing
 * closes every one of them, even when one throws.
 *
 * @module
 */

import type { GatherEvent } from "../events.ts";
import type { Reporter } from "./reporter.ts";

/**
 * Combine reporters.
 *
 * @param reporters The reporters, in the order they get each event.
 * @returns One reporter; closing it closes all, then throws the first error.
 *
 * @example Usage
 * ```ts
 * import { tee } from "./_tee.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const seen: string[] = [];
 * const both = tee([
 *   { handle: (e) => seen.push(`a ${e.type}`), close: () => {} },
 *   { handle: (e) => seen.push(`b ${e.type}`), close: () => {} },
 * ]);
 * both.handle({ type: "run:cancel", time: 0, reason: "test" });
 * both.close();
 * assertEquals(seen, ["a run:cancel", "b run:cancel"]);
 * ```
 */
export function tee(reporters: readonly Reporter[]): Reporter {
  const printer = reporters.find((reporter) => reporter.print);
  return {
    ...(printer ? { print: (text: string) => printer.print!(text) } : {}),
    handle(event: GatherEvent): void {
      for (const reporter of reporters) reporter.handle(event);
    },
    flush(): void {
      for (const reporter of reporters) reporter.flush?.();
    },
    async drain(stop?: AbortSignal): Promise<void> {
      await Promise.all(reporters.map((reporter) => reporter.drain?.(stop)));
    },
    close(): void {
      const errors: unknown[] = [];
      for (const reporter of reporters) {
        try {
          reporter.close();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw errors[0];
    },
  };
}
