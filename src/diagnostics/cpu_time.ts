/**
 * How the event loop's thread spent its time, so that a gap between two
 * ticks of the lag monitor is called a stall only when the loop was held by
 * code (running, or blocked in a system call such as `outputSync()`), and not
 * when the process was stopped (Ctrl-Z, SIGSTOP, a debugger) or waiting for
 * a CPU on a loaded machine.
 *
 * On Linux the thread's `/proc/thread-self/schedstat` gives the time it ran
 * and the time it waited, runnable, for a CPU (nanoseconds; reading it costs
 * ~15 µs, once per tick); it is read only when gather has every permission
 * (`-A`), since Deno asks for all of them for `/proc/<pid>/task`. Elsewhere
 * the process's CPU time (`process.cpuUsage()`) stands in, and waiting cannot
 * be told from blocking. A stop ends with SIGCONT, which is listened for.
 *
 * @module
 */

/** The loop's thread's times at one moment, in ms. */
export interface CpuSample {
  /** Time it ran on a CPU (the process's CPU time where the thread's is unknown). */
  runMs: number;
  /** Time it was runnable but waited for a CPU, where known. */
  waitMs?: number;
  /**
   * Time the process's other threads (workers, I/O, the garbage collector's
   * helpers) waited for a CPU, summed, where known; read at most a few ticks
   * before the sample unless it was asked fresh.
   */
  othersWaitMs?: number;
}

/** How long a gap of the lag monitor held the loop, by what the times say. */
export interface HeldTime {
  /** Time the loop's thread ran. */
  runningMs: number;
  /** Time it was neither running nor waiting for a CPU, beyond one idle period (a blocking call, or a stop). */
  blockedMs: number;
  /**
   * Whether it, or the process's other threads together, waited for a CPU for
   * more than a tenth of the gap: the machine was loaded.
   */
  loaded: boolean;
}

/** Reads {@linkcode CpuSample}s and notices when the process was stopped and continued. */
export interface CpuClock {
  /**
   * The times now, or `undefined` if they cannot be read.
   *
   * @param fresh Read the other threads' times now, not a few ticks ago.
   */
  sample(fresh?: boolean): CpuSample | undefined;
  /**
   * Whether the process was continued (SIGCONT) after `time`.
   *
   * @param time A `performance.now()` time.
   */
  resumedAfter(time: number): boolean;
}

const SCHEDSTAT = "/proc/thread-self/schedstat";
/** The other threads' times are read every this many samples (a few reads each time). */
const OTHERS_EVERY = 4;

/**
 * The real clock: schedstat on Linux with every permission, else the
 * process's CPU time; and a SIGCONT listener while started.
 *
 * @example Usage
 * ```ts
 * import { ThreadCpuClock } from "./cpu_time.ts";
 * import { assert } from "@std/assert";
 *
 * const clock = new ThreadCpuClock();
 * clock.start();
 * const before = clock.sample()!;
 * const end = performance.now() + 30;
 * while (performance.now() < end) continue; // busy: the thread runs
 * const after = clock.sample()!;
 * clock.stop();
 * assert(after.runMs > before.runMs);
 * ```
 */
export class ThreadCpuClock implements CpuClock {
  #schedstat: boolean | undefined;
  #samples = 0;
  #othersWaitMs: number | undefined;
  /** node's `process`, for `cpuUsage()` where the thread's times cannot be read; loaded only then (~20 ms). */
  #process: { cpuUsage(): { user: number; system: number } } | undefined;
  #loading = false;
  #resumedAt = -Infinity;
  #onContinue = () => this.#resumedAt = performance.now();
  #listening = false;

  /** Listen for SIGCONT; load the fallback clock if the thread's times cannot be read. */
  start(): void {
    this.#schedstat ??= Deno.build.os === "linux" && allPermissions();
    if (!this.#schedstat) this.#loadProcess();
    try {
      Deno.addSignalListener("SIGCONT", this.#onContinue);
      this.#listening = true;
    } catch {
      // no such signal here (Windows): stops go unnoticed, as stops cannot happen there
    }
  }

  /** Stop listening. */
  stop(): void {
    if (this.#listening) Deno.removeSignalListener("SIGCONT", this.#onContinue);
    this.#listening = false;
  }

  /**
   * The times now.
   *
   * @param fresh Read the other threads' times now, not a few ticks ago.
   * @returns The thread's run and wait times, or the process's CPU time.
   */
  sample(fresh = false): CpuSample | undefined {
    this.#schedstat ??= Deno.build.os === "linux" && allPermissions();
    if (this.#schedstat) {
      try {
        const [run = "", wait = ""] = Deno.readTextFileSync(SCHEDSTAT).split(" ");
        if (fresh || this.#samples++ % OTHERS_EVERY === 0) this.#othersWaitMs = othersWaitMs();
        const times: CpuSample = { runMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
        if (this.#othersWaitMs !== undefined) times.othersWaitMs = this.#othersWaitMs;
        return times;
      } catch {
        this.#schedstat = false;
      }
    }
    if (this.#process === undefined) {
      this.#loadProcess();
      return undefined;
    }
    try {
      const { user, system } = this.#process.cpuUsage();
      return { runMs: (user + system) / 1000 };
    } catch {
      return undefined;
    }
  }

  #loadProcess(): void {
    if (this.#loading) return;
    this.#loading = true;
    import("node:process").then(
      ({ default: process }) => this.#process = process,
      () => {}, // no node compatibility: the process's CPU time stays unknown
    );
  }

  /**
   * Whether a SIGCONT came after `time`.
   *
   * @param time A `performance.now()` time.
   * @returns Whether the process was stopped and continued since.
   */
  resumedAfter(time: number): boolean {
    return this.#resumedAt > time;
  }
}

/**
 * How long a gap held the loop: the time its thread ran, and the time it was
 * neither running nor waiting for a CPU beyond one idle `periodMs` (a call
 * that blocks, or a stop). When the thread itself, or the process's other
 * threads together, waited for a CPU for more than a tenth of the gap, the
 * machine was `loaded`: a thread the loop was blocked on (a lock, a worker
 * starting, an I/O thread) may have been waiting for a CPU. Without
 * the wait time (off Linux), only running counts: waiting cannot be told from
 * blocking there.
 *
 * @param gapMs The time between the two ticks.
 * @param periodMs The monitor's period: the loop may have idled that long.
 * @param before The sample at the first tick.
 * @param after The sample at the second tick.
 * @returns The time the loop ran, and the time it was blocked.
 *
 * @example Usage
 * ```ts
 * import { heldTime } from "./cpu_time.ts";
 * import { assertEquals } from "@std/assert";
 *
 * // 400 ms between ticks, 30 ms of it running, 320 ms waiting for a CPU: a loaded machine.
 * assertEquals(heldTime(400, 50, { runMs: 0, waitMs: 0 }, { runMs: 30, waitMs: 320 }), {
 *   runningMs: 30,
 *   blockedMs: 0,
 *   loaded: true,
 * });
 * // Blocked 300 ms while the other threads waited 200 ms for a CPU: loaded too.
 * assertEquals(
 *   heldTime(400, 50, { runMs: 0, waitMs: 0, othersWaitMs: 0 }, {
 *     runMs: 10,
 *     waitMs: 10,
 *     othersWaitMs: 200,
 *   }).loaded,
 *   true,
 * );
 * ```
 */
export function heldTime(
  gapMs: number,
  periodMs: number,
  before: CpuSample | undefined,
  after: CpuSample | undefined,
): HeldTime {
  if (!before || !after) return { runningMs: gapMs, blockedMs: 0, loaded: false }; // as before
  const runningMs = Math.min(gapMs, Math.max(0, after.runMs - before.runMs));
  if (before.waitMs === undefined || after.waitMs === undefined) {
    return { runningMs, blockedMs: 0, loaded: false };
  }
  const waitingMs = Math.max(0, after.waitMs - before.waitMs);
  const blockedMs = Math.max(0, gapMs - periodMs - runningMs - waitingMs);
  const othersWaitingMs = before.othersWaitMs === undefined || after.othersWaitMs === undefined
    ? 0
    : Math.max(0, after.othersWaitMs - before.othersWaitMs);
  return { runningMs, blockedMs, loaded: Math.max(waitingMs, othersWaitingMs) > gapMs / 10 };
}

/**
 * The time the process's threads other than the loop's waited for a CPU,
 * summed (a thread that ended no longer counts), or `undefined` if it cannot be read.
 */
function othersWaitMs(): number | undefined {
  try {
    let sum = 0;
    for (const entry of Deno.readDirSync("/proc/self/task")) {
      if (entry.name === String(Deno.pid)) continue; // the loop's own thread
      try {
        sum += Number(
          Deno.readTextFileSync(`/proc/self/task/${entry.name}/schedstat`).split(" ")[1],
        );
      } catch {
        // ended meanwhile
      }
    }
    return sum / 1e6;
  } catch {
    return undefined;
  }
}

/** Whether gather runs with every permission (`-A`), which `/proc/<pid>/task` asks for. */
function allPermissions(): boolean {
  const names = ["read", "write", "net", "env", "run", "ffi", "sys"] as const;
  try {
    return names.every((name) => Deno.permissions.querySync({ name }).state === "granted");
  } catch {
    return false;
  }
}
