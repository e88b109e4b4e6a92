/**
 * What `run()` does once loaded: name and plan the jobs, set up the
 * session (signals, diagnostics, history, cache), run it, and report.
 *
 * @module
 */

import { parseDuration } from "../duration.ts";
import type { ResolvedJobs } from "../load/resolve.ts";
import type { Job } from "../types.ts";
import { remoteCacheConfig } from "../cache/remote_options.ts";
import { projectRoot } from "../cache/root.ts";
import { join, resolve } from "../deps/path.ts";
import { ignoreStateFolder } from "../state/state_folder.ts";
import { denoDir, grantedEnv } from "./deno_dir.ts";
import { attachCache, type CachePlace, planRun } from "./plan.ts";
import { runSession, type SessionOptions } from "./session.ts";
import { Shutdown } from "./signals.ts";
import type { RunCacheOptions, RunOptions, RunReport } from "./run.ts";

/**
 * Run jobs and everything they depend on (see `run()` in `run.ts`, which
 * names them).
 *
 * @param entries The jobs to run, by name.
 * @param resolved Their specs, dependencies included, and each handle's name.
 * @param options As `run()` takes them.
 * @returns The report.
 * @throws {GatherError} On a cycle, an unknown dependency, or two jobs with one name.
 *
 * @example Usage
 * ```ts
 * import { runNow } from "./_run_now.ts";
 * import { job } from "../job.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const entries = [["one", job(() => 1)]] as const;
 * const report = await runNow(entries, resolveJobs(entries, "run()"), { history: false });
 * assertEquals(report.jobs[0]?.result, 1);
 * ```
 */
export function runNow(
  entries: readonly (readonly [string, Job<unknown>, string?])[],
  { specs, names }: ResolvedJobs,
  options: RunOptions = {},
): Promise<RunReport> {
  const targets = entries.map(([, handle]) => names.get(handle)!);
  const history = options.history === undefined || options.history === false ? undefined : {
    path: options.history === true ? ".gather/history.json" : options.history,
    key: `run():${Deno.mainModule}`,
  };
  // As the CLI does: the emit cache maps JavaScript lines to TypeScript (stall sites, job code).
  const cacheDir = options.cache || options.diagnostics ? denoDir(grantedEnv) : undefined;
  const cache = options.cache
    ? runCache(options.cache === true ? {} : options.cache, cacheDir)
    : undefined;
  const plan = planRun(specs, names, targets, {
    source: "run()",
    ...(history === undefined ? {} : { history }),
  });
  const session: SessionOptions = {};
  if (options.concurrency !== undefined) session.concurrency = options.concurrency;
  if (options.onFailure !== undefined) session.onFailure = options.onFailure;
  if (options.timeout !== undefined) session.timeoutMs = parseDuration(options.timeout);
  if (options.grace !== undefined) session.graceMs = parseDuration(options.grace);
  if (options.signal !== undefined) session.signal = options.signal;
  if (options.forceSignal !== undefined) session.forceSignal = options.forceSignal;
  if (options.onEvent !== undefined) session.onEvent = options.onEvent;
  if (options.diagnostics) {
    const asked = options.diagnostics === true ? {} : options.diagnostics;
    session.diagnostics = {
      stalls: asked.stalls ?? true,
      ...(cacheDir === undefined ? {} : { denoDir: cacheDir }),
      ...(asked.stallThreshold === undefined
        ? {}
        : { stallThresholdMs: parseDuration(asked.stallThreshold) }),
    };
  }
  // Without a signal of the caller's, Ctrl-C would kill the program and leave the jobs'
  // processes (each in its own session, out of the terminal's reach) running.
  const shutdown = options.signal === undefined
    ? new Shutdown(["SIGINT", "SIGTERM", "SIGHUP"])
    : undefined;
  if (shutdown) {
    session.signal = shutdown.interrupt.signal;
    session.forceSignal = options.forceSignal === undefined
      ? shutdown.force.signal
      : AbortSignal.any([options.forceSignal, shutdown.force.signal]);
  }
  const ready = cache
    ? attachCache(plan, specs, cache, "run()").then(() => {
      if (plan.cache) ignoreStateFolder(cache.dir);
    })
    : Promise.resolve();
  return ready.then(() => runSession(plan, session)).finally(() => shutdown?.dispose()).then((
    result,
  ) => ({
    status: result.status,
    // Times in hundredths of a millisecond, as in the events.
    durationMs: hundredths(result.durationMs),
    jobs: result.jobs.map((job) => ({
      ...job,
      ...(job.startMs === undefined ? {} : { startMs: hundredths(job.startMs) }),
      durationMs: hundredths(job.durationMs),
    })),
    counts: result.counts,
    errors: result.errors,
    summary: result.summary,
    diagnostics: result.diagnostics,
  }));
}

function hundredths(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function runCache(options: RunCacheOptions, cacheDir: string | undefined): CachePlace {
  const root = Deno.realPathSync(resolve(options.root ?? projectRoot(Deno.cwd())));
  const asked = typeof options.remote === "string" ? { url: options.remote } : options.remote;
  const remote = asked === false ? undefined : remoteCacheConfig(
    { ...asked, name: "cache.remote of run()" },
    (name) => Deno.env.get(name),
  );
  return {
    dir: resolve(options.dir ?? join(root, ".gather", "cache")),
    root,
    taskFile: Deno.mainModule,
    mode: options.force ? "write-only" : "read-write",
    explain: options.explain ?? false,
    ...(remote === undefined ? {} : { remote }),
    // As the CLI does: a job's code is cut out of the emitted JavaScript Deno cached.
    ...(cacheDir === undefined ? {} : { denoDir: cacheDir }),
  };
}
