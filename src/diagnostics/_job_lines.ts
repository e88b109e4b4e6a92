/**
 * Text that jobs write, cut into lines per job and stream: a line written in
 * pieces (`process.stdout.write("a"); process.stdout.write("b\n")`) becomes
 * one `job:log` event, and bytes are decoded as UTF-8 even when a character
 * is split between two writes.
 *
 * @module
 */

import type { EventSink } from "../events.ts";

/** Which standard stream a piece of text was written to. */
export type StdStreamName = "stdout" | "stderr";

/** The longest line kept waiting for its end; a longer one is emitted as it is. */
const MAX_PARTIAL = 64 * 1024;

/**
 * Assembles lines per job and stream, and hands each whole line on: a job's
 * to `emit` as a `job:log` event, a line written outside every job to
 * `fallback`.
 *
 * @example Usage
 * ```ts
 * import { JobLines } from "./_job_lines.ts";
 * import type { GatherEvent } from "../events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const events: GatherEvent[] = [];
 * const lines = new JobLines((e) => events.push(e), () => {});
 * lines.text("build", "stdout", "hel");
 * lines.text("build", "stdout", "lo\nwor");
 * lines.endJob("build");
 * assertEquals(events.map((e) => e.type === "job:log" ? e.line : ""), ["hello", "wor"]);
 * ```
 */
export class JobLines {
  #emit: EventSink;
  #fallback: (text: string, stream: StdStreamName) => void;
  #partial = new Map<string, string>();
  #decoders = new Map<string, TextDecoder>();

  /**
   * Construct the assembler.
   *
   * @param emit Receives each job's lines as `job:log` events.
   * @param fallback Receives lines written outside every job.
   */
  constructor(emit: EventSink, fallback: (text: string, stream: StdStreamName) => void) {
    this.#emit = emit;
    this.#fallback = fallback;
  }

  /**
   * Take text written by a job (or outside every job: `undefined`).
   *
   * @param job The job, if any.
   * @param stream Where it was written.
   * @param text The text; its last line may be unfinished.
   */
  text(job: string | undefined, stream: StdStreamName, text: string): void {
    const key = `${stream}\0${job ?? ""}`;
    const before = this.#partial.get(key);
    const all = before === undefined ? text : before + text;
    let start = 0;
    for (let end = all.indexOf("\n"); end !== -1; end = all.indexOf("\n", start)) {
      this.#line(job, stream, all.slice(start, end));
      start = end + 1;
    }
    if (all.length - start > MAX_PARTIAL) {
      this.#line(job, stream, all.slice(start));
      start = all.length;
    }
    if (start < all.length) this.#partial.set(key, all.slice(start));
    else if (before !== undefined) this.#partial.delete(key);
  }

  /**
   * Take bytes written by a job (or outside every job: `undefined`).
   *
   * @param job The job, if any.
   * @param stream Where they were written.
   * @param bytes The bytes, UTF-8.
   */
  bytes(job: string | undefined, stream: StdStreamName, bytes: Uint8Array): void {
    const key = `${stream}\0${job ?? ""}`;
    let decoder = this.#decoders.get(key);
    if (!decoder) this.#decoders.set(key, decoder = new TextDecoder());
    this.text(job, stream, decoder.decode(bytes, { stream: true }));
  }

  /**
   * A job ended: its unfinished lines are emitted now, before its end is.
   *
   * @param job The job.
   */
  endJob(job: string): void {
    // Most jobs leave no unfinished line: nothing to look up (a run may end 100,000 jobs).
    if (this.#partial.size === 0 && this.#decoders.size === 0) return;
    for (const stream of ["stdout", "stderr"] as const) this.#finish(job, stream);
  }

  /** Hand on every unfinished line: a job's to the fallback too, since its end is past. */
  close(): void {
    for (const key of new Set([...this.#partial.keys(), ...this.#decoders.keys()])) {
      const stream = key.slice(0, key.indexOf("\0")) as StdStreamName;
      const text = this.#rest(key);
      if (text !== "") this.#fallback(text, stream);
    }
  }

  #finish(job: string, stream: StdStreamName): void {
    const text = this.#rest(`${stream}\0${job}`);
    if (text !== "") this.#line(job, stream, text);
  }

  /** The unfinished line of a key, forgotten. */
  #rest(key: string): string {
    const tail = this.#decoders.get(key)?.decode() ?? "";
    this.#decoders.delete(key);
    const text = (this.#partial.get(key) ?? "") + tail;
    this.#partial.delete(key);
    return text;
  }

  #line(job: string | undefined, stream: StdStreamName, raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (job === undefined) this.#fallback(line, stream);
    else this.#emit({ type: "job:log", time: Date.now(), job, line, stream });
  }
}
