/**
 * The watch child: load the task file, then run the watch loop. A task file
 * that does not load (a syntax error while it is being edited, an unknown
 * job) does not end watch mode: the child says why, waits for the task file
 * or one of its local imports to change (or an entry to come or go in a
 * folder it listed before it failed), and asks for a new child. While the
 * task file loads, the folders it lists are recorded (`listings.ts`).
 *
 * @module
 */

import { dirname, fromFileUrl, isAbsolute, resolve, toFileUrl } from "../deps/path.ts";
import { isGatherError } from "../errors.ts";
import { localModules } from "../cache/code.ts";
import { projectRoot } from "../cache/root.ts";
import type { JobNames } from "../load/resolve.ts";
import type { Reporter } from "../reporters/reporter.ts";
import { type CachePlace, planRun } from "../session/plan.ts";
import type { SessionDiagnostics } from "../session/session.ts";
import { type Shutdown, signalExitCode, untilStopped } from "../session/signals.ts";
import type { FailurePolicy, JobSpec } from "../types.ts";
import { WatchEnvironment } from "./environment.ts";
import { nearestFolder, WatchedFiles } from "./files.ts";
import { ListedFolders } from "./listed_folders.ts";
import { type Listing, ListingRecorder } from "./listings.ts";
import { WatchLoop } from "./loop.ts";
import { obeySupervisor, readState, RELOAD_EXIT, writeState } from "./protocol.ts";
import { FileWatcher } from "./watcher.ts";

/** The jobs a watch child loads, and where things are. */
export interface WatchProject {
  /** Every job, by name. */
  specs: Map<string, JobSpec>;
  /** Each handle's name. */
  names: JobNames;
  /** What to run. */
  targets: string[];
  /** Where the jobs come from, for messages: a quoted file name. */
  source: string;
  /** The task file's URL, if the jobs come from one (else from deno.json tasks). */
  taskFile?: string | undefined;
  /** The config files the jobs come from (the workspace root's and its members'), absolute. */
  configs?: readonly string[];
  /** The project root (absolute, real): what the inputs' globs are relative to. */
  root: string;
  /** Where and how to use the cache; `undefined` without a cache. */
  cache: CachePlace | undefined;
}

/** What the child needs. */
export interface WatchChildOptions {
  /** The task file, as the user named it (watched for a fix when it does not load). */
  file: string;
  /** Load the jobs (the command line's way: a task file, or deno.json tasks). */
  load: () => Promise<WatchProject>;
  /** The state file the supervisor gave. */
  statePath: string;
  /** Quiet time after a change, in ms. */
  debounceMs: number;
  /** Poll instead of file events (`GATHER_WATCH_POLL=1`). */
  poll: boolean;
  /** Jobs at once. */
  concurrency: number;
  /** The failure policy. */
  onFailure: FailurePolicy;
  /** How long cancelled jobs get to stop, in ms. */
  graceMs: number;
  /** Timeout for jobs that set none, in ms. */
  timeoutMs?: number | undefined;
  /** The cache's size cap. */
  cacheMaxBytes?: number | undefined;
  /** A new reporter, for each run. */
  reporter: () => Reporter;
  /** Diagnostics for each run. */
  diagnostics?: SessionDiagnostics | undefined;
  /** The signals, as the supervisor forwards them. */
  shutdown: Shutdown;
  /** The supervisor's requests. */
  control: ReadableStream<Uint8Array>;
  /** Where errors and `console` output outside jobs go (stderr). */
  print: (text: string) => void;
}

/**
 * Run one watch child.
 *
 * @param options The command line's choices, the streams and the signals.
 * @returns {@linkcode RELOAD_EXIT} for a new child, else the stopping signal's code.
 *
 * @example Usage
 * ```ts ignore
 * const code = await runWatchChild({ file: "tasks.ts", targets: [], statePath, ...choices });
 * if (code === RELOAD_EXIT) { /* the supervisor starts a new child *\/ }
 * ```
 */
export async function runWatchChild(options: WatchChildOptions): Promise<number> {
  const { shutdown } = options;
  obeySupervisor(options.control, shutdown);
  const first = readState(options.statePath) ?? { run: 1, reason: "started", files: [] };
  const url = toFileUrl(isAbsolute(options.file) ? options.file : resolve(options.file)).href;
  const folder = dirname(fromFileUrl(url));
  let loop: WatchLoop | undefined;
  let environment: WatchEnvironment | undefined;
  // The folders the task file lists while it loads (its job list may follow their entries).
  const recorder = new ListingRecorder();
  let listings: Listing[] = [];
  try {
    recorder.start();
    let project: WatchProject | undefined;
    const loadStart = performance.now();
    try {
      project = await untilStopped(options.load(), shutdown.interrupt.signal);
    } finally {
      listings = recorder.stop();
    }
    if (project === undefined) {
      // Its top-level code is still running (a wait that never ends): said as a plain run says it.
      const seconds = ((performance.now() - loadStart) / 1000).toFixed(1);
      const why = (shutdown.interrupt.signal.reason as Error | undefined)?.message ?? "interrupted";
      options.print(
        `gather: ${why} while task file "${options.file}" was still loading after ${seconds}s: stopped without running anything\n`,
      );
      return signalExitCode(shutdown.stoppedBy ?? "SIGINT");
    }
    const { source, cache } = project;
    const plan = planRun(project.specs, project.names, project.targets, { source });
    const files = new WatchedFiles(plan.graph.jobs, project.root, project.taskFile, source, {
      configs: project.configs ?? [],
      listings,
    });
    environment = new WatchEnvironment({
      names: project.names,
      graceMs: options.graceMs,
      timeoutMs: options.timeoutMs,
      forceSignal: shutdown.force.signal,
      interrupt: shutdown.interrupt.signal,
      onServiceExit: (name, settlement) => loop?.serviceExited(name, settlement),
      beforeExit: () => {},
    });
    await environment.captureOutput((text) => options.print(`${text}\n`));
    loop = new WatchLoop({
      graph: plan.graph,
      specs: project.specs,
      names: project.names,
      source,
      files,
      environment,
      cache,
      cacheMaxBytes: options.cacheMaxBytes,
      first,
      statePath: options.statePath,
      debounceMs: options.debounceMs,
      poll: options.poll,
      concurrency: options.concurrency,
      onFailure: options.onFailure,
      reporter: options.reporter,
      diagnostics: options.diagnostics,
      shutdown,
      print: options.print,
    });
  } catch (error) {
    await environment?.close();
    if (!isGatherError(error)) throw error;
    options.print(`gather: ${error.message}\n`);
    return await waitForFix(options, url, folder, first.run, listings);
  }
  return await loop!.run();
}

/** The task file does not load: wait for it or its imports to change, then ask for a new child. */
async function waitForFix(
  options: WatchChildOptions,
  url: string,
  folder: string,
  run: number,
  listings: readonly Listing[],
): Promise<number> {
  const root = projectRoot(folder); // symbolic links resolved
  const modules = new Set(localModules(url, root));
  // A folder it listed before it failed: an entry coming or going there may be the fix.
  const listed = new ListedFolders(listings);
  const before = new Map([...modules].map((path) => [path, signature(path)]));
  options.print(`◌ watching ${options.file} and its imports for a fix · Ctrl-C to stop\n`);
  let changed: { reason: string; files: string[] } | undefined;
  let wake!: () => void;
  const woken = new Promise<void>((resolve) => wake = resolve);
  const shown = (path: string) => path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
  // A folder that came may hold the module already; if not, the next batch brings it.
  const look = (paths: ReadonlySet<string>) => {
    if (changed !== undefined) return;
    const found = [...modules].filter((path) =>
      paths.has(path) || signature(path) !== before.get(path)
    ).map(shown);
    const entries = listed.changes(listed.folders); // a few folders: all looked at
    if (found.length > 0) {
      changed = { reason: `task file changed (${found.slice(0, 3).join(", ")})`, files: found };
    } else if (entries.added.length + entries.removed.length > 0) {
      changed = {
        reason: listed.describe(entries, root, options.file),
        files: [...entries.added, ...entries.removed].map(shown),
      };
    } else return;
    wake();
  };
  const watcher = new FileWatcher({
    // A missing module's folder may be missing too: its nearest existing parent stands for it,
    // and the watcher watches again when a folder on the way comes.
    roots: () =>
      [
        ...new Set(
          [...[...modules].map(dirname), ...listed.folders].map((path) => nearestFolder(path)),
        ),
      ].map((path) => ({ path, recursive: false })),
    relevant: (path) =>
      modules.has(path) || [...modules].some((module) => module.startsWith(`${path}/`)) ||
      listed.relevant(path),
    onBatch: look,
    debounceMs: options.debounceMs,
    snapshot: () => {
      const signatures = new Map([...modules].map((path) => [path, signature(path)]));
      listed.snapshot(signatures);
      return signatures;
    },
    poll: options.poll,
    // A module written while the watches were being set up sent no event: look again.
    onArmed: () => look(new Set()),
  });
  const { shutdown } = options;
  shutdown.interrupt.signal.addEventListener("abort", wake, { once: true });
  watcher.start();
  look(new Set()); // what changed before the watch began counts too (and when it polls)
  await woken;
  watcher.close();
  shutdown.interrupt.signal.removeEventListener("abort", wake);
  if (changed === undefined) return signalExitCode(shutdown.stoppedBy ?? "SIGINT");
  writeState(options.statePath, {
    run,
    reason: `${changed.reason}: reloaded`,
    files: changed.files,
  });
  return RELOAD_EXIT;
}

function signature(path: string): string {
  try {
    const info = Deno.statSync(path);
    return `${info.size}:${info.mtime?.getTime() ?? 0}`;
  } catch {
    return "missing";
  }
}
