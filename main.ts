#!/usr/bin/env -S deno run -A
/**
 * The `gather` command: owns the process (its arguments, streams, terminal,
 * signals and exit code) and hands everything else to `src/cli/cli.ts`.
 *
 * @module
 */

import { EXIT } from "./src/cli/exit_codes.ts";
import { cacheCommandAt, HELP, parseCli } from "./src/cli/options.ts";
import { printTo } from "./src/cli/print.ts";
import { VERSION } from "./src/version.ts";
import { isGatherError } from "./src/errors.ts";
import { Shutdown, signalExitCode } from "./src/session/signals.ts";
import { denoDir } from "./src/session/deno_dir.ts";
import { lazy } from "./src/lazy.ts";
import { readTerminalSize } from "./src/reporters/terminal_size.ts";

/** What the end of the process needs from the command line, once it is read. */
interface ExitSettings {
  /** How long a process left running gets between SIGTERM and SIGKILL (`--grace`). */
  graceMs: number;
  /** Whether code of the user's ran (a task file, jobs), which may have left processes running. */
  ranUserCode: boolean;
}

async function main(args: string[], shutdown: Shutdown, settings: ExitSettings): Promise<number> {
  const debug = args.includes("--debug");
  try {
    const cacheAt = cacheCommandAt(args);
    if (cacheAt >= 0) {
      const { runCacheCommand } = await lazy<typeof import("./src/cli/cache_command.ts")>(
        new URL("./src/cli/cache_command.ts", import.meta.url),
      );
      return await runCacheCommand(
        args.slice(cacheAt + 1),
        (name) => Deno.env.get(name),
        (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)),
        args.slice(0, cacheAt),
      );
    }
    if (args[0] === "worker") {
      settings.ranUserCode = true;
      const { runWorkerCommand } = await lazy<typeof import("./src/cli/worker_command.ts")>(
        new URL("./src/cli/worker_command.ts", import.meta.url),
      );
      return await runWorkerCommand(args.slice(1), {
        env: (name) => Deno.env.get(name),
        print: (line) => Deno.stderr.writeSync(new TextEncoder().encode(line + "\n")),
        out: (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)),
        shutdown,
        denoDir: denoDir((name) => Deno.env.get(name)),
        cpus: navigator.hardwareConcurrency,
      }).catch(async (error) => {
        // A deno.json task named "worker" runs with `gather -- worker`: say so.
        const { withTaskHint } = await lazy<typeof import("./src/cli/subcommand_task.ts")>(
          new URL("./src/cli/subcommand_task.ts", import.meta.url),
        );
        throw withTaskHint(error, "worker", Deno.cwd());
      });
    }
    const options = parseCli(args, (name) => Deno.env.get(name), navigator.hardwareConcurrency);
    settings.graceMs = options.graceMs;
    // Help and version load nothing else.
    if (options.mode === "help") return printTo(Deno.stdout, Deno.stderr, HELP);
    if (options.mode === "version") return printTo(Deno.stdout, Deno.stderr, `gather ${VERSION}\n`);
    settings.ranUserCode = true;
    const { runCli } = await lazy<typeof import("./src/cli/cli.ts")>(
      new URL("./src/cli/cli.ts", import.meta.url),
    );
    return await runCli(options, {
      stdout: Deno.stdout,
      stderr: Deno.stderr,
      stdoutIsTerminal: Deno.stdout.isTerminal(),
      stderrIsTerminal: Deno.stderr.isTerminal(),
      env: (name) => Deno.env.get(name),
      size: terminalSize,
      denoDir: denoDir((name) => Deno.env.get(name)),
      shutdown,
      args,
    });
  } catch (error) {
    return report(error, debug, args);
  }
}

/**
 * Processes gather started outside its machinery and left running (by a task
 * file's top-level code, a timer, a job of a run that could not stop them):
 * gather does not exit while a child it started lives. They are stopped like
 * commands (SIGTERM, SIGKILL after the grace period, or at once on the next
 * signal) and named in one line.
 */
async function stopStrayChildren(shutdown: Shutdown, settings: ExitSettings): Promise<void> {
  if (!settings.ranUserCode) return;
  // No child at all (the common case): nothing more to load.
  const { childrenOf } = await lazy<typeof import("./src/process/children.ts")>(
    new URL("./src/process/children.ts", import.meta.url),
  );
  if (childrenOf(Deno.pid).length === 0) return;
  const [{ strayChildren, describeStrays }, { stopStrays, stoppedHow }] = await Promise.all([
    lazy<typeof import("./src/process/strays.ts")>(
      new URL("./src/process/strays.ts", import.meta.url),
    ),
    lazy<typeof import("./src/process/stop_strays.ts")>(
      new URL("./src/process/stop_strays.ts", import.meta.url),
    ),
  ]);
  const strays = strayChildren();
  if (strays.length === 0) return;
  // A signal already came: the next one stops waiting; else the first does.
  const force = shutdown.stoppedBy === undefined ? shutdown.interrupt : shutdown.force;
  const stopped = await stopStrays(strays, { graceMs: settings.graceMs, force: force.signal });
  const count = stopped.strays.length;
  const how = stoppedHow(stopped.how, count, settings.graceMs);
  const named = describeStrays(stopped.strays);
  const what = `${named}, started without ctx.sh (by the task file's own code, or a job)`;
  const still = `${count === 1 ? "was" : "were"} still running as gather ended`;
  const fix = "start processes in a job with ctx.sh or ctx.exec, or await them";
  Deno.stderr.writeSync(
    new TextEncoder().encode(`gather: ${what}, ${still}: ${how}; fix: ${fix}\n`),
  );
}

/**
 * The terminal's size, read for every frame (so resizes are followed, in the watch child too);
 * 80x24 when no stream is a terminal (`Deno.consoleSize()` throws) or it reports 0 columns or rows.
 */
function terminalSize(): { columns: number; rows: number } {
  return readTerminalSize(() => Deno.consoleSize());
}

function report(error: unknown, debug: boolean, args: readonly string[]): number {
  const known = isGatherError(error);
  const message = error instanceof Error ? error.message : String(error);
  const text = known
    ? `gather: ${message}${commandHint(error, args)}`
    : `gather: internal error: ${message} (run with --debug for the stack)`;
  const detail = debug && error instanceof Error && error.stack ? `\n${stacks(error)}` : "";
  Deno.stderr.writeSync(new TextEncoder().encode(`${text}${detail}\n`));
  return known ? EXIT.usage : EXIT.internal;
}

/** `gather -- cache` or `gather build cache`, with no job of that name: say what the commands are. */
function commandHint(error: unknown, args: readonly string[]): string {
  const { code, job } = error as { code?: string; job?: string };
  return code === "UNKNOWN_JOB" && job === "cache" && args.includes("cache")
    ? `; the cache's commands are gather cache status | clean | prune`
    : "";
}

/** The error's stack, and its causes' (a task file's own error is the cause of gather's). */
function stacks(error: Error): string {
  const cause = error.cause instanceof Error ? `\ncaused by: ${stacks(error.cause)}` : "";
  return `${error.stack}${cause}`;
}

if (import.meta.main) {
  // Own the signals before anything else, so a Ctrl-C while the task file
  // loads still ends in an orderly way.
  const shutdown = new Shutdown();
  const settings: ExitSettings = { graceMs: 5_000, ranUserCode: false };
  const code = await main(Deno.args, shutdown, settings);
  await stopStrayChildren(shutdown, settings).catch(() => {}).finally(() => shutdown.dispose());
  // Stopped by a signal, and cleaned up: die by that signal, so a calling script stops too.
  const by = shutdown.stoppedBy;
  if (by !== undefined && code === signalExitCode(by)) await shutdown.exitBySignal(Deno.exit);
  Deno.exit(code);
}
