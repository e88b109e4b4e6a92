/**
 * A fake runner and a fake clock, to test the scheduler exactly and at once:
 * jobs take virtual time, and the test drives the clock from one due event to
 * the next.
 */

import type { Clock } from "../src/engine/clock.ts";
import type { JobInput, JobRun, JobRunner } from "../src/engine/runner.ts";
import type { JobSpec, Settlement } from "../src/types.ts";

/** Virtual time, in ms. */
export class FakeClock implements Clock {
  time = 0;
  now(): number {
    return this.time;
  }
  epochMs(): number {
    return 1_000_000 + this.time;
  }
}

/** How a fake job behaves. */
export interface FakeJob {
  /** How long it runs, in virtual ms. */
  ms: number;
  /** Fail when it ends. */
  fail?: boolean;
  /** What it returns. */
  result?: unknown;
  /** Keep running after cancel() until forced or the grace period ends. */
  ignoresCancel?: boolean;
  /** Ready (its dependents may start) after this long, with `result`. */
  readyAfter?: number;
}

/** A start the runner saw. */
export interface FakeStart {
  name: string;
  at: number;
  deps: JobInput["deps"];
}

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** Runs nothing: settles each job when the clock reaches its end. */
export class FakeRunner implements JobRunner {
  readonly starts: FakeStart[] = [];
  readonly ends: { name: string; at: number; status: string }[] = [];
  running = new Set<string>();
  peak = 0;
  peakByPool = new Map<string, number>();
  #clock: FakeClock;
  #plan: (name: string) => FakeJob;
  #graceMs: number;
  #timers: Timer[] = [];
  #seq = 0;
  #pools = new Map<string, string | undefined>();

  constructor(clock: FakeClock, plan: (name: string) => FakeJob, graceMs = 100) {
    this.#clock = clock;
    this.#plan = plan;
    this.#graceMs = graceMs;
  }

  /** Call `fire` when the clock reaches `at`. */
  at(at: number, fire: () => void): void {
    this.#timers.push({ at, seq: this.#seq++, fire });
  }

  start(spec: JobSpec, input: JobInput): JobRun {
    const clock = this.#clock;
    const plan = this.#plan(spec.name);
    const started = clock.time;
    this.starts.push({ name: spec.name, at: started, deps: input.deps });
    this.running.add(spec.name);
    this.peak = Math.max(this.peak, this.running.size);
    this.#pools.set(spec.name, spec.pool?.name);
    if (spec.pool) {
      const pool = spec.pool.name;
      const inPool = [...this.running].filter((name) => this.#pools.get(name) === pool).length;
      this.peakByPool.set(pool, Math.max(this.peakByPool.get(pool) ?? 0, inPool));
    }
    let done = false;
    let resolveSettled!: (settlement: Settlement) => void;
    const settled = new Promise<Settlement>((resolve) => resolveSettled = resolve);
    const settle = (settlement: Settlement) => {
      if (done) return;
      done = true;
      this.running.delete(spec.name);
      this.ends.push({ name: spec.name, at: clock.time, status: settlement.status });
      resolveSettled(settlement);
    };
    this.at(started + plan.ms, () =>
      settle(
        plan.fail
          ? {
            status: "failed",
            error: new Error(`${spec.name} broke`),
            attempts: 1,
            ignoredCancellation: false,
          }
          : {
            status: "ok",
            result: plan.result ?? spec.name,
            attempts: 1,
            ignoredCancellation: false,
          },
      ));
    let ready: Promise<unknown> | undefined;
    if (plan.readyAfter !== undefined) {
      ready = new Promise((resolve) =>
        this.at(started + plan.readyAfter!, () => resolve(plan.result))
      );
    }
    let cancelled: Error | undefined;
    const run: JobRun = {
      settled,
      cancel: (reason) => {
        if (cancelled) return;
        cancelled = reason;
        const at = plan.ignoresCancel ? clock.time + this.#graceMs : clock.time;
        this.at(at, () =>
          settle({
            status: "cancelled",
            error: reason,
            attempts: 1,
            ignoredCancellation: plan.ignoresCancel === true,
          }));
      },
      force: () => {
        if (!cancelled) return;
        this.at(
          clock.time,
          () =>
            settle({
              status: "cancelled",
              error: cancelled!,
              attempts: 1,
              ignoredCancellation: true,
            }),
        );
      },
    };
    return ready ? { ...run, ready } : run;
  }

  /** Fire every timer due at the earliest time; returns false when none is left. */
  step(): boolean {
    if (this.#timers.length === 0) return false;
    const at = Math.min(...this.#timers.map((t) => t.at));
    this.#clock.time = Math.max(this.#clock.time, at);
    const due = this.#timers.filter((t) => t.at === at).sort((a, b) => a.seq - b.seq);
    this.#timers = this.#timers.filter((t) => t.at !== at);
    for (const timer of due) timer.fire();
    return true;
  }
}

/** Let the scheduler react to everything that settled: microtasks and immediates. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Drive a scheduled run to its end on the fake clock.
 *
 * @param runner The fake runner the run uses.
 * @param run The run's promise.
 * @returns What the run returned.
 */
export async function drive<T>(runner: FakeRunner, run: Promise<T>): Promise<T> {
  let finished = false;
  run.finally(() => finished = true).catch(() => {});
  for (let steps = 0; !finished; steps++) {
    await turn();
    if (finished) break;
    if (!runner.step() && steps > 10_000) throw new Error("the run never ended");
  }
  return await run;
}
