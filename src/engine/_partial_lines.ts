/**
 * A job's unfinished subprocess lines as `job:partial` events, at most one
 * per {@linkcode PARTIAL_EVERY_MS}: a progress bar redrawn a hundred times a
 * second must not flood the event stream, and its latest state must still
 * show.
 *
 * @module
 */

import type { EventSink } from "../events.ts";

/** The shortest time between two `job:partial` events of one job. */
export const PARTIAL_EVERY_MS = 100;

type Stream = "stdout" | "stderr";

/** Where {@linkcode PartialLines} reads time and sets its timer; tests pass a fake one. */
export interface PartialTimers {
  /** Monotonic milliseconds. */
  now(): number;
  /** Call `fire` in `ms` milliseconds, without keeping the process alive. */
  set(fire: () => void, ms: number): unknown;
  /** Cancel a timer `set` returned. */
  clear(id: unknown): void;
}

const realTimers: PartialTimers = Object.freeze({
  now: () => performance.now(),
  set: (fire: () => void, ms: number) => {
    const id = setTimeout(fire, ms);
    Deno.unrefTimer(id);
    return id;
  },
  clear: (id: unknown) => clearTimeout(id as ReturnType<typeof setTimeout>),
});

/**
 * Sends a job's unfinished lines on, throttled: the first at once, then the
 * latest one each {@linkcode PARTIAL_EVERY_MS}. A line that ends before its
 * turn is never sent as unfinished.
 *
 * @example Usage
 * ```ts
 * import { PartialLines } from "./_partial_lines.ts";
 * import type { GatherEvent } from "../events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const events: GatherEvent[] = [];
 * const partials = new PartialLines("fetch", (event) => events.push(event));
 * partials.show("10%", "stderr");
 * partials.show("20%", "stderr"); // within 100 ms: waits for its turn
 * partials.ended("stderr"); // the line ended first: 20% is never sent
 * assertEquals(events.map((e) => e.type === "job:partial" ? e.line : ""), ["10%"]);
 * ```
 */
export class PartialLines {
  #job: string;
  #emit: EventSink;
  #sentAt = -Infinity;
  #waiting: { line: string; stream: Stream } | undefined;
  #timer: unknown;
  #timers: PartialTimers;

  /**
   * @param job The job's name.
   * @param emit Receives the events.
   * @param timers The clock and timer (real ones by default).
   */
  constructor(job: string, emit: EventSink, timers: PartialTimers = realTimers) {
    this.#job = job;
    this.#emit = emit;
    this.#timers = timers;
  }

  /**
   * A subprocess's unfinished line, as it stands now.
   *
   * @param line Its text after the last carriage return.
   * @param stream Where it is written.
   */
  show(line: string, stream: Stream): void {
    const since = this.#timers.now() - this.#sentAt;
    if (since >= PARTIAL_EVERY_MS && this.#timer === undefined) return this.#send(line, stream);
    this.#waiting = { line, stream };
    if (this.#timer !== undefined) return;
    this.#timer = this.#timers.set(() => {
      this.#timer = undefined;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting) this.#send(waiting.line, waiting.stream);
    }, Math.max(0, PARTIAL_EVERY_MS - since));
  }

  /**
   * A line of `stream` ended: what waits of it is out of date.
   *
   * @param stream The stream.
   */
  ended(stream: Stream): void {
    if (this.#waiting?.stream !== stream) return;
    this.#waiting = undefined;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #send(line: string, stream: Stream): void {
    this.#sentAt = this.#timers.now();
    this.#emit({ type: "job:partial", time: Date.now(), job: this.#job, line, stream });
  }
}
