/**
 * Starting a command in a new session through glibc's `posix_spawn`, by FFI.
 *
 * `Deno.Command` cannot put a child in a new process group cheaply: its
 * `detached` option forks the whole runtime on the main thread (3-7 ms per
 * spawn measured here), and going through `setsid(1)` costs a second `exec`
 * (about 0.8 ms of CPU per command). `posix_spawn` with `POSIX_SPAWN_SETSID`
 * does it in the one `vfork`+`exec`, as ninja does with
 * `POSIX_SPAWN_SETPGROUP`. The spawn, and one `poll` per child on its pipes
 * and its pidfd, run on Deno's blocking thread pool (FFI calls marked
 * `nonblocking`), off the event loop.
 *
 * Linux with glibc only, and only with `--allow-ffi`; {@linkcode loadPosixSpawn}
 * returns `undefined` elsewhere, and callers fall back to `Deno.Command`.
 *
 * @module
 */

/** How a child ended. */
export interface ExitStatus {
  /** The exit code, or 128 + n when killed by signal n. */
  code: number;
  /** The signal's name when killed by one, else `null`. */
  signal: string | null;
}

/** A started child process. */
export interface SpawnedChild {
  /** Its process id, which is also its process group and session id. */
  pid: number;
  /** Settles when it has exited and been reaped. */
  status: Promise<ExitStatus>;
  /** Settles when both its output pipes have reached their end. */
  drained: Promise<void>;
}

/** Receives a chunk of a child's output; the bytes are valid only during the call. */
export type OutputSink = (chunk: Uint8Array, stream: "stdout" | "stderr") => void;

/** What a spawn needs beyond argv. */
export interface SpawnOptions {
  /** The working directory. */
  cwd?: string;
  /** Variables added to (or replacing those of) gather's own environment. */
  env?: Record<string, string>;
  /** Where its output goes. */
  onOutput?: OutputSink;
  /** `NAME=value` added to its environment, which its descendants inherit: how gather finds them. */
  marker?: string;
  /** A file descriptor of gather's to read its stdin from. @default {/dev/null} */
  stdinFd?: number;
}

/**
 * Starts `path` with `argv` in a new session, or returns `undefined` when too
 * many children are live for the blocking pool; throws `Error` with the OS's
 * reason when the command cannot start.
 */
export type Spawner = (
  path: string,
  argv: readonly string[],
  options: SpawnOptions,
) => Promise<SpawnedChild> | undefined;

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const O_CLOEXEC = 0o2000000;
const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const F_SETFL = 4;
/** Room for glibc's `posix_spawnattr_t` (336 bytes), `posix_spawn_file_actions_t` (80) and `sigset_t` (128). */
const OPAQUE_BYTES = 512;
const CHUNK_BYTES = 16 * 1024;
/**
 * A live child holds a thread of Deno's blocking pool (512 threads) for its
 * `poll`, two while it starts; past this many, children go through
 * `Deno.Command`, so the pool always has room.
 */
const MAX_LIVE = 128;

const SYMBOLS = {
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  sigemptyset: { parameters: ["buffer"], result: "i32" },
  sigfillset: { parameters: ["buffer"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  waitpid_blocking: {
    name: "waitpid",
    parameters: ["i32", "buffer", "i32"],
    result: "i32",
    nonblocking: true,
  },
  syscall: { parameters: ["i64", "i64", "i64"], result: "i64" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  environ: { type: "pointer" },
} as const;

type Libc = Omit<Deno.DynamicLibrary<typeof SYMBOLS>["symbols"], "environ"> & {
  /** Where libc keeps its `environ` pointer. */
  environ: Deno.UnsafePointerView;
};

/**
 * Linux's signal numbers, all 31 standard ones (the same on x86-64 and arm64;
 * SIGIOT, SIGPOLL and SIGUNUSED are other names of 6, 29 and 31). Real-time
 * signals 34 to 64 are named `SIGRTMIN+n` by {@linkcode decodeStatus}.
 */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(SIGNALS).map(([name, number]) => [number, name]),
);

/** Sends a signal (by number) to a process, or to a group when `pid` is negative. */
export type Killer = (pid: number, signal: number) => boolean;

/** The `posix_spawn` route: a spawner and libc's `kill`. */
export interface PosixSpawn {
  /** Starts a command in a new session. */
  spawn: Spawner;
  /**
   * libc's `kill`, which reports a missing process by its result rather than
   * by throwing (`Deno.kill` builds an error with a stack: 30 µs per call).
   */
  kill: Killer;
  /**
   * Make gather a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`): a
   * process orphaned below it (a daemon that left its group and whose parent
   * exited) becomes gather's child, not init's, so it can be found.
   *
   * @returns Whether the system agreed.
   */
  adoptOrphans(): boolean;
  /**
   * Collect the exit of a child that has ended (`waitpid(pid, WNOHANG)`), so
   * it leaves no zombie: for an orphan gather adopted, which nothing else
   * waits for. Never for a child this route or `Deno.Command` started.
   *
   * @param pid The child.
   * @returns Whether it was reaped.
   */
  reap(pid: number): boolean;
  /**
   * A pipe whose write end gather keeps (close-on-exec, non-blocking) and
   * whose read end a child can take as its stdin.
   *
   * @returns Its read end, and a function that writes a line to it.
   */
  pipe(): {
    readFd: number;
    writeLine: (line: string) => boolean;
    closeRead: () => void;
    closeWrite: () => void;
  };
}

/**
 * Load the `posix_spawn` route, or `undefined` where it cannot work: not
 * Linux, no glibc, or no FFI permission. The caller keeps what it returns for
 * the run; loading again costs a `dlopen` of a library already loaded.
 *
 * @returns The spawner and killer.
 *
 * @example Usage
 * ```ts
 * import { loadPosixSpawn } from "./posix_spawn.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const posix = loadPosixSpawn();
 * let text = "";
 * const decoder = new TextDecoder();
 * const onOutput = (chunk: Uint8Array) => text += decoder.decode(chunk);
 * const child = await posix?.spawn("/bin/sh", ["sh", "-c", "echo hi; exit 3"], { onOutput });
 * if (child) {
 *   assertEquals((await child.status).code, 3);
 *   await child.drained;
 *   assertEquals(text, "hi\n");
 *   assertEquals(posix!.kill(Deno.pid, 0), true);
 * }
 * ```
 */
export function loadPosixSpawn(): PosixSpawn | undefined {
  return load();
}

function load(): PosixSpawn | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
    const library = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    const libc = { ...library, environ: new Deno.UnsafePointerView(library.environ!) };
    const sigmask = new Uint8Array(OPAQUE_BYTES);
    const sigdefault = new Uint8Array(OPAQUE_BYTES);
    libc.sigemptyset(sigmask);
    libc.sigfillset(sigdefault);
    let live = 0;
    const spawner: Spawner = (path, argv, options) => {
      if (live >= MAX_LIVE) return undefined;
      live++;
      const child = spawn(libc, { sigmask, sigdefault }, path, argv, options);
      child.then((started) => started.status, () => {}).finally(() => live--);
      return child;
    };
    return {
      spawn: spawner,
      kill: (pid, signal) => libc.kill(pid, signal) === 0,
      adoptOrphans: () => libc.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) === 0,
      reap: (pid) => libc.waitpid(pid, new Int32Array(1), WNOHANG) === pid,
      pipe: () => {
        const fds = new Int32Array(2);
        if (libc.pipe2(fds, O_CLOEXEC) !== 0) throw new Error("Cannot create a pipe");
        const [readFd, writeFd] = [fds[0]!, fds[1]!];
        // Never block gather on a slow reader: a line that does not fit is dropped.
        libc.fcntl(writeFd, F_SETFL, O_NONBLOCK);
        return {
          readFd,
          writeLine: (line) => {
            const bytes = encoder.encode(line + "\n");
            return Number(libc.write(writeFd, bytes, BigInt(bytes.length))) === bytes.length;
          },
          closeRead: () => void libc.close(readFd),
          closeWrite: () => void libc.close(writeFd),
        };
      },
    };
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();

async function spawn(
  libc: Libc,
  signals: { sigmask: Uint8Array; sigdefault: Uint8Array },
  path: string,
  argv: readonly string[],
  options: SpawnOptions,
): Promise<SpawnedChild> {
  const stdout = new Int32Array(2);
  const stderr = new Int32Array(2);
  if (libc.pipe2(stdout, O_CLOEXEC) !== 0) throw new Error("Cannot create a pipe");
  if (libc.pipe2(stderr, O_CLOEXEC) !== 0) {
    libc.close(stdout[0]!);
    libc.close(stdout[1]!);
    throw new Error("Cannot create a pipe");
  }
  // Everything the call reads: kept referenced until it returns on its thread.
  const call = {
    pid: new Int32Array(1),
    path: cString(path),
    devNull: cString("/dev/null"),
    cwd: options.cwd === undefined ? undefined : cString(options.cwd),
    args: cStrings(argv),
    envp: options.env === undefined ? currentEnvironment(libc, options.marker) : withEnvironment(
      options.marker === undefined ? options.env : { ...options.env, ...marked(options.marker) },
    ),
    actions: new Uint8Array(OPAQUE_BYTES),
    attributes: new Uint8Array(OPAQUE_BYTES),
  };
  libc.posix_spawn_file_actions_init(call.actions);
  libc.posix_spawnattr_init(call.attributes);
  let error: number;
  try {
    if (options.stdinFd === undefined) {
      libc.posix_spawn_file_actions_addopen(call.actions, 0, call.devNull, O_RDONLY, 0);
    } else {
      libc.posix_spawn_file_actions_adddup2(call.actions, options.stdinFd, 0);
    }
    libc.posix_spawn_file_actions_adddup2(call.actions, stdout[1]!, 1);
    libc.posix_spawn_file_actions_adddup2(call.actions, stderr[1]!, 2);
    if (call.cwd) libc.posix_spawn_file_actions_addchdir_np(call.actions, call.cwd);
    libc.posix_spawnattr_setsigmask(call.attributes, signals.sigmask);
    libc.posix_spawnattr_setsigdefault(call.attributes, signals.sigdefault);
    libc.posix_spawnattr_setflags(
      call.attributes,
      POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK,
    );
    // On the blocking pool: posix_spawn returns only once the child has called exec.
    error = await libc.posix_spawn(
      call.pid,
      call.path,
      call.actions,
      call.attributes,
      call.args.pointers,
      call.envp,
    );
  } finally {
    libc.posix_spawn_file_actions_destroy(call.actions);
    libc.posix_spawnattr_destroy(call.attributes);
    libc.close(stdout[1]!);
    libc.close(stderr[1]!);
  }
  if (error !== 0) {
    libc.close(stdout[0]!);
    libc.close(stderr[0]!);
    const reason = Deno.UnsafePointerView.getCString(libc.strerror(error)!);
    throw new Error(`${reason} (os error ${error})`);
  }
  return watch(libc, call.pid[0]!, stdout[0]!, stderr[0]!, options.onOutput);
}

const SYS_PIDFD_OPEN = 434;
const POLLIN = 1;

/**
 * Follows a child: one `poll` on the blocking pool waits for its two pipes
 * and its pidfd at once (a short command costs one such call, where a read
 * per pipe and a wait would cost three); what `poll` finds ready is read, or
 * reaped, at once on the main thread. Without pidfds (Linux before 5.3), a
 * blocking `waitpid` stands in for the pidfd.
 */
function watch(
  libc: Libc,
  pid: number,
  stdout: number,
  stderr: number,
  onOutput: OutputSink | undefined,
): SpawnedChild {
  const pidfd = Number(libc.syscall(BigInt(SYS_PIDFD_OPEN), BigInt(pid), 0n));
  // Three `struct pollfd { int fd; short events; short revents; }`.
  const fds = new Int32Array(6);
  const events = new Int16Array(fds.buffer);
  [stdout, stderr, pidfd].forEach((fd, i) => {
    fds[i * 2] = fd; // a negative fd is ignored by poll
    events[i * 4 + 2] = POLLIN;
  });
  const word = new Int32Array(1);
  const buffer = new Uint8Array(CHUNK_BYTES);
  let resolveStatus!: (status: ExitStatus) => void;
  let rejectStatus!: (error: Error) => void;
  const status = new Promise<ExitStatus>((resolve, reject) => {
    resolveStatus = resolve;
    rejectStatus = reject;
  });
  if (pidfd < 0) waitBlocking(libc, pid).then(resolveStatus, rejectStatus);
  const reap = () => {
    if (libc.waitpid(pid, word, WNOHANG) === pid) resolveStatus(decodeStatus(word[0]!));
    else rejectStatus(new Error(`Cannot wait for process ${pid}`));
  };
  const drained = (async () => {
    let failures = 0;
    while (fds[0]! >= 0 || fds[2]! >= 0 || fds[4]! >= 0) {
      const ready = await libc.poll(fds, 3n, -1);
      if (ready < 0) {
        if (++failures > 100) throw new Error(`Cannot follow the output of process ${pid}`);
        continue; // interrupted (EINTR)
      }
      for (let i = 0; i < 3; i++) {
        const fd = fds[i * 2]!;
        if (fd < 0 || events[i * 4 + 3] === 0) continue;
        if (i === 2) {
          libc.close(fd);
          fds[4] = -1;
          reap();
          continue;
        }
        const count = Number(libc.read(fd, buffer, BigInt(CHUNK_BYTES)));
        if (count > 0) {
          onOutput?.(buffer.subarray(0, count), i === 0 ? "stdout" : "stderr");
        } else {
          libc.close(fd);
          fds[i * 2] = -1;
        }
      }
    }
  })();
  drained.catch(() => {});
  return { pid, status, drained };
}

async function waitBlocking(libc: Libc, pid: number): Promise<ExitStatus> {
  const status = new Int32Array(1);
  for (let attempt = 0; attempt < 5; attempt++) {
    // -1 is an interrupted wait (EINTR): wait again.
    if (await libc.waitpid_blocking(pid, status, 0) === pid) return decodeStatus(status[0]!);
  }
  throw new Error(`Cannot wait for process ${pid}`);
}

/**
 * Decodes a `waitpid` status word.
 *
 * @param word The status as `waitpid` wrote it.
 * @returns The exit code (128 + n for signal n) and the signal's name.
 *
 * @example Usage
 * ```ts
 * import { decodeStatus } from "./posix_spawn.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(decodeStatus(3 << 8), { code: 3, signal: null });
 * assertEquals(decodeStatus(15), { code: 143, signal: "SIGTERM" });
 * ```
 */
export function decodeStatus(word: number): ExitStatus {
  const signal = word & 0x7f;
  if (signal === 0) return { code: (word >> 8) & 0xff, signal: null };
  return { code: 128 + signal, signal: signalName(signal) };
}

/**
 * The name of a Linux signal number.
 *
 * @param signal The number.
 * @returns `SIGTERM` for 15, `SIGRTMIN+2` for 36, `signal 99` for a number Linux does not have.
 *
 * @example Usage
 * ```ts
 * import { signalName } from "./posix_spawn.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(signalName(31), "SIGSYS");
 * assertEquals(signalName(64), "SIGRTMAX");
 * ```
 */
export function signalName(signal: number): string {
  const known = SIGNAL_NAMES.get(signal);
  if (known !== undefined) return known;
  if (signal === 64) return "SIGRTMAX";
  if (signal >= 34 && signal < 64) return signal === 34 ? "SIGRTMIN" : `SIGRTMIN+${signal - 34}`;
  return `signal ${signal}`;
}

/**
 * A copy of libc's `environ` array, which `Deno.env.set` keeps current. The
 * strings it points to stay valid: glibc's `setenv` never frees one. Copying
 * the array (not passing `environ` itself) keeps the spawn, which reads it on
 * another thread, safe from a `setenv` that moves the array meanwhile.
 */
function currentEnvironment(
  libc: Libc,
  marker: string | undefined,
): BigUint64Array & { strings?: Uint8Array } {
  const array = Deno.UnsafePointer.create(libc.environ.getBigUint64());
  let count = 0;
  const view = array === null ? undefined : new Deno.UnsafePointerView(array);
  while (view !== undefined && view.getBigUint64(count * 8) !== 0n) count++;
  const extra = marker === undefined ? 0 : 1;
  const copy = new BigUint64Array(count + 1 + extra);
  if (view !== undefined) copy.set(new BigUint64Array(view.getArrayBuffer(count * 8)));
  if (marker === undefined) return copy;
  const strings = cString(marker);
  copy[count] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(strings)));
  return Object.assign(copy, { strings });
}

/** A `NAME=value` marker as an environment record. */
function marked(marker: string): Record<string, string> {
  const at = marker.indexOf("=");
  return { [marker.slice(0, at)]: marker.slice(at + 1) };
}

/** Gather's environment with `extra` added, as a NULL-terminated array of C strings. */
function withEnvironment(extra: Record<string, string>): BigUint64Array & { strings: Uint8Array } {
  const env = { ...Deno.env.toObject(), ...extra };
  const { bytes, pointers } = cStrings(
    Object.entries(env).map(([key, value]) => `${key}=${value}`),
  );
  return Object.assign(pointers, { strings: bytes });
}

function cString(text: string): Uint8Array {
  return encoder.encode(text + "\0");
}

/** NUL-terminated strings in one buffer, and a NULL-terminated array of pointers to them. */
function cStrings(texts: readonly string[]): { bytes: Uint8Array; pointers: BigUint64Array } {
  let size = 0;
  for (const text of texts) size += text.length * 3 + 1;
  const bytes = new Uint8Array(size);
  const pointers = new BigUint64Array(texts.length + 1);
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
  let offset = 0;
  texts.forEach((text, i) => {
    pointers[i] = base + BigInt(offset);
    offset += encoder.encodeInto(text, bytes.subarray(offset)).written + 1;
  });
  return { bytes, pointers };
}
