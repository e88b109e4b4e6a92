/**
 * The cache's warnings: one line each, and once per cause where a cause
 * would otherwise repeat for every job (a cache folder that cannot be
 * written, a server that is down).
 *
 * @module
 */

import type { EventSink } from "../events.ts";

/**
 * Says warnings as `warning` events, through a sink that may change (the
 * cache is told where events go when a run starts).
 *
 * @example Usage
 * ```ts
 * import { Warnings } from "./_warnings.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const lines: string[] = [];
 * const warnings = new Warnings(() => (event) => event.type === "warning" && lines.push(event.message));
 * warnings.once("disk", "the cache could not be written");
 * warnings.once("disk", "the cache could not be written");
 * warnings.say("not cached: a function", "build");
 * assertEquals(lines, ["the cache could not be written", "not cached: a function"]);
 * assertEquals(warnings.said("disk"), true);
 * ```
 */
export class Warnings {
  #said = new Set<string>();
  #sink: () => EventSink;

  /**
   * Prepare the warnings.
   *
   * @param sink Where events go now.
   */
  constructor(sink: () => EventSink) {
    this.#sink = sink;
  }

  /**
   * Say a warning.
   *
   * @param message What happened and what to do, in one line.
   * @param job The job it is about, if any.
   */
  say(message: string, job?: string): void {
    this.#sink()({
      type: "warning",
      time: Date.now(),
      ...(job === undefined ? {} : { job }),
      message,
    });
  }

  /**
   * Say a warning, unless one of the same cause was said already.
   *
   * @param cause What it is about: the same cause is said once.
   * @param message What happened and what to do, in one line.
   * @param job The job it is about, if any.
   */
  once(cause: string, message: string, job?: string): void {
    if (this.#said.has(cause)) return;
    this.#said.add(cause);
    this.say(message, job);
  }

  /**
   * Whether a warning of this cause was said.
   *
   * @param cause The cause.
   * @returns `true` once it was.
   */
  said(cause: string): boolean {
    return this.#said.has(cause);
  }
}
