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
  loadPosixSpawn,
  type OutputSink,
  type PosixSpawn,
  SIGNALS,
  type SpawnedChild,
} from "./posix_spawn.ts";

import { startWatchdog, type Watchdog } from "./watchdog.ts";
import { MARKER, procStat } from "./escapees.ts";
import { isFolder } from "../file_kind.ts";

export type { ExitStatus, OutputSink };

/** A started child, with the marker its environment (and its descendants') carries. */
export interface MarkedChild extends SpawnedChild {
  /** `GATHER_TREE=<run>.<n>`: finds what it started even outside its group. */
  marker: string;
}

/** Options of {@linkcode Spawner.spawn}. */
export interface SpawnChildOptions {
  /** The working directory. @default {Deno.cwd()} */
  cwd?: string;
  /** Extra environment variables; a `PATH` here is where the program is looked up. */
  env?: Record<string, string>;
  /** Receives its output, chunk by chunk. */
  onOutput?: OutputSink;
}

/** A signal gather sends to a process group. */
export type GroupSignal = "SIGCONT" | "SIGKILL" | "SIGTERM";

/** Starts commands in new sessions and signals their groups; one per run. */
export interface Spawner {
  /** `posix_spawn` through FFI, or `command` (`Deno.Command` through `setsid`). */
  readonly route: "posix_spawn" | "command";
  /**
   * Start `argv` in a new session, stdin from `/dev/null`, stdout and stderr piped.
   *
   * @param argv The program (looked up on the child's `PATH` unless it holds a `/`) and its arguments.
   * @param options Working directory, extra environment, output sink.
   * @returns The child, once started: its pid (also its process group), its exit status and its output.
   * @throws {Deno.errors.NotFound} If the program is not on `PATH`, or `cwd` is not a directory.
   * @throws {Error} With the system's reason if it cannot be started.
   */
  spawn(argv: readonly string[], options?: SpawnChildOptions): Promise<MarkedChild>;
  /**
   * Signal every process of a group.
   *
   * @param pgid The group: the pid of a child this spawner started.
   * @param signal What to send.
   * @returns Whether the group had a process to receive it.
   */
  signalGroup(pgid: number, signal: GroupSignal): boolean;
  /**
   * Signal one process.
   *
   * @param pid The process.
   * @param signal What to send.
   * @returns Whether it was there to receive it.
   */
  signalProcess(pid: number, signal: GroupSignal): boolean;
  /** The process groups started and not yet known to be gone (released). */
  readonly groups: ReadonlySet<number>;
  /**
   * Forget a group: its command ended and no member of it is left.
   *
   * @param pgid The group.
   */
  release(pgid: number): void;
  /** SIGKILL every group not yet released, now: the last resort when gather must end at once. */
  killAll(): void;
  /** Whether orphans below gather become its children (it is a child subreaper). */
  readonly adopting: boolean;
  /**
   * Reap an adopted orphan that has ended (`waitpid(pid, WNOHANG)`), which
   * would stay a zombie until gather exits: never a child this spawner started.
   *
   * @param pid The orphan.
   * @returns Whether it was reaped.
   */
  reap(pid: number): boolean;
  /** The run is over: let its watchdog go. */
  close(): void;
}

/** Options of {@linkcode createSpawner}. */
export interface SpawnerOptions {
  /**
   * `auto`: `posix_spawn` where it works (Linux, glibc, `--allow-ffi`), else
   * `Deno.Command`; `command`: always `Deno.Command`. @default {"command" when
   * GATHER_SPAWN=command is set, else "auto"}
   */
  route?: "auto" | "command";
  /**
   * Make this process a child subreaper, so processes that escape a job's
   * process group are re-parented to it and found when their command ends.
   * A process-wide setting: for a program that owns its process (the CLI).
   * @default {false}
   */
  adoptOrphans?: boolean;
  /**
   * Start a watchdog process with the run's first command, which kills what
   * is left if this process dies without cleaning up (`kill -9`).
   * `posix_spawn` route only. @default {true}
   */
  watchdog?: boolean;
}

/**
 * Make the spawner for a run.
 *
 * @param options Which route.
 * @returns The spawner.
 *
 * @example Usage
 * ```ts
 * import { createSpawner } from "./spawn.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spawner = createSpawner();
 * const chunks: string[] = [];
 * const onOutput = (chunk: Uint8Array, stream: string) =>
 *   chunks.push(`${stream}: ${new TextDecoder().decode(chunk)}`);
 * const child = await spawner.spawn(["sh", "-c", "echo hi"], { onOutput });
 * assertEquals(await child.status, { code: 0, signal: null });
 * await child.drained;
 * assertEquals(chunks, ["stdout: hi\n"]);
 * assertEquals(spawner.signalGroup(child.pid, "SIGTERM"), false); // nothing left in its group
 * ```
 */
export function createSpawner(options: SpawnerOptions = {}): Spawner {
  const route = options.route ?? (Deno.env.get("GATHER_SPAWN") === "command" ? "command" : "auto");
  // Loaded at the first spawn: a run whose jobs start no command never opens libc.
  let posix: PosixSpawn | undefined | null = route === "auto" ? null : undefined;
  let adopting = false;
  const load = () => {
    if (posix === null) {
      posix = loadPosixSpawn();
      adopting = options.adoptOrphans === true && posix !== undefined && posix.adoptOrphans();
    }
    return posix;
  };
  const groups = new Set<number>();
  const run = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  let count = 0;
  let watchdog: Promise<Watchdog | undefined> | undefined;
  let closed = false;
  const watch = () => {
    const loaded = load();
    return loaded && options.watchdog !== false
      ? watchdog ??= startWatchdog(loaded, `${MARKER}=${run}.`)
      : undefined;
  };
  return {
    get route() {
      return load() ? "posix_spawn" : "command";
    },
    spawn: async (argv, spawnOptions = {}) => {
      const dog = await watch();
      const marker = `${MARKER}=${run}.${++count}`;
      const child = await spawnChild(load(), argv, { ...spawnOptions, marker });
      groups.add(child.pid);
      dog?.started(child.pid);
      return Object.assign(child, { marker });
    },
    signalGroup: (pgid, signal) => signalGroup(load(), pgid, signal),
    signalProcess: (pid, signal) => signalGroup(load(), -pid, signal),
    groups,
    release: (pgid) => {
      if (groups.delete(pgid)) watchdog?.then((dog) => dog?.gone(pgid));
    },
    killAll: () => {
      for (const pgid of groups) signalGroup(load(), pgid, "SIGKILL");
    },
    get adopting() {
      load();
      return adopting;
    },
    reap: (pid) => load()?.reap(pid) ?? false,
    close: () => {
      if (closed) return;
      closed = true;
      watchdog?.then((dog) => dog?.close());
    },
  };
}

function spawnChild(
  posix: PosixSpawn | undefined,
  argv: readonly string[],
  options: SpawnChildOptions & { marker: string },
): Promise<SpawnedChild> {
  const program = argv[0]!;
  const path = program.includes("/")
    ? program
    : findProgram(program, options.env?.["PATH"] ?? Deno.env.get("PATH"));
  if (path === undefined) {
    return Promise.reject(new Deno.errors.NotFound(`No such file or directory (os error 2)`));
  }
  if (options.cwd !== undefined && !isFolder(options.cwd)) {
    // Both routes would report it vaguely: a bare ENOENT, or one that names `setsid`.
    return Promise.reject(new Deno.errors.NotFound(`No such working directory "${options.cwd}"`));
  }
  return posix?.spawn(path, argv, options) ?? Promise.try(spawnCommand, path, argv, options);
}

/**
 * Through `Deno.Command`. On Linux it goes through `setsid(1)`, which puts
 * the command in a new session and process group like `detached: true` but
 * lets Deno use `posix_spawn`: `detached` makes it fork the whole runtime on
 * the main thread (measured: 3-7 ms per spawn). `setsid(1)` makes its own
 * group only once it runs: the spawn resolves once it has, so that the
 * group can be signalled (a job stopped at once stops its command).
 */
async function spawnCommand(
  path: string,
  argv: readonly string[],
  options: SpawnChildOptions & { marker: string },
): Promise<SpawnedChild> {
  const at = options.marker.indexOf("=");
  const env = { ...options.env, [options.marker.slice(0, at)]: options.marker.slice(at + 1) };
  const setsid = Deno.build.os === "linux"
    ? findProgram("setsid", Deno.env.get("PATH"))
    : undefined;
  const [program, ...args] = setsid === undefined
    ? [path, ...argv.slice(1)]
    : [setsid, path, ...argv.slice(1)];
  const child = new Deno.Command(program!, {
    args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: setsid === undefined,
  }).spawn();
  if (setsid !== undefined) await leadsItsGroup(child.pid, child.status);
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

/** Resolves once `pid` leads its own process group, or has ended (bounded: a second). */
async function leadsItsGroup(pid: number, status: Promise<unknown>): Promise<void> {
  let ended = false;
  status.then(() => ended = true, () => ended = true);
  for (let tries = 0; tries < 1000 && !ended; tries++) {
    const stat = procStat(pid);
    if (stat === undefined || stat.pgrp === pid || stat.state === "Z") return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function signalGroup(posix: PosixSpawn | undefined, pgid: number, signal: GroupSignal): boolean {
  if (posix) return posix.kill(-pgid, SIGNALS[signal]);
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

/**
 * The full path of a program on a `PATH`: the first executable file of that
 * name, as `execvp` would find it. Looked up at each spawn (a few `stat`s),
 * so a job's own `PATH` and a `PATH` changed mid-run are honoured.
 */
function findProgram(name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? "/usr/bin:/bin").split(":")) {
    try {
      const candidate = `${dir || "."}/${name}`;
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
