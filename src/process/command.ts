/**
 * Subprocesses for jobs: each runs in its own process group, its output is
 * streamed line by line, and the whole tree is stopped when the job's signal
 * aborts (SIGTERM, then SIGKILL after the grace period) or when the direct
 * child exits and leaves descendants behind.
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import type { CommandResult } from "../types.ts";
import { ProcessTree } from "./process_tree.ts";
import { createSpawner, type ExitStatus, type MarkedChild, type Spawner } from "./spawn.ts";

/** Options of {@linkcode runCommand}. */
export interface RunCommandOptions {
  /** Aborting it stops the process tree. */
  signal?: AbortSignal;
  /** Aborting it kills the process tree at once with SIGKILL. */
  forceSignal?: AbortSignal;
  /** How long the tree gets between SIGTERM and SIGKILL. @default {5000} */
  graceMs?: number;
  /** Receives each output line as it arrives. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /**
   * Receives a line still being written, as a terminal shows it now: the text
   * after its last carriage return (a progress bar that redraws itself), or
   * what has come of it so far. Called each time that changes; the whole
   * line still goes to `onLine` when it ends.
   */
  onPartial?: (text: string, stream: "stdout" | "stderr") => void;
  /** The working directory. @default {Deno.cwd()} */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Tracks live process trees so a run can wait for all of them. */
  registry?: Set<Promise<unknown>>;
  /** How the command is shown in errors. @default {the argv joined} */
  display?: string;
  /** Starts it; one per run. @default {a new spawner} */
  spawner?: Spawner;
  /**
   * Told when the command and its process group are gone but its output is
   * still held open, by a process that left the group (`setsid`, a daemon):
   * what holds it, for a diagnostic.
   */
  onHeldOpen?: (what: string) => void;
  /** How much of each stream the result keeps: its last this many characters. @default {OUTPUT_TAIL_CHARS} */
  maxOutputChars?: number;
}

const STDERR_TAIL = 10;
/** How long output may stay open after a command and its group are gone before gather looks for who holds it. */
const HELD_OPEN_MS = 100;

/**
 * How much of each stream a {@linkcode CommandResult} keeps: its last 64 Mi
 * characters. Every line still streams to the job's log; the bound keeps a
 * command with gigabytes of output from failing on JavaScript's string limit
 * (about 512 Mi characters).
 */
export const OUTPUT_TAIL_CHARS = 64 * 1024 * 1024;

/** How many characters of one output line are kept in memory; the rest of a longer line is counted and cut. */
export const MAX_LINE_CHARS = 1024 * 1024;

/** How many characters of a command an error message shows. */
const SHOWN_COMMAND_CHARS = 4000;

/**
 * A command as an error message shows it: at most 4,000 characters (a long
 * compiler command stays whole, and copyable; a megabyte of arguments does not),
 * NUL bytes written as `\0`.
 *
 * @param display The command as a person would type it.
 * @returns It, cut with a count of what was left out when it is long.
 *
 * @example Usage
 * ```ts
 * import { shortCommand } from "./command.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(shortCommand("echo hi"), "echo hi");
 * assertEquals(shortCommand("echo " + "x".repeat(5000)).endsWith("… (1005 more characters)"), true);
 * ```
 */
export function shortCommand(display: string): string {
  const text = display.replaceAll("\0", "\\0");
  if (text.length <= SHOWN_COMMAND_CHARS) return text;
  return `${text.slice(0, SHOWN_COMMAND_CHARS)} … (${
    text.length - SHOWN_COMMAND_CHARS
  } more characters)`;
}

/**
 * Run a command in a new process group and wait for it and its output.
 *
 * @param argv The program and its arguments.
 * @param options Cancellation, output callback, working directory, environment.
 * @returns The exit code and output.
 * @throws {GatherError} `COMMAND_FAILED` with the exit code and the last stderr lines on a non-zero exit.
 * @throws The signal's reason when it aborts.
 *
 * @example Usage
 * ```ts
 * import { runCommand } from "./command.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const result = await runCommand(["echo", "hello"]);
 * assertEquals(result.stdout, "hello\n");
 * ```
 */
export async function runCommand(
  argv: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  options.signal?.throwIfAborted();
  const display = shortCommand(options.display ?? argv.join(" "));
  const nul = argv.findIndex((arg) => arg.includes("\0"));
  if (nul >= 0) {
    throw new GatherError(
      "COMMAND_FAILED",
      `Cannot run "${display}": ${
        nul === 0 ? "the program name" : `argument ${nul}`
      } holds a NUL byte, which no program can receive; remove it, or pass such data in a file`,
    );
  }
  // Registered before the spawn: a run that drains while the spawn is in flight waits for it too.
  const life = Promise.withResolvers<void>();
  options.registry?.add(life.promise);
  try {
    return await runUntilGone(argv, options, display);
  } finally {
    options.registry?.delete(life.promise);
    life.resolve();
  }
}

/** {@linkcode runCommand} once its arguments are checked. */
async function runUntilGone(
  argv: readonly string[],
  options: RunCommandOptions,
  display: string,
): Promise<CommandResult> {
  const { signal, forceSignal, graceMs = 5000, onLine, onPartial } = options;
  const maxOutput = options.maxOutputChars ?? OUTPUT_TAIL_CHARS;
  const stdout = new OutputTail(maxOutput);
  const stderr = new OutputTail(maxOutput);
  const stderrLines: string[] = [];
  const lines = {
    stdout: new LineSplitter(
      stdout,
      (line) => onLine?.(line, "stdout"),
      MAX_LINE_CHARS,
      onPartial && ((text) => onPartial(text, "stdout")),
    ),
    stderr: new LineSplitter(
      stderr,
      (line) => {
        stderrLines.push(line);
        if (stderrLines.length > STDERR_TAIL) stderrLines.shift();
        onLine?.(line, "stderr");
      },
      MAX_LINE_CHARS,
      onPartial && ((text) => onPartial(text, "stderr")),
    ),
  };
  // A line callback that throws must not stop the reading (the posix_spawn route would never
  // reap the command): the command is stopped, and fails with that error once it is gone.
  let sinkFailure: { error: unknown } | undefined;
  const started: { tree?: ProcessTree } = {};
  const read = (take: () => void) => {
    if (sinkFailure) return;
    try {
      take();
    } catch (error) {
      sinkFailure = { error };
      started.tree?.stop();
    }
  };
  const spawner = options.spawner ?? createSpawner();
  let child: MarkedChild;
  try {
    child = await spawner.spawn(argv, {
      ...options,
      onOutput: (chunk, stream) => read(() => lines[stream].push(chunk)),
    });
  } catch (error) {
    throw new GatherError(
      "COMMAND_FAILED",
      `Cannot run "${display}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const tree = started.tree = new ProcessTree(spawner, child.pid, child.marker, graceMs);
  if (sinkFailure) tree.stop();
  let forced!: () => void;
  const whenForced = new Promise<void>((resolve) => forced = resolve);
  const onAbort = () => tree.stop();
  const onForce = () => {
    tree.kill();
    forced();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  forceSignal?.addEventListener("abort", onForce, { once: true });
  if (forceSignal?.aborted) onForce();
  else if (signal?.aborted) tree.stop();
  const done = (async () => {
    try {
      const status = await child.status;
      // Once the direct child is gone, stop whatever it left running, so the pipes close.
      tree.stop();
      await tree.gone;
      let drained = await settlesWithin(child.drained, HELD_OPEN_MS);
      if (!drained) {
        // The command and its group are gone, yet the output is open: a process that left the
        // group holds it. Look for it by its marker everywhere, and stop it too.
        const holders = tree.hunt();
        const what = holders.length === 0
          ? "a process that left its process group"
          : holders.slice(0, 3).map((p) => `process ${p.pid} (${p.name})`).join(", ");
        options.onHeldOpen?.(
          `"${display}" has exited, but ${what}, started by it outside its process group, still holds its output open`,
        );
        // After a second Ctrl-C, stop reading at once.
        drained = await Promise.race([
          child.drained.then(() => true),
          whenForced.then(() => false),
        ]);
        await Promise.race([tree.gone, whenForced]);
      }
      read(() => lines.stdout.end());
      read(() => lines.stderr.end());
      if (drained) spawner.release(child.pid);
      return status;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      forceSignal?.removeEventListener("abort", onForce);
    }
  })();
  const status: ExitStatus = await done;
  if (sinkFailure) throw sinkFailure.error;
  if (signal?.aborted) throw signal.reason;
  const code = status.code;
  const result = { code, stdout: stdout.text(), stderr: stderr.text() };
  if (code !== 0) {
    const tail = stderrLines;
    const how = status.signal === null ? `exit code ${code}` : `signal ${status.signal}`;
    throw new GatherError(
      "COMMAND_FAILED",
      `Command failed with ${how}: ${display}${tail.length ? "\n" + tail.join("\n") : ""}`,
      { exitCode: code },
    );
  }
  return result;
}

/**
 * Turns a pipe's bytes into text: keeps the last `maxText` characters of it,
 * and hands each line to `each` (a final line without a newline too; `\r\n`
 * ends a line as `\n` does). Linear in the output: each chunk is searched
 * once, and a line that spans chunks is kept as pieces, at most `maxLine`
 * characters of it (the rest is counted, not kept). Plain code: chaining
 * `TextDecoderStream` and `TextLineStream` cost three stream transforms per
 * pipe, 10 % of a run of 1,000 short commands. With `partial`, a line that
 * has no end yet is shown as it stands (see {@linkcode PartialView}).
 */
class LineSplitter {
  #decoder = new TextDecoder();
  #pieces: string[] = [];
  #pieceChars = 0;
  #cutChars = 0;
  #text: OutputTail;
  #each: (line: string) => void;
  #maxLine: number;
  #partial: PartialView | undefined;

  constructor(
    text: OutputTail,
    each: (line: string) => void,
    maxLine: number,
    partial?: (text: string) => void,
  ) {
    this.#text = text;
    this.#each = each;
    this.#maxLine = maxLine;
    if (partial) this.#partial = new PartialView(partial);
  }

  push(bytes: Uint8Array): void {
    this.#split(this.#decoder.decode(bytes, { stream: true }));
  }

  end(): void {
    this.#split(this.#decoder.decode());
    if (this.#pieceChars > 0 || this.#cutChars > 0) this.#emit("");
  }

  #split(chunk: string): void {
    if (chunk === "") return;
    this.#text.push(chunk);
    let start = 0;
    for (let at = chunk.indexOf("\n"); at >= 0; at = chunk.indexOf("\n", start)) {
      this.#emit(chunk.slice(start, at));
      start = at + 1;
    }
    if (start > 0) this.#partial?.reset();
    if (start < chunk.length) {
      const rest = start === 0 ? chunk : chunk.slice(start);
      this.#keep(rest);
      this.#partial?.add(rest);
    }
  }

  /** Hold the start of a line that has no newline yet, up to the bound. */
  #keep(piece: string): void {
    const room = this.#maxLine - this.#pieceChars;
    if (room <= 0) {
      this.#cutChars += piece.length;
      return;
    }
    const kept = piece.length <= room ? piece : piece.slice(0, room);
    this.#pieces.push(kept);
    this.#pieceChars += kept.length;
    this.#cutChars += piece.length - kept.length;
  }

  /** A line ends with `last`: hand it on, whole or cut. */
  #emit(last: string): void {
    let line = last;
    if (this.#pieceChars > 0 || this.#cutChars > 0) {
      this.#keep(last);
      line = this.#pieces.join("");
      const cut = this.#cutChars;
      this.#pieces = [];
      this.#pieceChars = 0;
      this.#cutChars = 0;
      if (cut > 0) {
        this.#each(`${line} … (line cut: ${cut} more characters)`);
        return;
      }
    }
    this.#each(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
  }
}

/** The most of an unfinished line a {@linkcode PartialView} keeps: more than any row shows. */
const MAX_VIEW = 1000;

/**
 * What a terminal shows of a line still being written: the text after its
 * last carriage return (`10%\r20%\r` shows `20%`: a progress bar redrawn in
 * place), or all of it so far. Tells `show` each time that changes.
 */
class PartialView {
  #view = "";
  /** The last piece ended with `\r`: the next text starts the line over. */
  #over = false;
  #show: (text: string) => void;

  constructor(show: (text: string) => void) {
    this.#show = show;
  }

  /** More of the unfinished line. */
  add(piece: string): void {
    let text = this.#over ? piece : this.#view + piece;
    this.#over = text.endsWith("\r");
    const end = this.#over ? text.length - 1 : text.length;
    text = text.slice(text.lastIndexOf("\r", end - 1) + 1, end).slice(0, MAX_VIEW);
    if (text === this.#view) return;
    this.#view = text;
    if (text !== "") this.#show(text);
  }

  /** The line ended. */
  reset(): void {
    this.#view = "";
    this.#over = false;
  }
}

/** The last `max` characters of a stream's text, kept as the chunks that hold them. */
class OutputTail {
  #chunks: string[] = [];
  #chars = 0;
  #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  push(chunk: string): void {
    this.#chunks.push(chunk);
    this.#chars += chunk.length;
    while (this.#chunks.length > 1 && this.#chars - this.#chunks[0]!.length >= this.#max) {
      this.#chars -= this.#chunks.shift()!.length;
    }
  }

  text(): string {
    const all = this.#chunks.join("");
    return all.length > this.#max ? all.slice(all.length - this.#max) : all;
  }
}

/** Whether `promise` settles within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]).finally(() => clearTimeout(timer));
}
