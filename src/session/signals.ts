/**
 * Turns the signals that stop a run into an orderly shutdown: the first one
 * cancels the run, the second stops waiting and kills what is left.
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import { dieBySignal } from "../process/raise.ts";
import { SIGNALS } from "../process/posix_spawn.ts";

/**
 * Every signal whose default action ends a process and that a Deno program
 * may catch on Linux. Left out, on purpose: SIGKILL and SIGSTOP (no program
 * can catch them); SIGILL, SIGFPE, SIGSEGV (Deno refuses them); SIGBUS,
 * SIGSYS, SIGTRAP and SIGABRT (faults and aborts of the process itself,
 * where a handler that returns would run the faulting code again); SIGPIPE
 * (Deno ignores it, so it never ends gather, and a listener would turn every
 * write to a closed pipe into a shutdown); SIGPROF (V8's profiler uses it).
 */
export const STOP_SIGNALS = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
  "SIGALRM",
  "SIGVTALRM",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGIO",
  "SIGPWR",
  "SIGSTKFLT",
] as const;

/** A signal that stops a run. */
export type StopSignal = typeof STOP_SIGNALS[number];

/** The signals whose default action also writes a core file. */
const CORE_SIGNALS: ReadonlySet<StopSignal> = new Set(["SIGQUIT", "SIGXCPU", "SIGXFSZ"]);

/**
 * The exit code of a process ended by a signal, as shells report it.
 *
 * @param signal The signal.
 * @returns 128 + its number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
 *
 * @example Usage
 * ```ts
 * import { signalExitCode } from "./signals.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(signalExitCode("SIGHUP"), 129);
 * ```
 */
export function signalExitCode(signal: StopSignal): number {
  return 128 + SIGNALS[signal];
}

/**
 * Listens for the signals that stop a run while it lasts.
 *
 * @example Usage
 * ```ts
 * import { Shutdown } from "./signals.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const shutdown = new Shutdown(["SIGINT", "SIGTERM", "SIGHUP"]);
 * assertEquals(shutdown.interrupt.signal.aborted, false);
 * shutdown.dispose();
 * ```
 */
export class Shutdown {
  /** Aborted by the first signal: cancel the run. */
  readonly interrupt: AbortController = new AbortController();
  /** Aborted by the second signal: stop waiting, kill what is left. */
  readonly force: AbortController = new AbortController();
  #stoppedBy: StopSignal | undefined;
  #removers: (() => void)[];
  #signalsForce = true;

  /**
   * Start listening.
   *
   * @param signals Which signals stop the run. @default {STOP_SIGNALS}
   */
  constructor(signals: readonly StopSignal[] = STOP_SIGNALS) {
    this.#removers = signals.flatMap((signal) => {
      const listener = () => {
        if (this.#stoppedBy === undefined) this.request("interrupt", signal);
        else if (this.#signalsForce) this.request("force", signal);
      };
      try {
        Deno.addSignalListener(signal, listener);
      } catch {
        return []; // not a signal of this system (SIGPWR, SIGSTKFLT off Linux)
      }
      return [() => Deno.removeSignalListener(signal, listener)];
    });
  }

  /**
   * Stop as a signal would, told by another process (watch mode's
   * supervisor, which owns the signals): `interrupt` cancels the run,
   * `force` stops waiting. Asking twice for the same thing does nothing.
   *
   * @param level What to do.
   * @param signal The signal it stands for: the exit status follows it.
   */
  request(level: "interrupt" | "force", signal: StopSignal): void {
    if (this.#stoppedBy === undefined) {
      this.#stoppedBy = signal;
      this.interrupt.abort(new GatherError("CANCELLED", `interrupted by ${signal}`));
    }
    if (level === "force" && !this.force.signal.aborted) {
      this.force.abort(new GatherError("CANCELLED", `${signal} again: stopping now`));
    }
  }

  /**
   * Whether a second signal stops waiting. A process under a supervisor
   * that forwards every signal turns this off: the terminal's Ctrl-C reaches
   * it too, and one keypress must not count twice.
   */
  set signalsForce(value: boolean) {
    this.#signalsForce = value;
  }

  /** The signal that stopped the run, if one did. */
  get stoppedBy(): StopSignal | undefined {
    return this.#stoppedBy;
  }

  /** Stop listening: once no listener is left, Deno gives each signal its default action back. */
  dispose(): void {
    for (const remove of this.#removers) remove();
    this.#removers = [];
  }

  /**
   * After cleanup, end this process by the signal that stopped the run, as a
   * well-behaved program does, so the shell that started it sees a death by
   * that signal and stops its script (bash's wait-and-cooperative-exit).
   * Signals that would write a core file (SIGQUIT, SIGXCPU, SIGXFSZ) are not
   * raised again: the process exits with 128 + n instead. Stops listening.
   *
   * @param exit Ends the process with a code, if the signal does not (it is ignored, say).
   * @returns Only if `exit` does.
   */
  async exitBySignal(exit: (code: number) => never): Promise<never> {
    const signal = this.#stoppedBy ?? "SIGINT";
    this.dispose();
    if (!CORE_SIGNALS.has(signal)) {
      // The default action back and the signal raised, through libc: Deno keeps its own handler
      // for some signals even with no listener left.
      dieBySignal(signal);
      // Without FFI: Deno gives a signal its default action back once its listeners are
      // dropped, which it finishes on the event loop: give it turns, and send the signal again.
      try {
        for (let attempt = 0; attempt < 10; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, attempt === 0 ? 0 : 50));
          Deno.kill(Deno.pid, signal);
        }
      } catch {
        // cannot signal itself: exit with the code
      }
    }
    return exit(signalExitCode(signal));
  }
}

/**
 * What `work` gives, or `undefined` as soon as `signal` aborts, whichever
 * comes first: for work that cannot be cancelled (a task file's import), so
 * that a stop does not wait for it.
 *
 * @typeParam T What the work gives.
 * @param work The work.
 * @param signal Stops the wait.
 * @returns The work's value, or `undefined` when stopped first.
 *
 * @example Usage
 * ```ts
 * import { untilStopped } from "./signals.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const stop = new AbortController();
 * const never = new Promise<number>(() => {});
 * const waiting = untilStopped(never, stop.signal);
 * stop.abort();
 * assertEquals(await waiting, undefined);
 * assertEquals(await untilStopped(Promise.resolve(1), stop.signal), undefined);
 * assertEquals(await untilStopped(Promise.resolve(2), new AbortController().signal), 2);
 * ```
 */
export function untilStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Let a signal that came while synchronous code held the event loop (a task
 * file's top-level busy loop, or the import itself) reach its listeners now,
 * before anything starts. Deno hands a signal over from the event loop, and
 * not on every turn: measured on Deno 2.9, after a long synchronous stretch
 * one message-port round trip always let it through (50 of 50), while one
 * timer turn did not (2 of 16 missed) and turns for file I/O mostly did not.
 * The first round trip in a process costs ~3 ms of CPU (message ports are set
 * up), later ones ~0.3 ms; two timer turns took ~6 ms on a loaded machine.
 *
 * @returns When the loop has turned.
 *
 * @example Usage
 * ```ts
 * import { Shutdown, signalsDelivered } from "./signals.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const shutdown = new Shutdown(["SIGINT"]);
 * const until = Date.now() + 20;
 * while (Date.now() < until) continue; // a Ctrl-C now would wait for the loop to turn
 * await signalsDelivered();
 * assertEquals(shutdown.stoppedBy, undefined); // no Ctrl-C came
 * shutdown.dispose();
 * ```
 */
export async function signalsDelivered(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  try {
    await new Promise((resolve) => {
      port1.onmessage = resolve;
      port2.postMessage(0);
    });
  } finally {
    port1.close();
  }
}
