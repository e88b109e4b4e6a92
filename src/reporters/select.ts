/**
 * Choose a reporter from the user's choice and what the output streams are.
 *
 * @module
 */

import type { ReporterChoice } from "../cli_options.ts";
import { JsonReporter } from "./json.ts";
import { Output, type SyncWriter } from "./output.ts";
import { palette } from "./palette.ts";
import { PlainReporter } from "./plain.ts";
import type { Reporter } from "./reporter.ts";

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
  /** Reads an environment variable (`CI`, `NO_COLOR`, `FORCE_COLOR`). */
  env: (name: string) => string | undefined;
  /** Print only failures and the summary. */
  quiet: boolean;
}

/**
 * Whether to colour human output: `FORCE_COLOR` forces it, `NO_COLOR`
 * disables it, otherwise only a terminal gets colour.
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
  return isTerminal;
}

/**
 * Build the reporter: `json` writes events to stdout; `plain` (and `auto`
 * when there is no terminal or `CI` is set) writes lines to stderr.
 *
 * @param choice The user's choice.
 * @param env The streams and environment.
 * @returns The reporter.
 *
 * @example Usage
 * ```ts
 * import { selectReporter } from "./select.ts";
 * import { JsonReporter } from "./json.ts";
 * import { assertInstanceOf } from "@std/assert";
 *
 * const sink = { writeSync: (p: Uint8Array) => p.length };
 * const reporter = selectReporter("json", {
 *   stdout: sink, stderr: sink, stdoutIsTerminal: false, stderrIsTerminal: false,
 *   env: () => undefined, quiet: false,
 * });
 * assertInstanceOf(reporter, JsonReporter);
 * ```
 */
export function selectReporter(choice: ReporterChoice, env: ReporterEnv): Reporter {
  if (choice === "json") return new JsonReporter(new Output(env.stdout));
  const color = wantsColor(env.env, env.stderrIsTerminal);
  return new PlainReporter({
    output: new Output(env.stderr),
    palette: palette(color),
    quiet: env.quiet,
    color,
  });
}
