/**
 * Choose a reporter from the user's choice and what the output streams are.
 *
 * @module
 */

import { lazy } from "../lazy.ts";
import { JobLogs } from "./job_logs.ts";
import { JsonReporter } from "./json.ts";
import { Output, type SyncWriter } from "./output.ts";
import type { OutputFailure, OutputMode, Reporter } from "./reporter.ts";
import type { TerminalSize } from "./tty.ts";
import { JsonSummary } from "./_json_summary.ts";
import { tee } from "./_tee.ts";

/** Which reporter to use; `auto` picks `tty` for a terminal, else `plain`. */
export type ReporterChoice = "auto" | "tty" | "plain" | "json";

/** What {@linkcode selectReporter} needs to know about the environment. */
export interface ReporterEnv {
  /** Data and JSON events go here. */
  stdout: SyncWriter;
  /** Human progress goes here. */
  stderr: SyncWriter;
  /** Whether stdout is a terminal. */
  stdoutIsTerminal: boolean;
  /** Whether stderr is a terminal. */
  stderrIsTerminal: boolean;
  /** Reads an environment variable (`CI`, `TERM`, `NO_COLOR`, `FORCE_COLOR`). */
  env: (name: string) => string | undefined;
  /** Print only failures and the summary. */
  quiet: boolean;
  /** `--debug`: the human reporters print a failed job's stack. @default {false} */
  debug?: boolean;
  /** The terminal's size, for the live display. @default {() => ({ columns: 80, rows: 24 })} */
  size?: () => TerminalSize;
  /** Plain reporter: print each job's lines together when it ends. @default {false} */
  group?: boolean;
  /** Whose output the human reporters print (`--output`). @default {quiet ? "errors" : "full"} */
  show?: OutputMode | undefined;
  /** Also write the final report as JSON to this file. @default {undefined} */
  summaryFile?: string | undefined;
  /** Write each job's output to `<logDir>/<run>/<job>.log`; none when absent. @default {undefined} */
  logDir?: string | undefined;
  /** Overwrite a `summaryFile` that is not a previous summary (`--force-summary`). @default {false} */
  force?: boolean;
  /**
   * Told once per output that cannot be written (a closed pipe, a full disk);
   * reporters never throw for it. @default {nothing}
   */
  onOutputError?: (failure: OutputFailure) => void;
  /** Called with the logs folder before it is first written (to keep it out of the project's tools). */
  beforeLogs?: (dir: string) => void;
}

/**
 * Whether to colour human output: `FORCE_COLOR` forces it, `NO_COLOR`
 * disables it, and so does `TERM=dumb` (a terminal that cannot show escape
 * codes, as cargo and listr2 take it); otherwise only a terminal gets colour.
 *
 * @param env Reads an environment variable.
 * @param isTerminal Whether the output is a terminal.
 * @returns Whether to colour.
 *
 * @example Usage
 * ```ts
 * import { wantsColor } from "./select.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(wantsColor((name) => name === "NO_COLOR" ? "1" : undefined, true), false);
 * ```
 */
export function wantsColor(
  env: (name: string) => string | undefined,
  isTerminal: boolean,
): boolean {
  const force = env("FORCE_COLOR");
  if (force !== undefined && force !== "" && force !== "0") return true;
  const noColor = env("NO_COLOR");
  if (noColor !== undefined && noColor !== "") return false;
  return isTerminal && !isDumb(env);
}

/**
 * Whether the terminal says it is dumb (`TERM=dumb`: Emacs' shell buffers,
 * some editors' and CI's consoles): it shows text, and cannot move the
 * cursor or show colours.
 *
 * @param env Reads an environment variable.
 * @returns `true` for `TERM=dumb`.
 *
 * @example Usage
 * ```ts
 * import { isDumb } from "./select.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isDumb((name) => name === "TERM" ? "dumb" : undefined), true);
 * assertEquals(isDumb((name) => name === "TERM" ? "xterm-256color" : undefined), false);
 * ```
 */
export function isDumb(env: (name: string) => string | undefined): boolean {
  return env("TERM") === "dumb";
}

/**
 * Which reporter a choice comes to: `auto` is `tty` when stdout and stderr
 * are terminals, `CI` is unset (or empty) and `TERM` is not `dumb`, else
 * `plain`; `tty` falls back to `plain` when stderr is not a terminal or the
 * terminal is dumb (it cannot move the cursor to redraw the live block).
 *
 * @param choice The user's choice.
 * @param env Whether the streams are terminals, and the environment.
 * @returns The reporter to build.
 *
 * @example Usage
 * ```ts
 * import { reporterKind } from "./select.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const terminal = { stdoutIsTerminal: true, stderrIsTerminal: true, env: () => undefined };
 * assertEquals(reporterKind("auto", terminal), "tty");
 * assertEquals(reporterKind("auto", { ...terminal, env: (name) => name === "CI" ? "true" : undefined }), "plain");
 * ```
 */
export function reporterKind(
  choice: ReporterChoice,
  env: Pick<ReporterEnv, "stdoutIsTerminal" | "stderrIsTerminal" | "env">,
): "tty" | "plain" | "json" {
  if (choice === "json" || choice === "plain") return choice;
  if (!env.stderrIsTerminal || isDumb(env.env)) return "plain";
  if (choice === "tty") return "tty";
  const ci = env.env("CI");
  return env.stdoutIsTerminal && (ci === undefined || ci === "") ? "tty" : "plain";
}

/**
 * Build the reporter: `json` writes events to stdout, `tty` draws the live
 * display on stderr, `plain` writes lines to stderr (see
 * {@linkcode reporterKind}). Per-job logs and the `--summary` file are
 * written alongside, whatever the reporter.
 *
 * @param choice The user's choice.
 * @param env The streams, environment and options.
 * @returns The reporter.
 * @throws {GatherError} `BAD_OPTION` when the summary file cannot be created.
 *
 * @example Usage
 * ```ts
 * import { selectReporter } from "./select.ts";
 * import { assertEquals } from "@std/assert";
 *
 * let stdout = "";
 * const sink = { writeSync: (p: Uint8Array) => (stdout += new TextDecoder().decode(p), p.length) };
 * const reporter = await selectReporter("json", {
 *   stdout: sink, stderr: sink, stdoutIsTerminal: false, stderrIsTerminal: false,
 *   env: () => undefined, quiet: false,
 * });
 * reporter.handle({ type: "run:cancel", time: 1, reason: "test" });
 * reporter.close();
 * assertEquals(JSON.parse(stdout).reason, "test");
 * ```
 */
export async function selectReporter(choice: ReporterChoice, env: ReporterEnv): Promise<Reporter> {
  return (await reporterFor(choice, env))();
}

/**
 * Load what the chosen reporters need (the human ones, a summary file, only
 * when used: they cost start-up) and return what builds them, once or for
 * each run of a watch.
 *
 * @param choice `auto`, `tty`, `plain` or `json`.
 * @param env The streams, the terminal, the environment and the options.
 * @returns A function that builds the reporter.
 *
 * @example Usage
 * ```ts
 * import { reporterFor } from "./select.ts";
 *
 * const make = await reporterFor("json", {
 *   stdout: Deno.stdout, stderr: Deno.stderr, stdoutIsTerminal: false, stderrIsTerminal: false,
 *   env: () => undefined, quiet: false,
 * });
 * make().close();
 * ```
 */
export async function reporterFor(
  choice: ReporterChoice,
  env: ReporterEnv,
): Promise<() => Reporter> {
  const kind = reporterKind(choice, env);
  const [human, summary, pipes] = await Promise.all([
    kind === "json" ? undefined : lazy<typeof import("./_human.ts")>(
      new URL("./_human.ts", import.meta.url),
    ),
    env.summaryFile === undefined ? undefined : lazy<typeof import("./summary_file.ts")>(
      new URL("./summary_file.ts", import.meta.url),
    ),
    // node:fs, which opens a pipe without blocking, costs start-up: loaded only for a pipe.
    env.summaryFile === undefined || !isPipe(env.summaryFile)
      ? undefined
      : lazy<typeof import("./_pipe_writer.ts")>(new URL("./_pipe_writer.ts", import.meta.url)),
  ]);
  return () => {
    const failed = (output: OutputFailure["output"], target: string) => (error: Error) =>
      env.onOutputError?.({ output, target, error });
    const logs = env.logDir === undefined ? undefined : new JobLogs(env.logDir, {
      onError: failed("logs", env.logDir),
      ...(env.beforeLogs ? { beforeCreate: env.beforeLogs } : {}),
    });
    const logPath = (job: string) => logs?.pathOf(job);
    const reporters: Reporter[] = [];
    if (logs) reporters.push(logs); // first: a job's log is written before reporters point at it
    if (summary !== undefined && env.summaryFile !== undefined) {
      reporters.push(
        new summary.SummaryFile(env.summaryFile, {
          logPath,
          onError: failed("summary", env.summaryFile),
          overwrite: env.force ?? false,
          ...(pipes === undefined ? {} : { openPipe: (path) => pipes.PipeWriter.open(path) }),
        }),
      );
    }
    const output = kind === "json"
      ? new Output(env.stdout, { onError: failed("events", "stdout") })
      : new Output(env.stderr, { onError: failed("progress", "stderr") });
    reporters.push(
      human === undefined || kind === "json"
        ? new JsonSummary(new JsonReporter(output), logPath)
        : human.humanReporter(kind, env, output, logPath),
    );
    return reporters.length === 1 ? reporters[0]! : tee(reporters);
  };
}

/** Whether a path is a named pipe (or `/dev/fd/N` of a pipe: `--summary >(jq .)`). */
function isPipe(path: string): boolean {
  try {
    return Deno.statSync(path).isFifo === true;
  } catch {
    return false;
  }
}
