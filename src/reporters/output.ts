/**
 * Buffered, synchronous text output for reporters: cheap for many small
 * writes, flushed before the process exits. It never throws: when the
 * stream cannot be written (the reader went away, the disk is full) it says
 * so once, to whoever listens, and drops the rest.
 *
 * @module
 */

import { toError } from "../errors.ts";

/** Somewhere bytes can be written synchronously, like `Deno.stdout`. */
export interface SyncWriter {
  /** Write some of `p`, returning how many bytes were written. */
  writeSync(p: Uint8Array): number;
}

/** Options of {@linkcode Output}. */
export interface OutputOptions {
  /**
   * Told once, when the stream cannot be written: `Deno.errors.BrokenPipe`
   * when the reader went away (`gather | head`), another error (a full disk)
   * otherwise. Nothing more is written after it. @default {nothing is told}
   */
  onError?: (error: Error) => void;
}

const FLUSH_AT = 64 * 1024;

/**
 * A buffered text writer. Text is written when the buffer fills, on
 * `flush()`, and at the latest one macrotask after it was added.
 *
 * @example Usage
 * ```ts
 * import { Output } from "./output.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const chunks: Uint8Array[] = [];
 * const out = new Output({ writeSync: (p) => (chunks.push(p.slice()), p.length) });
 * out.write("hello\n");
 * out.flush();
 * assertEquals(new TextDecoder().decode(chunks[0]), "hello\n");
 * ```
 */
export class Output {
  #write: (p: Uint8Array) => number;
  #parts: string[] = [];
  #size = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #encoder = new TextEncoder();
  #onError: ((error: Error) => void) | undefined;

  /**
   * Construct an output. The writer's `writeSync` is read once, here: output
   * keeps going where it pointed even after the run patches `Deno.stdout`
   * and `Deno.stderr` to capture what jobs write.
   *
   * @param writer Where the bytes go.
   * @param options Whom to tell when it cannot be written.
   */
  constructor(writer: SyncWriter, options: OutputOptions = {}) {
    this.#write = writer.writeSync.bind(writer);
    this.#onError = options.onError;
  }

  /** Whether writing failed, and nothing more is written. */
  get failed(): boolean {
    return this.#closed;
  }

  /**
   * Add text.
   *
   * @param text The text, newlines included.
   */
  write(text: string): void {
    if (this.#closed) return;
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= FLUSH_AT) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), 0);
  }

  /** Write out everything buffered. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#parts.length === 0) return;
    const bytes = this.#encoder.encode(this.#parts.join(""));
    this.#parts = [];
    this.#size = 0;
    try {
      for (let at = 0; at < bytes.length;) at += this.#write(bytes.subarray(at));
    } catch (error) {
      // The reader went away (`gather | head`) or the disk is full: drop the rest, say so once.
      this.#closed = true;
      this.#onError?.(toError(error));
    }
  }
}
