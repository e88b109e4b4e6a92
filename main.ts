#!/usr/bin/env -S deno run -A
/**
 * The `gather` command: parses arguments, loads the task file, picks a
 * reporter, owns signals and the exit code. Everything else lives in `src/`.
 *
 * @module
 */

import { parseCli } from "./src/cli_options.ts";
import { HELP } from "./src/cli_options.ts";
import { captureConsole } from "./src/console_capture.ts";
import { GatherError, isGatherError } from "./src/errors.ts";
import type { GatherEvent } from "./src/events.ts";
import { buildGraph } from "./src/graph.ts";
import { Diagnostics } from "./src/diagnostics.ts";
import { History } from "./src/history.ts";
import { dryRun, graphToDot, listJobs } from "./src/inspect.ts";
import { selectReporter } from "./src/reporters/select.ts";
import { schedule } from "./src/scheduler.ts";
import { JobScope } from "./src/scope.ts";
import { loadTaskFile } from "./src/task_file.ts";

const VERSION = "0.1.0";
const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70, SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Turns SIGINT and SIGTERM into an orderly shutdown: the first one cancels
 * the run, the second stops waiting and kills what is left.
 */
class Shutdown {
  readonly interrupt = new AbortController();
  readonly force = new AbortController();
  stoppedBy: "SIGINT" | "SIGTERM" | undefined;
  #removers: (() => void)[];

  constructor() {
    this.#removers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
      const listener = () => {
        if (this.stoppedBy === undefined) {
          this.stoppedBy = signal;
          this.interrupt.abort(new GatherError("CANCELLED", `interrupted by ${signal}`));
        } else {
          this.force.abort(new GatherError("CANCELLED", `${signal} again: stopping now`));
        }
      };
      Deno.addSignalListener(signal, listener);
      return () => Deno.removeSignalListener(signal, listener);
    });
  }

  dispose(): void {
    for (const remove of this.#removers) remove();
  }
}

async function main(args: string[]): Promise<number> {
  const debug = args.includes("--debug");
  // Own the signals before anything else, so a Ctrl-C while the task file
  // loads still ends in an orderly way.
  const shutdown = new Shutdown();
  try {
    const options = parseCli(args, (name) => Deno.env.get(name), navigator.hardwareConcurrency);
    if (options.mode === "help") return print(HELP);
    if (options.mode === "version") return print(`gather ${VERSION}\n`);
    const tasks = await loadTaskFile(options.file);
    if (options.mode === "list") return print(listJobs(tasks.specs, tasks.defaults));
    const targets = options.targets.length > 0 ? options.targets : tasks.defaults;
    const history = options.history
      ? await History.load(".gather/history.json", tasks.url)
      : undefined;
    const weights = history?.weights([...tasks.specs.keys()]);
    const graph = buildGraph(tasks.specs, targets, {
      source: `"${options.file}"`,
      ...(weights && weights.size > 0 ? { weights } : {}),
    });
    if (options.mode === "graph") return print(graphToDot(graph));
    if (options.mode === "dry-run") return print(dryRun(graph, options.concurrency));

    let strictFailure = 0;
    const reporter = selectReporter(options.reporter, {
      stdout: Deno.stdout,
      stderr: Deno.stderr,
      stdoutIsTerminal: Deno.stdout.isTerminal(),
      stderrIsTerminal: Deno.stderr.isTerminal(),
      env: (name) => Deno.env.get(name),
      quiet: options.quiet,
      size: terminalSize,
      group: options.group,
      summaryFile: options.summaryFile,
      logDir: options.logDir,
    });
    const scope = new JobScope();
    const diagnostics: Diagnostics = new Diagnostics({
      emit: (event) => emit(event),
      scope,
      fnOf: (name) => graph.jobs[graph.index.get(name) ?? -1]?.fn,
      stalls: options.diagnostics,
      stallThresholdMs: options.stallThresholdMs,
      timers: globalThis,
      denoDir: denoDir(),
    });
    let started = false;
    const emit = (event: GatherEvent) => {
      reporter.handle(event);
      if (!started && event.type === "job:start") {
        started = true;
        reporter.flush?.(); // the first job shows at once, before a profiler's start-up
      }
      diagnostics.observe(event);
    };
    const diagnosing = diagnostics.start();
    const restoreConsole = captureConsole(console, scope, emit, (text) => {
      Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
    });
    try {
      const result = await schedule(graph, {
        concurrency: options.concurrency,
        onFailure: options.onFailure,
        graceMs: options.graceMs,
        signal: shutdown.interrupt.signal,
        forceSignal: shutdown.force.signal,
        onEvent: emit,
        scope,
        nameOf: (handle) => tasks.names.get(handle),
        beforeEnd: async () => {
          await diagnosing;
          await diagnostics.stop();
        },
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      if (history) {
        const durations = new Map(
          result.jobs.filter((job) => job.status === "ok").map((job) => [job.name, job.durationMs]),
        );
        await history.save(durations).catch(() => {});
      }
      if (shutdown.stoppedBy) return EXIT[shutdown.stoppedBy];
      if (result.status === "ok" && options.strict && diagnostics.count > 0) {
        strictFailure = diagnostics.count;
        return EXIT.failed;
      }
      return result.status === "ok" ? EXIT.ok : EXIT.failed;
    } finally {
      reporter.close();
      restoreConsole();
      if (strictFailure > 0) {
        Deno.stderr.writeSync(
          new TextEncoder().encode(
            `gather: --strict: ${strictFailure} diagnostic(s) fail the run\n`,
          ),
        );
      }
    }
  } catch (error) {
    return report(error, debug);
  } finally {
    shutdown.dispose();
  }
}

/** Deno's cache directory, where the emit cache maps JavaScript lines to TypeScript. */
function denoDir(): string | undefined {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const home = Deno.env.get("HOME");
  if (!home) return undefined;
  if (Deno.build.os === "darwin") return `${home}/Library/Caches/deno`;
  return `${Deno.env.get("XDG_CACHE_HOME") ?? `${home}/.cache`}/deno`;
}

/** The terminal's size; `Deno.consoleSize()` throws when no stream is a terminal. */
function terminalSize(): { columns: number; rows: number } {
  try {
    return Deno.consoleSize();
  } catch {
    return { columns: 80, rows: 24 };
  }
}

function print(text: string): number {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
  return EXIT.ok;
}

function report(error: unknown, debug: boolean): number {
  const known = isGatherError(error);
  const message = error instanceof Error ? error.message : String(error);
  const text = known
    ? `gather: ${message}`
    : `gather: internal error: ${message} (run with --debug for the stack)`;
  const detail = debug && error instanceof Error && error.stack ? `\n${error.stack}` : "";
  Deno.stderr.writeSync(new TextEncoder().encode(`${text}${detail}\n`));
  return known ? EXIT.usage : EXIT.internal;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
