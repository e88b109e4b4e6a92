/**
 * The `gather` command once its arguments are parsed: load the task file,
 * list, draw or dry-run it, or run it in a session with the chosen reporter.
 * Everything it needs from the process (streams, terminal, environment,
 * signals) is given; it returns the exit code and never exits.
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import type { SyncWriter } from "../reporters/output.ts";
import type { OutputFailure } from "../reporters/reporter.ts";
import type { TerminalSize } from "../reporters/tty.ts";
import { projectRoot, realPath } from "../cache/root.ts";
import { isGatherError } from "../errors.ts";
import { ignoreStateFolder } from "../state/state_folder.ts";
import { dirname, fromFileUrl, join, resolve } from "../deps/path.ts";
import { attachCache, type CachePlace, planRun } from "../session/plan.ts";
import { guardExit } from "../session/exit_guard.ts";
import { childrenOf, killTreesNow } from "../process/children.ts";
import {
  type Shutdown,
  signalExitCode,
  signalsDelivered,
  untilStopped,
} from "../session/signals.ts";
import { VERSION } from "../version.ts";
import { parseSize } from "./size.ts";
import { EXIT } from "./exit_codes.ts";
import { type CliOptions, DEFAULT_LOG_DIR, HELP } from "./options.ts";
import { loadProject, type Project } from "./project.ts";
import { lazy } from "../lazy.ts";
import { printTo, warnTo } from "./print.ts";
import { loadOutputToStderr } from "./load_output.ts";

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
  /** The command line as given (watch mode starts its child with it). @default {[]} */
  args?: readonly string[];
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
export async function runCli(given: CliOptions, env: CliEnv): Promise<number> {
  let options = given;
  const loadStart = performance.now();
  const print = (text: string): number => printTo(env.stdout, env.stderr, text);
  if (options.mode === "help") return print(HELP);
  if (options.mode === "version") return print(`gather ${VERSION}\n`);
  const { shutdown } = env;
  if (options.watch) return await watch(options, env);
  // A run's modules load while the task file does; a listing does not load them.
  const modules = options.mode === "run" ? runModules() : undefined;
  modules?.catch(() => {}); // awaited below; a task file that fails to load must not leave it unhandled
  // The task file's top-level code may end gather with Deno.exit(): not without a word, and not
  // leaving what it started running (gather itself starts no process before the run).
  const restoreExit = guardExit(undefined, (code) => {
    env.stderr.writeSync(
      new TextEncoder().encode(
        `gather: task file "${options.file}" called Deno.exit(${
          code ?? ""
        }) while loading: stopped without running anything\n`,
      ),
    );
    killTreesNow(childrenOf(Deno.pid));
  });
  // What its top-level code prints goes to stderr: stdout carries the listing or the events.
  const restoreOutput = loadOutputToStderr(env.stderr);
  const project = await untilStopped(
    loadProject(options, Deno.cwd(), env.env),
    shutdown.interrupt.signal,
  ).finally(() => {
    restoreOutput();
    restoreExit();
  });
  // A signal that came while the task file's top-level code held the event loop (a busy loop) is
  // handed over only once the loop turns: after a slow load, let it, and stop before anything
  // starts. A quick load does not pay for the turn (~3 ms): a signal in its last instants
  // cancels the run just after it starts instead.
  const slowLoad = performance.now() - loadStart > SLOW_LOAD_MS;
  if (project !== undefined && slowLoad) await signalsDelivered();
  if (project === undefined || shutdown.interrupt.signal.aborted) {
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
  options = project.options;
  for (const line of project.warnings ?? []) warn(env, `gather: warning: ${line}`);
  if (project.idle !== undefined) {
    env.stderr.writeSync(new TextEncoder().encode(project.idle));
    return EXIT.ok;
  }
  if (project.listing !== undefined) return print(project.listing);
  if (options.mode === "list") {
    return print((await inspectModule()).listJobs(project.specs, project.defaults));
  }
  // deno.json tasks keep gather's state at the workspace root, wherever gather starts; a task
  // file keeps it in the folder gather runs in, which --cwd moves as cd would.
  const stateDir = project.taskFile === undefined ? project.configRoot ?? "." : options.cwd ?? ".";
  const historyPath = join(stateDir, ".gather", "history.json");
  if (stateDir !== "." && options.logDir === DEFAULT_LOG_DIR) {
    options = { ...options, logDir: join(stateDir, DEFAULT_LOG_DIR) };
  }
  const cache = cachePlace(options, project, env.denoDir);
  const source = project.source;
  const plan = planRun(project.specs, project.names, project.targets, {
    source,
    ...(options.history ? { history: { path: historyPath, key: project.historyKey } } : {}),
  });
  if (cache && plan.graph.jobs.some((spec) => spec.cache !== undefined)) {
    await attachCache(plan, project.specs, cache, source);
    if (plan.cache) ignoreStateFolder(cache.dir);
  }
  // A run says it among its events; --graph and --dry-run, here.
  const historyOff = plan.history?.warning;
  if (options.mode !== "run" && historyOff) warn(env, `gather: warning: ${historyOff}`);
  if (options.mode === "graph") return print((await inspectModule()).graphToDot(plan.graph));
  if (options.mode === "dry-run") {
    const warn = (message: string) =>
      env.stderr.writeSync(new TextEncoder().encode(`gather: warning: ${message}\n`));
    const { dryRun } = await inspectModule();
    return print(await dryRun(plan.graph, options.concurrency, plan.cache, warn));
  }

  // Output that cannot be written: a closed pipe on the reporter's stream means nobody is
  // listening, and cancels the run; anything else (a full disk) is said at the end.
  const failures: OutputFailure[] = [];
  const readerGone = new AbortController();
  const onOutputError = (failure: OutputFailure) => {
    failures.push(failure);
    if (failure.output !== "events" && failure.output !== "progress") return;
    if (failure.error instanceof Deno.errors.BrokenPipe) {
      readerGone.abort(
        new GatherError("CANCELLED", `${failure.target} was closed: nobody is reading the output`),
      );
    }
  };
  const { reporterFor, runSession, strictFailure } = await (modules ?? runModules());
  const reporter = (await makeReporter(reporterFor, options, env, onOutputError))();
  const result = await runSession(plan, {
    concurrency: options.concurrency,
    onFailure: options.onFailure,
    graceMs: options.graceMs,
    signal: AbortSignal.any([shutdown.interrupt.signal, readerGone.signal]),
    forceSignal: shutdown.force.signal,
    reporter,
    adoptOrphans: true,
    stopStrays: true,
    strict: options.strict,
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
        (await lazy<typeof import("../remote/coordinator.ts")>(
          new URL("../remote/coordinator.ts", import.meta.url),
        )).startCoordinator(
          {
            url: options.nats!.url,
            queue: { ackWaitMs: options.nats!.ackWaitMs, maxDeliveries: 3 },
            root: cache.root,
            taskFile: project.taskFile!,
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
  // The report may still be going down a pipe (--summary >(jq .)) whose reader is slow: wait for
  // it, and give up at a signal (a second one, when a signal stopped the run).
  const runStopped = result.status === "cancelled" && shutdown.stoppedBy !== undefined;
  const stop = runStopped ? shutdown.force.signal : shutdown.interrupt.signal;
  await reporter.drain?.(stop);
  for (const failure of failures) warn(env, describeFailure(failure));
  // Stopped while waiting for that reader: gather ends by the signal, as on any other wait.
  if (
    !runStopped && stop.aborted && shutdown.stoppedBy &&
    failures.some((failure) => failure.output === "summary")
  ) {
    return signalExitCode(shutdown.stoppedBy);
  }
  // A signal that came after the run was decided (while the summary was written, say) does not
  // change its outcome: the exit code says what the run's events say.
  if (result.status === "cancelled" && shutdown.stoppedBy) {
    return signalExitCode(shutdown.stoppedBy);
  }
  if (readerGone.signal.aborted) return EXIT.closedPipe;
  if (result.status === "cancelled") return EXIT.SIGINT;
  // The jobs ran, but what the user asked to see or keep is missing.
  if (failures.some((failure) => failure.output !== "logs")) return EXIT.failed;
  // The first failure is a deno.json task's command: its exit code, as deno task gives it.
  const first = result.errors[0];
  const failed = result.jobs.find((job) => job.status === "failed" && job.error === first);
  if (
    result.status === "failed" && failed && project.specs.get(failed.name)?.command !== undefined &&
    isGatherError(first) && first.exitCode !== undefined && first.exitCode !== 0
  ) {
    return first.exitCode;
  }
  if (options.strict && result.errors.length === 0 && result.diagnostics.length > 0) {
    // The jobs succeeded; the diagnostics failed the run (run:end says so too).
    env.stderr.writeSync(
      new TextEncoder().encode(`gather: ${strictFailure(result.diagnostics.length)}\n`),
    );
    return EXIT.failed;
  }
  return result.status === "ok" ? EXIT.ok : EXIT.failed;
}

/** What a run needs beyond loading its jobs: the reporters and the session. */
async function runModules() {
  const [{ reporterFor }, { runSession, strictFailure }] = await Promise.all([
    lazy<typeof import("../reporters/select.ts")>(
      new URL("../reporters/select.ts", import.meta.url),
    ),
    lazy<typeof import("../session/session.ts")>(
      new URL("../session/session.ts", import.meta.url),
    ),
  ]);
  return { reporterFor, runSession, strictFailure };
}

/** `--list`, `--graph` and `--dry-run`. */
function inspectModule() {
  return lazy<typeof import("./inspect.ts")>(new URL("./inspect.ts", import.meta.url));
}

/** A load longer than this may have held the event loop while a signal came. */
const SLOW_LOAD_MS = 100;

/** What builds the reporter the options ask for, its modules loaded. */
function makeReporter(
  reporterFor: typeof import("../reporters/select.ts").reporterFor,
  options: CliOptions,
  env: CliEnv,
  onOutputError: (failure: OutputFailure) => void,
) {
  return reporterFor(options.reporter, {
    stdout: env.stdout,
    stderr: env.stderr,
    stdoutIsTerminal: env.stdoutIsTerminal,
    stderrIsTerminal: env.stderrIsTerminal,
    env: env.env,
    quiet: options.quiet,
    debug: options.debug,
    size: env.size,
    group: options.group,
    show: options.output,
    summaryFile: options.summaryFile,
    logDir: options.logDir,
    force: options.forceSummary,
    onOutputError,
    beforeLogs: ignoreStateFolder,
  });
}

/** `--watch`: its modules load only then, so other runs do not pay for them at start-up. */
async function watch(options: CliOptions, given: CliEnv): Promise<number> {
  // Each run's reporter writes to the streams as they are now: the watch child then routes what
  // jobs write to Deno.stdout/stderr into their logs, and must not take the reporter's writes
  // for theirs.
  const env = {
    ...given,
    stdout: { writeSync: given.stdout.writeSync.bind(given.stdout) },
    stderr: { writeSync: given.stderr.writeSync.bind(given.stderr) },
  };
  const [{ runWatch }, { reporterFor }] = await Promise.all([
    lazy<typeof import("../watch/watch.ts")>(new URL("../watch/watch.ts", import.meta.url)),
    runModules(),
  ]);
  const reporter = await makeReporter(reporterFor, options, env, () => {});
  const maxSize = env.env("GATHER_CACHE_MAX_SIZE");
  return await runWatch({
    file: options.file,
    load: async () => {
      const restoreOutput = loadOutputToStderr(env.stderr);
      const project = await loadProject(options, Deno.cwd(), env.env).finally(restoreOutput);
      for (const line of project.warnings ?? []) warn(env, `gather: warning: ${line}`);
      const cache = cachePlace(project.options, project, env.denoDir);
      const root = cache?.root ?? realPath(rootOf(options, project));
      if (cache) ignoreStateFolder(cache.dir);
      return {
        specs: project.specs,
        names: project.names,
        targets: project.targets,
        source: project.source,
        taskFile: project.taskFile,
        configs: project.configs ?? [],
        root,
        cache,
      };
    },
    debounceMs: options.watch!.debounceMs,
    concurrency: options.concurrency,
    onFailure: options.onFailure,
    graceMs: options.graceMs,
    timeoutMs: options.timeoutMs,
    cacheMaxBytes: maxSize ? parseSize(maxSize) : undefined,
    reporter,
    diagnostics: {
      stalls: options.diagnostics,
      stallThresholdMs: options.stallThresholdMs,
      ...(env.denoDir === undefined ? {} : { denoDir: env.denoDir }),
    },
    shutdown: env.shutdown,
    print: (text) => warn(env, text.replace(/\n$/, "")),
  }, { args: env.args ?? [], env: env.env });
}

/** The project root: `--root`, else the folder of the nearest deno.json above the task file. */
function rootOf(options: CliOptions, project: Project): string {
  if (options.cache.root !== undefined) return resolve(options.cache.root);
  const taskUrl = project.taskFile;
  if (taskUrl !== undefined && taskUrl.startsWith("file:")) {
    return projectRoot(dirname(fromFileUrl(taskUrl)));
  }
  return project.configRoot ?? Deno.cwd();
}

/** Where and how the run uses the cache, from the options and where the jobs come from. */
function cachePlace(
  options: CliOptions,
  project: Project,
  denoDir: string | undefined,
): CachePlace | undefined {
  if (!options.cache.enabled) return undefined;
  const taskUrl = project.taskFile;
  if (taskUrl !== undefined && !taskUrl.startsWith("file:")) return undefined;
  const root = options.cache.root !== undefined
    ? resolve(options.cache.root)
    : taskUrl !== undefined
    ? projectRoot(dirname(fromFileUrl(taskUrl)))
    : project.configRoot!;
  const place: CachePlace = {
    dir: options.cache.dir !== undefined
      ? resolve(options.cache.dir)
      : join(root, ".gather", "cache"),
    root: realPath(root),
    mode: options.mode === "dry-run" ? "dry" : options.cache.force ? "write-only" : "read-write",
    explain: options.cache.explain,
    denoDir,
    ...(options.cache.remote === undefined ? {} : { remote: options.cache.remote }),
  };
  if (taskUrl !== undefined) place.taskFile = taskUrl;
  return place;
}

/** One line on stderr; nothing if stderr itself cannot be written. */
function warn(env: CliEnv, line: string): void {
  warnTo(env.stderr, line);
}

/** What could not be written, in one line. */
function describeFailure({ output, target, error }: OutputFailure): string {
  const why = error instanceof Deno.errors.BrokenPipe ? "it was closed" : error.message;
  switch (output) {
    case "events":
      return error instanceof Deno.errors.BrokenPipe
        ? `gather: stdout was closed, nobody is reading the events: the run was cancelled`
        : `gather: could not write the JSON events to stdout: ${why}`;
    case "progress":
      return `gather: could not write the progress to stderr: ${why}`;
    case "summary":
      return `gather: could not write the summary to "${target}": ${why}`;
    case "logs":
      return `gather: warning: per-job logs in "${target}" were skipped from then on: ${why}`;
  }
}
