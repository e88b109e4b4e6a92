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
import { createSpawner, type ExitStatus, type SpawnedChild, type Spawner } from "./spawn.ts";

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
  /** How much of each stream the result keeps: its last this many characters. @default {OUTPUT_TAIL_CHARS} */
  maxOutputChars?: number;
}

const STDERR_TAIL = 10;

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
const SHOWN_COMMAND_CHARS = 300;

/**
 * A command as an error message shows it: at most a few hundred characters,
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
 * assertEquals(shortCommand("echo " + "x".repeat(1000)).endsWith("… (705 more characters)"), true);
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
  const { signal, forceSignal, graceMs = 5000, onLine } = options;
  signal?.throwIfAborted();
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
  const maxOutput = options.maxOutputChars ?? OUTPUT_TAIL_CHARS;
  const stdout = new OutputTail(maxOutput);
  const stderr = new OutputTail(maxOutput);
  const stderrLines: string[] = [];
  const lines = {
    stdout: new LineSplitter(stdout, (line) => onLine?.(line, "stdout"), MAX_LINE_CHARS),
    stderr: new LineSplitter(stderr, (line) => {
      stderrLines.push(line);
      if (stderrLines.length > STDERR_TAIL) stderrLines.shift();
      onLine?.(line, "stderr");
    }, MAX_LINE_CHARS),
  };
  const spawner = options.spawner ?? createSpawner();
  let child: SpawnedChild;
  try {
    child = await spawner.spawn(argv, {
      ...options,
      onOutput: (chunk, stream) => lines[stream].push(chunk),
    });
  } catch (error) {
    throw new GatherError(
      "COMMAND_FAILED",
      `Cannot run "${display}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const tree = new ProcessTree(spawner, child.pid, graceMs);
  const onAbort = () => tree.stop();
  const onForce = () => tree.kill();
  signal?.addEventListener("abort", onAbort, { once: true });
  forceSignal?.addEventListener("abort", onForce, { once: true });
  if (forceSignal?.aborted) tree.kill();
  else if (signal?.aborted) tree.stop();
  const done = (async () => {
    try {
      const [status] = await Promise.all([
        child.status,
        child.drained.then(() => {
          lines.stdout.end();
          lines.stderr.end();
        }),
        // Once the direct child is gone, stop whatever it left running, so the pipes close.
        child.status.then(() => tree.stop()),
      ]);
      await tree.gone;
      spawner.release(child.pid);
      return status;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      forceSignal?.removeEventListener("abort", onForce);
    }
  })();
  options.registry?.add(done);
  let status: ExitStatus;
  try {
    status = await done;
  } finally {
    options.registry?.delete(done);
  }
  if (signal?.aborted) throw signal.reason;
  const code = status.code;
  const result = { code, stdout: stdout.text(), stderr: stderr.text() };
  if (code !== 0) {
    const tail = stderrLines;
    const how = status.signal === null ? `exit code ${code}` : `signal ${status.signal}`;
    throw new GatherError(
      "COMMAND_FAILED",
      `Command failed with ${how}: ${display}${tail.length ? "\n" + tail.join("\n") : ""}`,
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
 * pipe, 10 % of a run of 1,000 short commands.
 */
class LineSplitter {
  #decoder = new TextDecoder();
  #pieces: string[] = [];
  #pieceChars = 0;
  #cutChars = 0;
  #text: OutputTail;
  #each: (line: string) => void;
  #maxLine: number;

  constructor(text: OutputTail, each: (line: string) => void, maxLine: number) {
    this.#text = text;
    this.#each = each;
    this.#maxLine = maxLine;
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
    if (start < chunk.length) this.#keep(start === 0 ? chunk : chunk.slice(start));
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

/** A process group: stopped with SIGTERM then SIGKILL, watched until no live member is left. */
class ProcessTree {
  readonly gone: Promise<void>;
  #pgid: number;
  #graceMs: number;
  #stopping = false;
  #resolve!: () => void;
  #timers: ReturnType<typeof setTimeout>[] = [];
  #spawner: Spawner;

  constructor(spawner: Spawner, pgid: number, graceMs: number) {
    this.#spawner = spawner;
    this.#pgid = pgid;
    this.#graceMs = graceMs;
    this.gone = new Promise((resolve) => this.#resolve = resolve);
  }

  /** SIGTERM the group, SIGKILL it after the grace period, resolve `gone` when it is empty. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    if (!this.#send("SIGTERM")) return this.#finish();
    this.#timers.push(setTimeout(() => this.kill(), this.#graceMs));
    this.#watch(10);
  }

  /** SIGKILL the group now. */
  kill(): void {
    this.#stopping = true;
    if (!this.#send("SIGKILL")) return this.#finish();
    this.#watch(10);
  }

  #watch(delayMs: number): void {
    this.#timers.push(setTimeout(() => {
      if (!groupHasLiveMember(this.#spawner, this.#pgid)) return this.#finish();
      this.#watch(Math.min(delayMs * 2, 100));
    }, delayMs));
  }

  #send(signal: "SIGTERM" | "SIGKILL"): boolean {
    return this.#spawner.signalGroup(this.#pgid, signal);
  }

  #finish(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    this.#resolve();
  }
}

/**
 * Whether a process group has a member that is not a zombie. Zombies are
 * skipped because an init that reaps slowly keeps them for a second or more.
 */
function groupHasLiveMember(spawner: Spawner, pgid: number): boolean {
  if (!spawner.signalGroup(pgid, "SIGCONT")) return false;
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      } catch {
        continue;
      }
      // Fields after the command (which may hold spaces): state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") return true;
    }
    return false;
  } catch {
    return true; // no /proc: trust the signal probe
  }
}
