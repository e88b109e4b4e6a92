/**
 * A bounded excerpt of a job's output: its first lines and its last ones,
 * and how many lines were written in all. A compiler's first error is at the
 * top and its count of errors at the bottom: both are kept, whatever the
 * size of the output, in memory that does not grow with it.
 *
 * @module
 */

/**
 * The first `headLines` and the last `tailLines` lines of some output.
 *
 * @example Usage
 * ```ts
 * import { LineExcerpt } from "./_excerpt.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const excerpt = new LineExcerpt(2, 2);
 * for (let i = 1; i <= 10; i++) excerpt.add(`line ${i}`);
 * assertEquals(excerpt.head, ["line 1", "line 2"]);
 * assertEquals(excerpt.tail, ["line 9", "line 10"]);
 * assertEquals(excerpt.omitted, 6);
 * assertEquals(excerpt.last, "line 10");
 * ```
 */
export class LineExcerpt<T = string> {
  /** The first lines. */
  readonly head: T[] = [];
  /** How many lines were added in all. */
  count = 0;
  #headLines: number;
  #tailLines: number;
  #ring: T[] = [];
  #next = 0; // where the ring's oldest line is, once it is full

  /**
   * Construct an empty excerpt.
   *
   * @param headLines How many of the first lines to keep.
   * @param tailLines How many of the last lines to keep.
   */
  constructor(headLines: number, tailLines: number) {
    this.#headLines = headLines;
    this.#tailLines = tailLines;
  }

  /**
   * Add a line.
   *
   * @param line The line, without its line break.
   */
  add(line: T): void {
    this.count++;
    if (this.head.length < this.#headLines) this.head.push(line);
    else if (this.#ring.length < this.#tailLines) this.#ring.push(line);
    else if (this.#tailLines > 0) {
      this.#ring[this.#next] = line;
      this.#next = (this.#next + 1) % this.#tailLines;
    }
  }

  /** The last lines kept after the head, oldest first. */
  get tail(): T[] {
    if (this.#next === 0) return this.#ring;
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }

  /** How many lines between the head and the tail were not kept. */
  get omitted(): number {
    return this.count - this.head.length - this.#ring.length;
  }

  /** The latest line, if any. */
  get last(): T | undefined {
    const ring = this.#ring;
    if (ring.length === 0) return this.head.at(-1);
    return ring[(this.#next + ring.length - 1) % ring.length];
  }
}

/** A line of an excerpt, or the note that stands for the lines cut. */
export type ExcerptLine<T> = { line: T; note?: undefined } | { line?: undefined; note: string };

/**
 * The lines to print for an excerpt: the head, a note saying how many lines
 * were cut (and where the full log is), then the tail, in order.
 *
 * @param excerpt The excerpt.
 * @param log Where the full output is, if it was kept.
 * @returns The lines, and in their midst the note, if any lines were cut.
 *
 * @example Usage
 * ```ts
 * import { excerptLines, LineExcerpt } from "./_excerpt.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const excerpt = new LineExcerpt(1, 1);
 * for (const line of ["a", "b", "c"]) excerpt.add(line);
 * assertEquals(excerptLines(excerpt, "job.log"), [
 *   { line: "a" },
 *   { note: "… 1 line not shown, full log: job.log" },
 *   { line: "c" },
 * ]);
 * ```
 */
export function excerptLines<T>(excerpt: LineExcerpt<T>, log?: string): ExcerptLine<T>[] {
  const lines: ExcerptLine<T>[] = excerpt.head.map((line) => ({ line }));
  const omitted = excerpt.omitted;
  if (omitted > 0) {
    const where = log === undefined ? "" : `, full log: ${log}`;
    const count = omitted.toLocaleString("en-US");
    lines.push({ note: `… ${count} line${omitted === 1 ? "" : "s"} not shown${where}` });
  }
  for (const line of excerpt.tail) lines.push({ line });
  return lines;
}
