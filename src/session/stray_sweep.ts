/**
 * Processes the jobs started outside gather's machinery (`new
 * Deno.Command(...).spawn()`, `node:child_process`) and left running: found
 * when the run is interrupted and when it ends, stopped like commands
 * (SIGTERM, SIGKILL after the grace period), and reported as `stray-process`
 * diagnostics, under the job that started each one when that is known.
 *
 * @module
 */

import type { JobScope } from "../engine/scope.ts";
import type { DiagnosticEvent, EventSink } from "../events.ts";
import { childrenOf } from "../process/children.ts";
import { SpawnOwners } from "../process/spawn_owners.ts";
import type { StrayProcess } from "../process/strays.ts";
import { lazy } from "../lazy.ts";

/** Options of {@linkcode StraySweep}. */
export interface StraySweepOptions {
  /** Tells which job is running the code that starts a process. */
  scope: JobScope;
  /** Where the diagnostics go. */
  emit: EventSink;
  /** How long SIGTERM gets before SIGKILL, in ms. */
  graceMs: number;
  /** Aborting it sends SIGKILL at once. */
  force?: AbortSignal;
  /** The run's live command groups: gather's own processes. */
  known: () => ReadonlySet<number>;
}

/**
 * When strays are looked for: the run was interrupted, or ended; or one job
 * stopped (timed out, was cancelled, failed), for the processes it started.
 */
export type SweepMoment = "interrupted" | "ended" | { job: string; how: string };

/** What to do about a stray process. */
const HINT =
  "start processes with ctx.sh or ctx.exec, which stop them with their job, or await the process (ctx.spawn for work of your own) and kill it when ctx.signal aborts";

/**
 * Finds, stops and reports the processes jobs left running.
 *
 * @example Usage
 * ```ts
 * import { StraySweep } from "./stray_sweep.ts";
 * import { JobScope } from "../engine/scope.ts";
 * import type { GatherEvent } from "../events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const events: GatherEvent[] = [];
 * const scope = new JobScope();
 * const sweep = new StraySweep({
 *   scope, emit: (event) => events.push(event), graceMs: 1000, known: () => new Set(),
 * });
 * const restore = sweep.watchSpawns();
 * const child = scope.run("serve", () => new Deno.Command("sleep", { args: ["30.25"] }).spawn());
 * restore();
 * await sweep.sweep("ended", (stray) => stray.pid === child.pid);
 * assertEquals((await child.status).signal, "SIGTERM");
 * assertEquals(events.map((event) => event.type === "diagnostic" && event.job), ["serve"]);
 * ```
 */
export class StraySweep {
  #options: StraySweepOptions;
  /** The job that started each process jobs started outside gather's machinery, while it runs. */
  #owners: SpawnOwners;
  #done: Promise<void> = Promise.resolve();
  #ended = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Set the sweep up.
   *
   * @param options The scope, the sink, the grace period.
   */
  constructor(options: StraySweepOptions) {
    this.#options = options;
    this.#owners = new SpawnOwners(() => options.scope.current());
  }

  /**
   * Note which job starts each process while a run lasts: `new
   * Deno.Command(...).spawn()` and `node:child_process` (`output()` waits for
   * its process, so what it leaves is reported without a job).
   *
   * @returns Puts the real `Deno.Command` and `spawn` back, and stops listening.
   */
  watchSpawns(): () => void {
    return this.#owners.watch();
  }

  /**
   * Once `signal` aborts (the run is interrupted), stop the strays, and look
   * again every 50 ms until the run ends: a process comes back to gather
   * when its parent ends (gather being a subreaper).
   *
   * @param signal The run's interrupt.
   * @returns Stops looking.
   */
  sweepOnAbort(signal: AbortSignal): () => void {
    const look = () => {
      if (this.#ended) return;
      this.sweep("interrupted").then(() => {
        if (!this.#ended) this.#timer = setTimeout(look, 50);
      });
    };
    signal.addEventListener("abort", look, { once: true });
    return () => {
      this.#ended = true;
      clearTimeout(this.#timer);
      signal.removeEventListener("abort", look);
    };
  }

  /**
   * The run is ending: stop looking on a timer, and sweep once more.
   *
   * @returns When what was found is gone.
   */
  end(): Promise<void> {
    this.#ended = true;
    clearTimeout(this.#timer);
    return this.sweep("ended");
  }

  /**
   * A run ended while some jobs keep running (watch mode's services): stop
   * and report what the others left running, as a run's end does, and leave
   * the processes the running jobs started to them.
   *
   * @param running The jobs still running.
   * @returns When what was found is gone.
   */
  sweepSettled(running: () => ReadonlySet<string>): Promise<void> {
    return this.sweep("ended", (stray) => {
      const owner = this.#owners.owner(stray.pid);
      return owner === undefined || !running().has(owner);
    });
  }

  /**
   * Stop what the jobs left running, and report it; one sweep at a time.
   *
   * @param when When it is found: the run was interrupted, or has ended.
   * @param only Which strays to look at. @default {all}
   * @returns When what was found is gone.
   */
  sweep(when: SweepMoment, only?: (stray: StrayProcess) => boolean): Promise<void> {
    return this.#done = this.#done.then(() => this.#sweepOnce(when, only));
  }

  /**
   * A job stopped (`how`: "timed out", "was cancelled", "failed"): stop the
   * processes it started without `ctx.sh` that still run, as its commands
   * were stopped, so that a job waiting for one ends too. Nothing to do, and
   * nothing loaded, when it started none that still runs.
   *
   * @param job The job.
   * @param how How it stopped, for the message.
   * @returns When what was found is gone.
   */
  sweepJob(job: string, how: string): Promise<void> {
    const pids = this.#owners.pidsOf(job);
    if (pids.size === 0) return this.#done;
    return this.sweep({ job, how }, (stray) => pids.has(stray.pid));
  }

  async #sweepOnce(
    when: SweepMoment,
    only: ((stray: StrayProcess) => boolean) | undefined,
  ): Promise<void> {
    const { known, graceMs, force, emit } = this.#options;
    // No child at all: nothing to look at, and the modules that look need not load.
    if (childrenOf(Deno.pid).length === 0) return;
    const [{ describeStrays, strayChildren }, { stoppedHow, stopStrays }] = await strayModules();
    const found = strayChildren(known());
    const first = only === undefined ? found : found.filter(only);
    if (first.length === 0) return;
    // Whose each one is, read before stopping them: a stopped child's status settles, which
    // forgets its owner, perhaps before stopStrays() returns.
    const owners = new Map(found.map((stray) => [stray.pid, this.#owners.owner(stray.pid)]));
    const { how, strays } = await stopStrays(first, {
      graceMs,
      known: known(),
      ...(force === undefined ? {} : { force }),
      ...(only === undefined ? {} : { only }),
    });
    const byJob = new Map<string | undefined, StrayProcess[]>();
    for (const stray of strays) {
      const job = owners.get(stray.pid) ?? this.#owners.owner(stray.pid);
      byJob.set(job, [...byJob.get(job) ?? [], stray]);
    }
    for (const [job, list] of byJob) {
      const event: DiagnosticEvent = {
        type: "diagnostic",
        time: Date.now(),
        kind: "stray-process",
        message: message(job, list, when, stoppedHow(how, list.length, graceMs), describeStrays),
        hint: HINT,
      };
      if (job !== undefined) event.job = job;
      emit(event);
    }
  }
}

/**
 * One line on the processes a job (or an unknown one) left running:
 * `Job "serve" started sleep 30 (pid 1234) without ctx.sh, which was still running when the run
 * ended: gather stopped it (SIGTERM)`.
 */
function message(
  job: string | undefined,
  strays: readonly StrayProcess[],
  when: SweepMoment,
  how: string,
  describe: (strays: readonly StrayProcess[]) => string,
): string {
  const moment = when === "interrupted"
    ? "when the run was interrupted"
    : when === "ended"
    ? "when the run ended"
    : `when the job ${when.how}`;
  const still = `${strays.length === 1 ? "was" : "were"} still running ${moment}`;
  const named = describe(strays);
  const whose =
    "a job's or the task file's own process, or one that left a command's group and environment";
  const what = job === undefined
    ? `${named}, not started by ctx.sh or ctx.exec (${whose}), ${still}`
    : `Job "${job}" started ${named} without ctx.sh, which ${still}`;
  return `${what}: gather ${how}`;
}

/** What finds and stops strays: loaded once a sweep has a child to look at. */
function strayModules() {
  return Promise.all([
    lazy<typeof import("../process/strays.ts")>(new URL("../process/strays.ts", import.meta.url)),
    lazy<typeof import("../process/stop_strays.ts")>(
      new URL("../process/stop_strays.ts", import.meta.url),
    ),
  ]);
}
