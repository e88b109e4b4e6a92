/**
 * Starting a command in a new session (its own process group), so the whole
 * tree it starts can be signalled at once: by `posix_spawn` where it works
 * (see `posix_spawn.ts`), else by `Deno.Command` through `setsid(1)`, else
 * with `detached: true`.
 *
 * @module
 */

import {
  type ExitStatus,
  type OutputSink,
  posixKiller,
  posixSpawner,
  SIGNALS,
  type SpawnedChild,
} from "./posix_spawn.ts";

export type { ExitStatus, OutputSink, SpawnedChild };

/** Options of {@linkcode spawnChild}. */
export interface SpawnChildOptions {
  /** The working directory. @default {Deno.cwd()} */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Receives its output, chunk by chunk. */
  onOutput?: OutputSink;
}

/**
 * Start `argv` in a new session, stdin from `/dev/null`, stdout and stderr piped.
 *
 * @param argv The program (looked up on `PATH` unless it holds a `/`) and its arguments.
 * @param options Working directory and extra environment.
 * @returns The child, once started: its pid (also its process group), its exit status and its output.
 * @throws {Deno.errors.NotFound} If the program is not on `PATH`, or `cwd` is not a directory.
 * @throws {Error} With the system's reason if it cannot be started.
 *
 * @example Usage
 * ```ts
 * import { spawnChild } from "./spawn.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const chunks: string[] = [];
 * const onOutput = (chunk: Uint8Array, stream: string) =>
 *   chunks.push(`${stream}: ${new TextDecoder().decode(chunk)}`);
 * const child = await spawnChild(["sh", "-c", "echo hi"], { onOutput });
 * assertEquals(await child.status, { code: 0, signal: null });
 * await child.drained;
 * assertEquals(chunks, ["stdout: hi\n"]);
 * ```
 */
export function spawnChild(
  argv: readonly string[],
  options: SpawnChildOptions = {},
): Promise<SpawnedChild> {
  const program = argv[0]!;
  const path = program.includes("/") ? program : findProgram(program);
  if (path === undefined) {
    return Promise.reject(new Deno.errors.NotFound(`No such file or directory (os error 2)`));
  }
  if (options.cwd !== undefined && !isDirectory(options.cwd)) {
    // Both routes would report it vaguely: a bare ENOENT, or one that names `setsid`.
    return Promise.reject(new Deno.errors.NotFound(`No such working directory "${options.cwd}"`));
  }
  return posixSpawner()?.(path, argv, options) ?? Promise.try(spawnCommand, path, argv, options);
}

const found = new Map<string, string | undefined>();

/**
 * Where `setsid` lives, on Linux. Starting a command through it puts the
 * command in a new session and process group, like `detached: true`, but
 * lets Deno use `posix_spawn`: `detached` makes it fork the whole runtime on
 * the main thread (measured: 3-7 ms per spawn).
 */
const SETSID = Deno.build.os === "linux" ? findProgram("setsid") : undefined;

function spawnCommand(
  path: string,
  argv: readonly string[],
  options: SpawnChildOptions,
): SpawnedChild {
  const [program, ...args] = SETSID === undefined ? [path, ...argv.slice(1)] : [
    SETSID,
    path,
    ...argv.slice(1),
  ];
  const child = new Deno.Command(program!, {
    args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: SETSID === undefined,
  }).spawn();
  return {
    pid: child.pid,
    status: child.status.then((status) => ({
      code: status.signal === null
        ? status.code
        : 128 + (SIGNALS[status.signal as keyof typeof SIGNALS] ?? 0),
      signal: status.signal,
    })),
    drained: Promise.all([
      pump(child.stdout, "stdout", options.onOutput),
      pump(child.stderr, "stderr", options.onOutput),
    ]).then(() => {}),
  };
}

/**
 * Signal every process of a group.
 *
 * @param pgid The group: the pid of the child {@linkcode spawnChild} started.
 * @param signal What to send.
 * @returns Whether the group had a process to receive it.
 *
 * @example Usage
 * ```ts
 * import { signalGroup, spawnChild } from "./spawn.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const child = await spawnChild(["sleep", "30"]);
 * assertEquals(signalGroup(child.pid, "SIGTERM"), true);
 * assertEquals((await child.status).signal, "SIGTERM");
 * await child.drained;
 * assertEquals(signalGroup(child.pid, "SIGTERM"), false);
 * ```
 */
export function signalGroup(pgid: number, signal: "SIGCONT" | "SIGKILL" | "SIGTERM"): boolean {
  const kill = posixKiller();
  if (kill) return kill(-pgid, SIGNALS[signal]);
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false; // no process left in the group
  }
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  name: "stdout" | "stderr",
  sink: OutputSink | undefined,
): Promise<void> {
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    sink?.(next.value, name);
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
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
