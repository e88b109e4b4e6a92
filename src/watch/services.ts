/**
 * Services across the runs of watch mode. A service is started by a run, but
 * it is owned by the host: when the run no longer needs it, the run's view of
 * it ends (`ok`, `running`) and the service keeps running, so the next run's
 * jobs use it as it is. It is restarted (the old process tree stopped and
 * gone first) when its inputs or its dependencies changed, and stopped when
 * watch mode ends. One that stops on its own between runs is not restarted
 * (a service that keeps crashing would rerun its users forever): the next
 * run reports it, and the run after that, on a change, starts it again.
 *
 * @module
 */

import type { JobInput, JobRun, JobRunner } from "../engine/runner.ts";
import { GatherError, isGatherError } from "../errors.ts";
import type { JobSpec, Settlement } from "../types.ts";

/** A service the host keeps. */
interface Hosted {
  run: JobRun;
  ready: boolean;
  value: unknown;
  readyPromise: Promise<unknown>;
  /** Settles once its process tree is gone. */
  ended: Promise<Settlement>;
  /** How it ended on its own, when it did. */
  crashed?: Settlement;
  /** gather asked it to stop (a restart, the end of watch mode). */
  stopping: boolean;
  /** It has ended, however. */
  done: boolean;
  /** Its inputs or its dependencies changed: restart it when a run asks for it. */
  stale: boolean;
  /** The run's view of it, while a run uses it. */
  view?: ServiceView | undefined;
}

/**
 * Keeps services running from one run to the next.
 *
 * @example Usage
 * ```ts ignore
 * const host = new ServiceHost(new InProcessRunner({ ... }), (name) => rerun(name));
 * const run = host.start(spec, input, () => !stopping); // a JobRun for the scheduler
 * ```
 */
export class ServiceHost {
  #runner: JobRunner;
  #services = new Map<string, Hosted>();
  #onExit: (name: string, settlement: Settlement) => void;

  /**
   * Construct a host.
   *
   * @param runner Starts the services (an in-process runner of their own, so a run's
   *   `drain()` does not wait for them).
   * @param onExit Told when a service stops on its own while no run uses it.
   */
  constructor(runner: JobRunner, onExit: (name: string, settlement: Settlement) => void) {
    this.#runner = runner;
    this.#onExit = onExit;
  }

  /** The services running now, by name. */
  get running(): string[] {
    return [...this.#services].filter(([, hosted]) => !hosted.done && !hosted.stopping)
      .map(([name]) => name);
  }

  /** The services whose function still runs, by name (those being stopped too). */
  get live(): string[] {
    return [...this.#services].filter(([, hosted]) => !hosted.done).map(([name]) => name);
  }

  /**
   * A service's inputs or dependencies changed: it restarts when a run next asks for it.
   *
   * @param name The service.
   */
  invalidate(name: string): void {
    const hosted = this.#services.get(name);
    if (hosted) hosted.stale = true;
  }

  /**
   * Whether a run may use the service as it is (ready, not stale, not ended).
   *
   * @param name The service.
   * @returns `true` when it keeps running.
   */
  reusable(name: string): boolean {
    const hosted = this.#services.get(name);
    return hosted !== undefined && hosted.ready && !hosted.stale && !hosted.stopping &&
      !hosted.done;
  }

  /**
   * Whether the service stopped on its own since the last run: the next run
   * reports it rather than starting it again (unless it changed).
   *
   * @param name The service.
   * @returns `true` when the next run only reports it.
   */
  stoppedOnItsOwn(name: string): boolean {
    const hosted = this.#services.get(name);
    return hosted?.crashed !== undefined && !hosted.stale;
  }

  /**
   * A run starts a service: the running one, or a new one (the old one stopped first).
   *
   * @param spec The service.
   * @param input Its dependencies' results.
   * @param keeping Whether a cancellation now keeps the service when it is ready and unchanged
   *   (a rerun, a failure elsewhere); not on Ctrl-C or a reload.
   * @returns The run's view of it.
   */
  start(spec: JobSpec, input: JobInput, keeping: () => boolean): JobRun {
    const hosted = this.#services.get(spec.name);
    if (hosted?.crashed !== undefined && !hosted.stale) {
      // It stopped on its own since the last run: this run reports it, the next starts it again.
      this.#services.delete(spec.name);
      return settledRun(hosted.crashed);
    }
    if (hosted !== undefined && this.reusable(spec.name)) {
      return new ServiceView(hosted, keeping, true);
    }
    const view = new ServiceView(undefined, keeping, false);
    this.#replace(spec, input, view);
    return view;
  }

  /** Stop every service and wait until their process trees are gone. */
  async stopAll(): Promise<void> {
    const all = [...this.#services.values()];
    for (const hosted of all) this.#stop(hosted);
    await Promise.all(all.map((hosted) => hosted.ended));
    this.#services.clear();
    await this.#runner.drain?.();
  }

  async #replace(spec: JobSpec, input: JobInput, view: ServiceView): Promise<void> {
    const old = this.#services.get(spec.name);
    if (old !== undefined) {
      // The old process tree is gone before the new one starts: no "address already in use".
      this.#stop(old);
      await old.ended;
      if (this.#services.get(spec.name) === old) this.#services.delete(spec.name);
    }
    if (view.cancelled !== undefined) return view.end(cancelledBeforeStart(view.cancelled));
    const run = this.#runner.start(spec, input);
    const hosted: Hosted = {
      run,
      ready: false,
      value: undefined,
      readyPromise: run.ready ?? new Promise(() => {}),
      ended: run.settled,
      stopping: false,
      done: false,
      stale: false,
      view,
    };
    this.#services.set(spec.name, hosted);
    hosted.readyPromise.then((value) => {
      hosted.ready = true;
      hosted.value = value;
    });
    run.settled.then((settlement) => {
      hosted.done = true;
      if (this.#services.get(spec.name) === hosted && !hosted.stopping) {
        if (hosted.view === undefined) {
          hosted.crashed = betweenRuns(settlement);
          this.#onExit(spec.name, settlement);
        } else {
          this.#services.delete(spec.name);
        }
      }
      hosted.view?.end(settlement);
    });
    view.attach(hosted);
  }

  #stop(hosted: Hosted): void {
    if (hosted.stopping) return;
    hosted.stopping = true;
    if (hosted.run.stop) hosted.run.stop();
    else hosted.run.cancel(new Error("watch mode stopped the service"));
  }
}

/**
 * What a run's scheduler holds for a service: ready when the service is,
 * ended when the run no longer needs it (the service keeps running), or when
 * the service itself ends (a crash fails the run's jobs that use it).
 */
class ServiceView implements JobRun {
  readonly settled: Promise<Settlement>;
  readonly ready: Promise<unknown>;
  cancelled: Error | undefined;
  #hosted: Hosted | undefined;
  #keeping: () => boolean;
  #reused: boolean;
  #settle!: (settlement: Settlement) => void;
  #resolveReady!: (value: unknown) => void;
  #done = false;

  constructor(hosted: Hosted | undefined, keeping: () => boolean, reused: boolean) {
    this.#keeping = keeping;
    this.#reused = reused;
    this.settled = new Promise((resolve) => this.#settle = resolve);
    this.ready = new Promise((resolve) => this.#resolveReady = resolve);
    if (hosted !== undefined) this.attach(hosted);
  }

  attach(hosted: Hosted): void {
    this.#hosted = hosted;
    hosted.view = this;
    hosted.readyPromise.then((value) => this.#resolveReady(value));
    // A reused service that already ended between the check and now.
    if (hosted.crashed !== undefined) this.end(hosted.crashed);
  }

  /** The run no longer needs it: its part ends, and it keeps running. */
  stop(): void {
    const hosted = this.#hosted;
    if (hosted === undefined || !hosted.ready) return this.cancel(new Error("not ready"));
    this.end({
      status: "ok",
      result: hosted.value,
      attempts: this.#reused ? 0 : 1,
      ignoredCancellation: false,
      cache: this.#reused ? "hit" : "off",
      running: true,
    });
  }

  cancel(reason: Error): void {
    const hosted = this.#hosted;
    if (hosted === undefined) {
      this.cancelled ??= reason;
      return;
    }
    // A rerun or a failure elsewhere keeps a ready service that nothing changed; Ctrl-C,
    // a reload and changes to it stop it.
    if (this.#keeping() && hosted.ready && !hosted.stale) return this.stop();
    hosted.stopping = true;
    hosted.run.cancel(reason);
  }

  force(): void {
    this.#hosted?.run.force();
  }

  end(settlement: Settlement): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#hosted?.view === this) this.#hosted.view = undefined;
    this.#settle(settlement);
  }
}

/** A service that stopped while no run used it: its error says so, not "while it was needed". */
function betweenRuns(settlement: Settlement): Settlement {
  const error = settlement.error;
  if (!isGatherError(error) || error.code !== "SERVICE_EXITED") return settlement;
  const message = error.message.replace(
    " while it was needed:",
    " while no job needed it (the next change starts it again):",
  );
  return {
    ...settlement,
    error: new GatherError("SERVICE_EXITED", message, {
      ...(error.job === undefined ? {} : { job: error.job }),
      ...(error.cause === undefined ? {} : { cause: error.cause }),
    }),
  };
}

function settledRun(settlement: Settlement): JobRun {
  return { settled: Promise.resolve(settlement), cancel: () => {}, force: () => {} };
}

function cancelledBeforeStart(reason: Error): Settlement {
  return { status: "cancelled", error: reason, attempts: 0, ignoredCancellation: false };
}
