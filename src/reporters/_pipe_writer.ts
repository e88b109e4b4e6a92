/**
 * Writing to a named pipe without ever blocking the main thread: opened with
 * `O_NONBLOCK`, so that a pipe nothing reads is refused at once instead of
 * waiting for a reader for good, and written a few KiB at a time, waiting
 * on a timer while the pipe is full, so that a reader that stops reading
 * leaves signals (Ctrl-C) working. Deno's own file API has no `O_NONBLOCK`:
 * `node:fs` does, and costs about 50 ms to load, so this module is loaded
 * only when the path is a pipe.
 *
 * @module
 */

import { closeSync, constants, openSync, writeSync } from "node:fs";

/**
 * The most bytes written at once: at most `PIPE_BUF`, so each write is
 * atomic (all of it or none), and what the reader took is known exactly.
 */
const CHUNK = 4096;
/** The longest wait between tries while the pipe is full. */
const MAX_WAIT_MS = 50;

/** Opening a named pipe for writing when nothing has it open for reading. */
export class NoReaderError extends Error {
  /**
   * Construct the error.
   *
   * @param path The pipe.
   */
  constructor(path: string) {
    super(`nothing is reading the named pipe "${path}"`);
    this.name = "NoReaderError";
  }
}

/**
 * A named pipe open for writing, whose writes never block.
 *
 * @example Usage
 * ```ts
 * import { NoReaderError, PipeWriter } from "./_pipe_writer.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await new Deno.Command("mkfifo", { args: [`${dir}/pipe`] }).output();
 * assertThrows(() => PipeWriter.open(`${dir}/pipe`), NoReaderError); // nothing reads it
 * const reader = new Deno.Command("cat", { args: [`${dir}/pipe`], stdout: "piped" }).spawn();
 * let writer: PipeWriter | undefined;
 * while (writer === undefined) {
 *   try {
 *     writer = PipeWriter.open(`${dir}/pipe`);
 *   } catch {
 *     await new Promise((resolve) => setTimeout(resolve, 10)); // cat has not opened it yet
 *   }
 * }
 * await writer.write(new TextEncoder().encode("hello\n"));
 * writer.close();
 * assertEquals(new TextDecoder().decode((await reader.output()).stdout), "hello\n");
 * ```
 */
export class PipeWriter {
  #fd: number | undefined;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * Open a named pipe for writing, at once.
   *
   * @param path The pipe (or `/dev/fd/N` for a pipe: `--summary >(jq .)`).
   * @returns The writer.
   * @throws {NoReaderError} When nothing has the pipe open for reading.
   * @throws What opening throws otherwise (no permission, say).
   */
  static open(path: string): PipeWriter {
    try {
      return new PipeWriter(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch (error) {
      if ((error as { code?: string }).code === "ENXIO") throw new NoReaderError(path);
      throw error;
    }
  }

  /**
   * Write all the bytes, waiting while the pipe is full.
   *
   * @param bytes The bytes.
   * @param stop Aborting it stops the wait for a reader that does not read.
   * @returns When the reader has taken every byte.
   * @throws An error saying how many bytes the reader took, when it went away
   * (closed the pipe) or `stop` aborted first.
   */
  async write(bytes: Uint8Array, stop?: AbortSignal): Promise<void> {
    let at = 0;
    let waitMs = 1;
    const taken = () => `after it had taken ${at} of ${bytes.length} bytes`;
    while (at < bytes.length) {
      if (this.#fd === undefined) throw new Error(`the pipe was closed ${taken()}`);
      try {
        at += writeSync(this.#fd, bytes, at, Math.min(CHUNK, bytes.length - at));
        waitMs = 1;
        continue;
      } catch (error) {
        if (error instanceof Deno.errors.BrokenPipe) {
          throw new Error(`its reader went away ${taken()}`, { cause: error });
        }
        if ((error as { code?: string }).code !== "EAGAIN") throw error;
      }
      if (stop?.aborted) {
        const why = stop.reason instanceof Error ? stop.reason.message : "stopped";
        throw new Error(`${why} while waiting for its reader, ${taken()}`);
      }
      await pause(waitMs, stop);
      waitMs = Math.min(waitMs * 2, MAX_WAIT_MS);
    }
  }

  /** Close the pipe: its reader sees the end. */
  close(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }
}

/** Wait `ms`, or less if `stop` aborts. */
function pause(ms: number, stop: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop?.addEventListener("abort", done, { once: true });
  });
}
