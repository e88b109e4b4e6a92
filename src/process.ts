/**
 * Subprocesses for jobs: each runs in its own process group, its output is
 * streamed line by line, and the whole tree is stopped when the job's signal
 * aborts (SIGTERM, then SIGKILL after the grace period) or when the direct
 * child exits and leaves descendants behind.
 *
 * @module
 */

import { GatherError } from "./errors.ts";

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
}

/** What a finished command produced. */
export interface CommandResult {
  /** The exit code (128 + n when killed by signal n). */
  code: number;
  /** Everything it wrote to stdout. */
  stdout: string;
  /** Everything it wrote to stderr. */
  stderr: string;
}

const STDERR_TAIL = 10;

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
 * import { runCommand } from "./process.ts";
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
  const display = options.display ?? argv.join(" ");
  let child: Deno.ChildProcess;
  try {
    const [program, ...args] = launcher(argv);
    child = new Deno.Command(program!, {
      args,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: SETSID === undefined,
    }).spawn();
  } catch (error) {
    throw new GatherError(
      "COMMAND_FAILED",
      `Cannot run "${display}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const tree = new ProcessTree(child.pid, graceMs);
  const onAbort = () => tree.stop();
  const onForce = () => tree.kill();
  signal?.addEventListener("abort", onAbort, { once: true });
  forceSignal?.addEventListener("abort", onForce, { once: true });
  if (forceSignal?.aborted) tree.kill();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const stderrLines: string[] = [];
  const done = (async () => {
    try {
      const [status] = await Promise.all([
        child.status,
        readLines(child.stdout, stdout, (line) => onLine?.(line, "stdout")),
        readLines(child.stderr, stderr, (line) => {
          stderrLines.push(line);
          if (stderrLines.length > STDERR_TAIL) stderrLines.shift();
          onLine?.(line, "stderr");
        }),
        // Once the direct child is gone, stop whatever it left running, so the pipes close.
        child.status.then(() => tree.stop()),
      ]);
      await tree.gone;
      return status;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      forceSignal?.removeEventListener("abort", onForce);
    }
  })();
  options.registry?.add(done);
  let status: Deno.CommandStatus;
  try {
    status = await done;
  } finally {
    options.registry?.delete(done);
  }
  if (signal?.aborted) throw signal.reason;
  const code = status.signal === null ? status.code : 128 + signalNumber(status.signal);
  const result = { code, stdout: stdout.join(""), stderr: stderr.join("") };
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
 * Where `setsid` lives, on Linux. Starting a command through it puts the
 * command in a new session and process group, like `detached: true`, but
 * lets Deno use `posix_spawn`: `detached` makes it fork the whole runtime on
 * the main thread (measured: 1.3 ms per spawn, 67 % of a run of 1,000
 * `true` jobs).
 */
const found = new Map<string, string | undefined>();
const SETSID = Deno.build.os === "linux" ? findProgram("setsid") : undefined;

/** The argv to spawn: through `setsid` where it is available. */
function launcher(argv: readonly string[]): string[] {
  if (SETSID === undefined) return [...argv];
  const program = argv[0]!;
  const path = program.includes("/") ? program : findProgram(program);
  if (path === undefined) throw new Deno.errors.NotFound(`No such file or directory (os error 2)`);
  return [SETSID, path, ...argv.slice(1)];
}

/** The full path of a program on PATH, remembered. */
function findProgram(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  let path: string | undefined;
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      const candidate = `${dir || "."}/${name}`;
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) {
        path = candidate;
        break;
      }
    } catch {
      // not here
    }
  }
  found.set(name, path);
  return path;
}

/**
 * Read a stream as text: keep every chunk in `text`, and hand each line to
 * `each` (a final line without a newline too; `\r\n` ends a line as `\n` does).
 * A plain reader loop: chaining `TextDecoderStream` and `TextLineStream`
 * cost three stream transforms per pipe, 10 % of a run of 1,000 short commands.
 */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  text: string[],
  each: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let partial = "";
  const split = (chunk: string, last: boolean) => {
    if (chunk !== "") text.push(chunk);
    let data = partial + chunk;
    let at = data.indexOf("\n");
    while (at >= 0) {
      each(data.charCodeAt(at - 1) === 13 ? data.slice(0, at - 1) : data.slice(0, at));
      data = data.slice(at + 1);
      at = data.indexOf("\n");
    }
    partial = data;
    if (last && partial !== "") {
      each(partial.endsWith("\r") ? partial.slice(0, -1) : partial);
      partial = "";
    }
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      split(decoder.decode(value, { stream: true }), false);
    }
    split(decoder.decode(), true);
  } finally {
    reader.releaseLock();
  }
}

function signalNumber(name: Deno.Signal): number {
  const numbers: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGALRM: 14,
    SIGTERM: 15,
  };
  return numbers[name] ?? 0;
}

/** A process group: stopped with SIGTERM then SIGKILL, watched until no live member is left. */
class ProcessTree {
  readonly gone: Promise<void>;
  #pgid: number;
  #graceMs: number;
  #stopping = false;
  #resolve!: () => void;
  #timers: ReturnType<typeof setTimeout>[] = [];

  constructor(pgid: number, graceMs: number) {
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
      if (!groupHasLiveMember(this.#pgid)) return this.#finish();
      this.#watch(Math.min(delayMs * 2, 100));
    }, delayMs));
  }

  #send(signal: Deno.Signal): boolean {
    try {
      Deno.kill(-this.#pgid, signal);
      return true;
    } catch {
      return false; // no process left in the group
    }
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
function groupHasLiveMember(pgid: number): boolean {
  try {
    Deno.kill(-pgid, "SIGCONT");
  } catch {
    return false;
  }
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
