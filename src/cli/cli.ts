/**
 * The `gather` command once its arguments are parsed: load the task file,
 * list, draw or dry-run it, or run it in a session with the chosen reporter.
 * Everything it needs from the process (streams, terminal, environment,
 * signals) is given; it returns the exit code and never exits.
 *
 * @module
 */

import { loadTaskFile } from "../load/task_file.ts";
import type { SyncWriter } from "../reporters/output.ts";
import { selectReporter } from "../reporters/select.ts";
import type { TerminalSize } from "../reporters/tty.ts";
import { projectRoot } from "../cache/root.ts";
import { dirname, fromFileUrl, join, resolve } from "../deps/path.ts";
import { attachCache, type CachePlace, planRun } from "../session/plan.ts";
import { runSession } from "../session/session.ts";
import { type Shutdown, signalExitCode } from "../session/signals.ts";
import { VERSION } from "../version.ts";
import { parseSize } from "./size.ts";
import { EXIT } from "./exit_codes.ts";
import { dryRun, graphToDot, listJobs } from "./inspect.ts";
import { type CliOptions, HELP } from "./options.ts";

/** What the command needs from the process it runs in. */
export interface CliEnv {
  /** Data and JSON events go here. */
  stdout: SyncWriter;
  /** Human output goes here. */
  stderr: SyncWriter;
  /** Whether stdout is a terminal. */
  stdoutIsTerminal: boolean;
  /** Whether stderr is a terminal. */
  stderrIsTerminal: boolean;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** The terminal's size, read for every frame. */
  size: () => TerminalSize;
  /** Deno's cache directory, where emitted JavaScript maps back to TypeScript. */
  denoDir: string | undefined;
  /** The signals that stop the run. */
  shutdown: Shutdown;
}

/**
 * Do what the command line asks.
 *
 * @param options The parsed command line.
 * @param env The process around it.
 * @returns The exit code.
 * @throws {GatherError} On a bad task file, an unknown job or a bad path: exit 2.
 *
 * @example Usage
 * ```ts
 * import { runCli } from "./cli.ts";
 * import { parseCli } from "./options.ts";
 * import { Shutdown } from "../session/signals.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const out: string[] = [];
 * const writer = { writeSync: (bytes: Uint8Array) => (out.push(new TextDecoder().decode(bytes)), bytes.length) };
 * const shutdown = new Shutdown();
 * const env = {
 *   stdout: writer, stderr: writer, stdoutIsTerminal: false, stderrIsTerminal: false,
 *   env: () => undefined, size: () => ({ columns: 80, rows: 24 }), denoDir: undefined, shutdown,
 * };
 * assertEquals(await runCli(parseCli(["--version"], () => undefined, 2), env), 0);
 * shutdown.dispose();
 * assertEquals(out.join(""), "gather 0.1.0\n");
 * ```
 */
export async function runCli(options: CliOptions, env: CliEnv): Promise<number> {
  const loadStart = performance.now();
  const print = (text: string): number => {
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length;) at += env.stdout.writeSync(bytes.subarray(at));
    return EXIT.ok;
  };
  if (options.mode === "help") return print(HELP);
  if (options.mode === "version") return print(`gather ${VERSION}\n`);
  const { shutdown } = env;
  const tasks = await untilStopped(loadTaskFile(options.file), shutdown.interrupt.signal);
  if (tasks === undefined) {
    // The task file's top-level code is still running (a wait that never ends, say): an import
    // cannot be cancelled, so gather stops without it.
    const seconds = ((performance.now() - loadStart) / 1000).toFixed(1);
    const why = (shutdown.interrupt.signal.reason as Error).message;
    env.stderr.writeSync(
      new TextEncoder().encode(
        `gather: ${why} while task file "${options.file}" was still loading after ${seconds}s: stopped without running anything\n`,
      ),
    );
    return signalExitCode(shutdown.stoppedBy ?? "SIGINT");
  }
  if (options.mode === "list") return print(listJobs(tasks.specs, tasks.defaults));
  const targets = options.targets.length > 0 ? options.targets : tasks.defaults;
  const cache = cachePlace(options, tasks.url, env.denoDir);
  const source = `"${options.file}"`;
  const plan = planRun(tasks.specs, tasks.names, targets, {
    source,
    ...(options.history ? { history: { path: ".gather/history.json", key: tasks.url } } : {}),
  });
  if (cache) await attachCache(plan, tasks.specs, cache, source);
  if (options.mode === "graph") return print(graphToDot(plan.graph));
  if (options.mode === "dry-run") {
    return print(await dryRun(plan.graph, options.concurrency, plan.cache));
  }

  const reporter = selectReporter(options.reporter, {
    stdout: env.stdout,
    stderr: env.stderr,
    stdoutIsTerminal: env.stdoutIsTerminal,
    stderrIsTerminal: env.stderrIsTerminal,
    env: env.env,
    quiet: options.quiet,
    size: env.size,
    group: options.group,
    show: options.output,
    summaryFile: options.summaryFile,
    logDir: options.logDir,
  });
  const result = await runSession(plan, {
    concurrency: options.concurrency,
    onFailure: options.onFailure,
    graceMs: options.graceMs,
    signal: shutdown.interrupt.signal,
    forceSignal: shutdown.force.signal,
    reporter,
    adoptOrphans: true,
    diagnostics: {
      stalls: options.diagnostics,
      stallThresholdMs: options.stallThresholdMs,
      ...(env.denoDir === undefined ? {} : { denoDir: env.denoDir }),
    },
    captureConsole: {
      // Above the live display, not through it.
      fallback: (text) =>
        reporter.print
          ? reporter.print(text + "\n")
          : env.stderr.writeSync(new TextEncoder().encode(text + "\n")),
    },
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(env.env("GATHER_CACHE_MAX_SIZE")
      ? { cacheMaxBytes: parseSize(env.env("GATHER_CACHE_MAX_SIZE")!) }
      : {}),
    ...(options.nats === undefined || cache?.remote === undefined ? {} : {
      // The NATS client loads only for a distributed run.
      wrapRunner: async (local, emit) =>
        (await import("../remote/coordinator.ts")).startCoordinator(
          {
            url: options.nats!.url,
            queue: { ackWaitMs: options.nats!.ackWaitMs, maxDeliveries: 3 },
            root: cache.root,
            taskFile: tasks.url,
            cache: { url: cache.remote!.url, team: cache.remote!.team },
            force: options.cache.force,
            graceMs: options.graceMs,
            timeoutMs: options.timeoutMs,
          },
          local,
          emit,
          plan.cache,
        ),
    }),
  });
  // A signal that came after the run was decided (while the summary was written, say) does not
  // change its outcome: the exit code says what the run's events say.
  if (result.status === "cancelled") return signalExitCode(shutdown.stoppedBy ?? "SIGINT");
  if (result.status === "ok" && options.strict && result.diagnostics.length > 0) {
    env.stderr.writeSync(
      new TextEncoder().encode(
        `gather: --strict: ${result.diagnostics.length} diagnostic(s) fail the run\n`,
      ),
    );
    return EXIT.failed;
  }
  return result.status === "ok" ? EXIT.ok : EXIT.failed;
}

/** Where and how the run uses the cache, from the options and the task file's place. */
function cachePlace(
  options: CliOptions,
  taskUrl: string,
  denoDir: string | undefined,
): CachePlace | undefined {
  if (!options.cache.enabled || !taskUrl.startsWith("file:")) return undefined;
  const root = options.cache.root !== undefined
    ? resolve(options.cache.root)
    : projectRoot(dirname(fromFileUrl(taskUrl)));
  return {
    dir: options.cache.dir !== undefined
      ? resolve(options.cache.dir)
      : join(root, ".gather", "cache"),
    root: realPath(root),
    taskFile: taskUrl,
    mode: options.mode === "dry-run" ? "dry" : options.cache.force ? "write-only" : "read-write",
    explain: options.cache.explain,
    denoDir,
    ...(options.cache.remote === undefined ? {} : { remote: options.cache.remote }),
  };
}

function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/** What `work` gives, or `undefined` as soon as `signal` aborts, whichever comes first. */
function untilStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
