/**
 * One cached job in a run: its key computed, then looked up in the local
 * store and the remote cache, and restored; or run, and stored.
 *
 * @module
 */

import type { JobInput, JobRun } from "../engine/runner.ts";
import type { CacheStatus, JobSpec, Settlement } from "../types.ts";
import type { CachingRunner } from "./runner.ts";
import type { Ahead } from "./_look_ahead.ts";
import { UNKNOWN_UNTIL } from "./_job_keys.ts";
import { GatherError, isGatherError } from "../errors.ts";
import {
  adopt,
  announce,
  fetchRemote,
  find,
  reason,
  remoteHas,
  removePartialOutputs,
  restore,
  save,
} from "./_entries.ts";

/** A cached job in a run: looked up, then restored or run. */
export class CachedRun implements JobRun {
  readonly settled: Promise<Settlement>;
  #cache: CachingRunner;
  #job: JobSpec;
  #run: JobRun | undefined;
  #cancelled: Error | undefined;
  #forced: (() => void) | undefined;
  #ahead: Ahead | undefined;
  /** Aborted when it is cancelled: stops a restore or a store midway. */
  #stop = new AbortController();

  /**
   * Look a job up, then restore or run it.
   *
   * @param cache The cache.
   * @param job The job.
   * @param input Its dependencies' results.
   * @param ahead Its key and remote lookup, when they were made before it started.
   */
  constructor(cache: CachingRunner, job: JobSpec, input: JobInput, ahead?: Ahead) {
    this.#cache = cache;
    this.#job = job;
    this.#ahead = ahead;
    this.settled = this.#settle(input).catch((error) => ({
      status: "failed",
      error: error instanceof Error ? error : new Error(String(error)),
      attempts: 0,
      ignoredCancellation: false,
      cache: "off",
    }));
  }

  cancel(reason: Error): void {
    if (this.#cancelled) return;
    this.#cancelled = reason;
    this.#stop.abort(reason);
    this.#run?.cancel(reason);
  }

  force(): void {
    if (this.#run) this.#run.force();
    else this.#forced?.();
  }

  async #settle(input: JobInput): Promise<Settlement> {
    const cache = this.#cache;
    const job = this.#job;
    const started = performance.now();
    // A dependency's input changed while it ran (said in its warning): this job's key would lie.
    if (cache.afterRace(job)) return this.#runInner(input, "off");
    // Keyed ahead with a dependency's key that is not its final one (it discovered inputs).
    const ahead = this.#ahead?.parts === undefined || cache.aheadHolds(this.#ahead.parts)
      ? this.#ahead
      : undefined;
    const parts = ahead?.parts ?? await cache.parts(job, input);
    if (typeof parts === "string") {
      cache.rememberKey(job, null);
      if (cache.mode === "dry") {
        cache.notes.set(job.name, parts.startsWith(UNKNOWN_UNTIL) ? parts : `runs: ${parts}`);
      } else cache.warnJob(job, `not cached this run: ${parts}`);
      return this.#runInner(input, "off");
    }
    const key = ahead?.key ?? await cache.key(job, parts);
    cache.rememberKey(job, key, parts);
    if (this.#cancelled) return this.#cancelledBeforeStart();
    // Its entry: under its key, or (a job with discovered inputs) under a final key its key's
    // record leads to, which its dependents are keyed with.
    const manifest = cache.mode === "write-only" ? undefined : await find(cache.state, job, key);
    if (manifest !== undefined) {
      cache.rememberKey(job, manifest.key, parts);
      if (cache.mode === "dry") {
        announce(cache.state, job, "hit", manifest.key);
        return withCacheStatus(await this.#runInner(input, "hit"), "hit");
      }
      const hit = await restore(cache.state, job, manifest, "hit", undefined, this.#stop.signal);
      if (hit !== undefined) return hit;
      if (this.#cancelled) return this.#cancelledBeforeStart();
      cache.rememberKey(job, key, parts);
    } else if (cache.mode === "read-write") {
      const remote = await fetchRemote(cache.state, job, key, ahead?.looked ?? null);
      if (this.#cancelled) return this.#cancelledBeforeStart();
      const hit = remote &&
        await restore(
          cache.state,
          job,
          remote.manifest,
          "hit-remote",
          remote.blobs,
          this.#stop.signal,
        );
      if (this.#cancelled && !hit) return this.#cancelledBeforeStart();
      if (hit) {
        cache.rememberKey(job, remote.manifest.key, parts);
        return hit;
      }
    } else if (cache.mode === "dry") {
      const remoteKey = await remoteHas(cache.state, job, key);
      if (remoteKey !== undefined) {
        cache.rememberKey(job, remoteKey, parts);
        announce(cache.state, job, "hit-remote", remoteKey);
        return withCacheStatus(await this.#runInner(input, "hit-remote"), "hit-remote");
      }
    }
    cache.missed();
    const explaining = cache.explaining || cache.mode === "dry";
    announce(
      cache.state,
      job,
      "miss",
      key,
      explaining ? await reason(cache.state, job, parts) : undefined,
    );
    if (cache.mode === "dry") return this.#runInner(input, "miss");
    cache.record(job);
    cache.state.discovery.clearDepfile(job); // one found after it ran is its own
    const startedAt = Date.now();
    const settlement = await this.#runInner(input, "miss");
    if (stoppedMidway(settlement)) removePartialOutputs(cache.state, job, startedAt);
    // A job a worker ran (a distributed run) was stored there: its outputs come from the remote cache.
    if (settlement.worker !== undefined && settlement.status === "ok") {
      const adopted = await adopt(cache.state, job, key, settlement.worker);
      if (adopted === undefined) return withCacheStatus(settlement, "miss");
      // Never "ok" with stale outputs here (nor dependents run on them): it runs again, here.
      const here = cache.inner.startHere;
      if (here === undefined) {
        return {
          status: "failed",
          error: new GatherError("WORKER_LOST", `Job "${job.name}": ${adopted}`, {
            job: job.name,
          }),
          attempts: settlement.attempts,
          ignoredCancellation: false,
          cache: "miss",
        };
      }
      cache.warnJob(job, `${adopted}; it runs again on the coordinator`);
      const again = performance.now();
      cache.record(job); // its log is this run's, not the worker's
      cache.state.discovery.clearDepfile(job); // one found after it ran is its own
      const rerunAt = Date.now();
      const rerun = await this.#runInner(input, "miss", here.bind(cache.inner));
      const status = await save(
        cache.state,
        job,
        key,
        parts,
        rerun,
        performance.now() - again,
        rerunAt,
        this.#stop.signal,
      );
      return withCacheStatus(rerun, status);
    }
    const status = await save(
      cache.state,
      job,
      key,
      parts,
      settlement,
      performance.now() - started,
      startedAt,
      this.#stop.signal,
    );
    return withCacheStatus(settlement, status);
  }

  /** Start the job (in the inner runner, or through `start`) unless cancelled, and wait for it. */
  async #runInner(
    input: JobInput,
    status: CacheStatus,
    start: (job: JobSpec, input: JobInput) => JobRun = (job, input) =>
      this.#cache.inner.start(job, input),
  ): Promise<Settlement> {
    if (this.#cancelled) return this.#cancelledBeforeStart();
    this.#run = start(this.#job, input);
    const settlement = await this.#run.settled;
    if (this.#cache.mode !== "dry") this.#cache.jobRan();
    return withCacheStatus(settlement, status);
  }

  #cancelledBeforeStart(): Settlement {
    return {
      status: "cancelled",
      error: this.#cancelled!,
      attempts: 0,
      ignoredCancellation: false,
      cache: "off",
    };
  }
}

/** Whether a job was stopped while it ran (cancelled, or timed out), not failed on its own. */
function stoppedMidway(settlement: Settlement): boolean {
  if (settlement.attempts === 0 || settlement.worker !== undefined) return false;
  if (settlement.status === "cancelled") return true;
  return settlement.status === "failed" && isGatherError(settlement.error) &&
    settlement.error.code === "TIMEOUT";
}

function withCacheStatus(settlement: Settlement, cache: CacheStatus): Settlement {
  return { ...settlement, cache };
}

/**
 * A job the cache does not handle, its settlement marked with a cache status.
 *
 * @param run The running job.
 * @param cache The status.
 * @param ran Told when it settles: it ran, and may have written files.
 * @returns The same run, marked.
 */
export function withCache(run: JobRun, cache: CacheStatus, ran?: () => void): JobRun {
  const settled = run.settled.then((settlement) => {
    ran?.();
    return withCacheStatus(settlement, cache);
  });
  return {
    settled,
    ...(run.ready === undefined ? {} : { ready: run.ready }),
    ...(run.stop === undefined ? {} : { stop: () => run.stop?.() }),
    cancel: (reason) => run.cancel(reason),
    force: () => run.force(),
  };
}
