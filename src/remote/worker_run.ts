/**
 * One coordinator's run, as a worker holds it: its task file loaded from the
 * worker's checkout (and checked against the coordinator's hash), a cache in
 * front of an in-process runner (as in a local run, storing every job it
 * runs and uploading it to the shared cache), and the jobs of the run this
 * worker is running. A job's dependencies are restored from the shared cache
 * before it runs, and its key must be the coordinator's: a checkout of
 * another commit refuses the job rather than build something else.
 *
 * @module
 */

import { decodeValue, encodeValue, UnstorableError } from "../cache/codec.ts";
import type { RemoteCacheConfig } from "../cache/remote_client.ts";
import type { CachingRunner } from "../cache/runner.ts";
import { explain, type KeyParts } from "../cache/key.ts";
import { prepareCache } from "../cache/setup.ts";
import type { JobRun } from "../engine/runner.ts";
import { InProcessRunner } from "../engine/runners/in_process.ts";
import type { JobScope } from "../engine/scope.ts";
import { GatherError } from "../errors.ts";
import { errorInfo, type EventSink, type GatherEvent } from "../events.ts";
import type { TaskFile } from "../load/task_file.ts";
import type { Spawner } from "../process/spawn.ts";
import type { JobSpec } from "../types.ts";
import type { JobMessage, ResultMessage } from "./protocol.ts";

/** What a worker's runs share. */
export interface WorkerRunEnv {
  /** The worker's name. */
  worker: string;
  /** The worker's project root (absolute). */
  root: string;
  /** The local cache folder. */
  cacheDir: string;
  /** The shared cache's settings from the worker's environment (token, key; its own URL, if any). */
  remote: (message: JobMessage) => RemoteCacheConfig;
  /** Tracks which job runs the current code. */
  scope: JobScope;
  /** Starts the jobs' commands. */
  spawner: Spawner;
  /** Aborting it kills every process tree at once. */
  forceSignal: AbortSignal;
  /** Deno's cache directory (the task file's emitted code is part of the keys). */
  denoDir?: string | undefined;
  /** Sends a job's events to its coordinator. */
  forward: (run: string, job: string, events: GatherEvent[]) => void;
  /** Events that belong to no job this worker runs (the cache's warnings): the worker's own output. */
  aside: EventSink;
}

/** A job this worker runs, and how and why it stops, if it is told to. */
interface Running {
  run: JobRun | undefined;
  events: GatherEvent[];
  stop: "cancel" | "release" | undefined;
  reason?: string;
}

/** The largest encoded result a worker sends back, in characters (a NATS message takes 1 MiB). */
const MAX_RESULT_CHARS = 768 * 1024;

/** What became of a job: a report for the coordinator, or `released` (give it back to the queue). */
export type JobEnd = ResultMessage | "released";

/**
 * A run this worker serves.
 *
 * @example Usage
 * ```ts ignore
 * const run = await WorkerRun.open(message, env, await loadTaskFile("tasks.ts"));
 * const end = await run.execute(message); // a report for the coordinator, or "released"
 * await run.close();
 * ```
 */
export class WorkerRun {
  readonly id: string;
  /** Set once the coordinator cancelled the whole run. */
  cancelled = false;
  #env: WorkerRunEnv;
  #tasks: TaskFile;
  #cache: CachingRunner;
  #running = new Map<string, Running>();
  /** The jobs whose declarations the cache has checked (and whose globs it holds). */
  #checked = new Set<string>();
  /** The remote cache's warnings in this run (said once each): why an upload failed. */
  #cacheWarnings: string[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(id: string, env: WorkerRunEnv, tasks: TaskFile, cache: CachingRunner) {
    this.id = id;
    this.#env = env;
    this.#tasks = tasks;
    this.#cache = cache;
  }

  /**
   * Set up a run from its first job's message.
   *
   * @param message The job.
   * @param env What the worker's runs share.
   * @param tasks The task file, loaded (the worker loads each once).
   * @returns The run.
   */
  static async open(message: JobMessage, env: WorkerRunEnv, tasks: TaskFile): Promise<WorkerRun> {
    const specs = [...tasks.specs.values()];
    // Only the job and its dependencies, as the coordinator checks its run's jobs: another job
    // of the task file, not in this run, cannot make the worker refuse this one.
    const needed = closure(tasks, message.job);
    const cache = await prepareCache(specs, needed, {
      dir: env.cacheDir,
      root: env.root,
      taskFile: tasks.url,
      mode: "write-only", // the coordinator found no entry: run the job and store it
      denoDir: env.denoDir,
      remote: env.remote(message),
    }, `"${message.taskFile}"`);
    if (cache === undefined) {
      throw new GatherError("TASK_FILE_INVALID", `"${message.taskFile}" has no cached job here`);
    }
    const run = new WorkerRun(message.run, env, tasks, cache);
    for (const spec of needed) run.#checked.add(spec.name);
    const emit: EventSink = (event) => run.#route(event);
    const inProcess = new InProcessRunner({
      scope: env.scope,
      spawner: env.spawner,
      emit: cache.tap(emit),
      nameOf: (handle) => tasks.names.get(handle),
      graceMs: message.graceMs,
      forceSignal: env.forceSignal,
      ...(message.timeoutMs === undefined ? {} : { timeoutMs: message.timeoutMs }),
    });
    cache.wrap(inProcess, emit);
    return run;
  }

  /** How many of its jobs this worker is running. */
  get busy(): number {
    return this.#running.size;
  }

  /** Whether this worker runs a job of this name for this run. */
  has(job: string): boolean {
    return this.#running.has(job);
  }

  /**
   * Run one job: restore its dependencies, check its key, run it, share its entry.
   *
   * @param message The job.
   * @param ran Called when the job's function has settled (its entry may still be uploading).
   * @returns The report for the coordinator, or `released` when the worker is stopping.
   */
  async execute(message: JobMessage, ran: () => void = () => {}): Promise<JobEnd> {
    const running: Running = { run: undefined, events: [], stop: undefined };
    this.#running.set(message.job, running);
    try {
      return await this.#execute(message, running, ran);
    } finally {
      this.#flush(message.job);
      this.#running.delete(message.job);
    }
  }

  /**
   * Stop jobs: `cancel` (the coordinator asked: report them cancelled) or
   * `release` (this worker is stopping: give them back to the queue).
   *
   * @param how Which.
   * @param reason Why, for the jobs' signals (and the worker's line for each cancelled job).
   * @param jobs Which jobs; all of them when absent.
   */
  stop(how: "cancel" | "release", reason: string, jobs?: readonly string[]): void {
    for (const [name, running] of this.#running) {
      if (jobs !== undefined && !jobs.includes(name)) continue;
      running.reason ??= reason;
      running.stop ??= how;
      running.run?.cancel(new GatherError("CANCELLED", `Job "${name}" was cancelled: ${reason}`));
    }
  }

  /** Stop waiting for cancelled jobs. */
  force(): void {
    for (const running of this.#running.values()) running.run?.force();
  }

  /** The run is over here: write the cache's index back, finish uploads, keep the cache under its cap. */
  async close(): Promise<void> {
    clearTimeout(this.#flushTimer);
    await this.#cache.drain();
    await this.#cache.finish();
  }

  async #execute(message: JobMessage, running: Running, ran: () => void): Promise<JobEnd> {
    const worker = this.#env.worker;
    const base = { job: message.job, worker, attempts: 0 };
    const refuse = (why: string): ResultMessage => ({ ...base, outcome: "refused", message: why });
    const fallback = (why: string): ResultMessage => ({
      ...base,
      outcome: "fallback",
      message: why,
    });
    const spec = this.#tasks.specs.get(message.job);
    if (spec?.cache === undefined) {
      return refuse(`its "${message.taskFile}" has no cached job "${message.job}"`);
    }
    const deps = new Map<string, unknown>();
    for (const dep of message.deps) {
      if (!this.#tasks.specs.has(dep.name)) return refuse(`its task file has no job "${dep.name}"`);
    }
    // A later job of the run: its own declarations and its dependencies', checked once.
    const unchecked = closure(this.#tasks, message.job).filter((s) => !this.#checked.has(s.name));
    try {
      this.#cache.check(unchecked, `"${message.taskFile}"`);
    } catch (error) {
      if (!(error instanceof GatherError)) throw error;
      return refuse(error.message);
    }
    for (const checked of unchecked) this.#checked.add(checked.name);
    // The dependencies' entries, restored at once (each may be a download).
    const missing = await Promise.all(message.deps.map(async (dep) => {
      if (!("key" in dep)) return void deps.set(dep.name, decodeValue(dep.result));
      const restored = await this.#cache.restoreKey(this.#tasks.specs.get(dep.name)!, dep.key);
      if (restored !== undefined) return void deps.set(dep.name, restored.result);
      const cause = this.#cache.whyMissing(dep.key);
      return `the entry of its dependency "${dep.name}" (${dep.key.slice(0, 12)}) ${
        cause === undefined
          ? "is not in the shared cache here"
          : `could not be restored here: ${cause}`
      }`;
    }));
    const why = missing.find((reason) => reason !== undefined);
    if (why !== undefined) {
      // Signed with another key than this worker's: marking the job local is no fix.
      return { ...fallback(why), ...(why.includes("signature") ? { cause: "signature" } : {}) };
    }
    if (running.stop !== undefined) return this.#stopped(message, running, 0);
    const input = { deps };
    const parts = await this.#cache.parts(spec, input);
    if (typeof parts === "string") return refuse(`its key cannot be computed here: ${parts}`);
    const key = await this.#cache.key(spec, parts);
    if (key !== message.key) {
      const why = message.parts === undefined
        ? "its inputs, code or environment differ"
        : explain(message.parts as KeyParts, parts).replace(
          /^no cache entry.*$/,
          "the key differs for a reason not in its parts",
        );
      return refuse(
        `its cache key in this checkout differs from the coordinator's (on ${worker}: ${why}): run workers in checkouts of the same commit, with the same gather, Deno and values of the job's env variables`,
      );
    }
    if (running.stop !== undefined) return this.#stopped(message, running, 0);
    const run = running.run = this.#cache.start(spec, input);
    const settlement = await run.settled;
    ran();
    if (running.stop !== undefined) return this.#stopped(message, running, settlement.attempts);
    const ended = { ...base, attempts: settlement.attempts };
    if (settlement.ignoredCancellation) Object.assign(ended, { ignoredCancellation: true });
    if (settlement.status === "failed") {
      return { ...ended, outcome: "failed", error: errorInfo(settlement.error!) };
    }
    if (settlement.status === "cancelled") {
      return { ...ended, outcome: "cancelled", error: errorInfo(settlement.error!) };
    }
    const changed = this.#cache.changedWhileRunning(spec.name);
    if (changed !== undefined) {
      // Its entry was not stored (see the warning): the coordinator runs it in its own checkout.
      return fallback(`its ${changed} changed while it ran there, so it was not cached`);
    }
    const unstored = this.#cache.notStored(spec.name);
    if (unstored !== undefined) {
      // What it read could not be told (its depfile): the coordinator runs it, and says why.
      return fallback(`it was not cached there (${unstored.replace(/^not cached: /, "")})`);
    }
    let result: string;
    try {
      result = encodeValue(settlement.result);
    } catch (error) {
      if (!(error instanceof UnstorableError)) throw error;
      return {
        ...ended,
        outcome: "unstorable",
        message: `it returned a value that cannot travel between machines (${error.message})`,
      };
    }
    if (result.length > MAX_RESULT_CHARS) {
      return {
        ...ended,
        outcome: "unstorable",
        message: `its result is too large to send back (${result.length} characters encoded)`,
      };
    }
    if (!await this.#cache.share(spec.name)) {
      return {
        ...ended,
        outcome: "failed",
        error: errorInfo(
          new GatherError(
            "COMMAND_FAILED",
            `Job "${spec.name}" ran on ${worker}, but its entry could not be uploaded to the shared cache (${
              this.#cacheWarnings.join("; ") || "see the worker's warnings"
            }), so its outputs could not reach other machines`,
            { job: spec.name },
          ),
        ),
      };
    }
    return { ...ended, outcome: "ok", result };
  }

  #stopped(message: JobMessage, running: Running, attempts: number): JobEnd {
    if (running.stop === "release") return "released";
    return {
      job: message.job,
      worker: this.#env.worker,
      outcome: "cancelled",
      attempts,
      ...(running.reason === undefined ? {} : { message: running.reason }),
    };
  }

  /**
   * Take an event of one of this run's jobs (console output captured in a job, say).
   *
   * @param event The event.
   */
  deliver(event: GatherEvent): void {
    this.#route(event);
  }

  /** A job's events go to its coordinator in batches; anything else is the worker's own. */
  #route(event: GatherEvent): void {
    if (
      event.type === "warning" && event.message.startsWith("remote cache") &&
      this.#cacheWarnings.length < 3
    ) {
      this.#cacheWarnings.push(event.message);
    }
    const job = "job" in event ? event.job : undefined;
    const running = job === undefined ? undefined : this.#running.get(job);
    if (running === undefined || event.type === "job:cache") {
      if (event.type === "warning" || event.type === "diagnostic") this.#env.aside(event);
      return;
    }
    // Its warnings are of this checkout: said here too, as well as at the coordinator.
    if (event.type === "warning") this.#env.aside(event);
    running.events.push(event);
    if (running.events.length >= 200) this.#flush(job!);
    else {this.#flushTimer ??= setTimeout(() => {
        this.#flushTimer = undefined;
        for (const name of this.#running.keys()) this.#flush(name);
      }, 25);}
  }

  #flush(job: string): void {
    const running = this.#running.get(job);
    if (running === undefined || running.events.length === 0) return;
    this.#env.forward(this.id, job, running.events.splice(0));
  }
}

/** A job of the task file and every job it depends on, directly or not. */
function closure(tasks: TaskFile, name: string): JobSpec[] {
  const found = new Map<string, JobSpec>();
  const visit = (at: string) => {
    const spec = tasks.specs.get(at);
    if (spec === undefined || found.has(at)) return;
    found.set(at, spec);
    for (const dep of spec.deps) visit(dep);
  };
  visit(name);
  return [...found.values()];
}
