/**
 * The reporters for people, `tty` and `plain`, with their colours: loaded
 * only when one is chosen (`select.ts`), since they and their formatting cost
 * start-up that a `--reporter json` run does not need.
 *
 * @module
 */

import type { Output } from "./output.ts";
import { palette } from "./palette.ts";
import { PlainReporter } from "./plain.ts";
import type { Reporter } from "./reporter.ts";
import { type ReporterEnv, wantsColor } from "./select.ts";
import { usableSize } from "./terminal_size.ts";
import { TtyReporter } from "./tty.ts";

/**
 * Build the live display (`tty`) or the line reporter (`plain`) on stderr.
 *
 * @param kind Which.
 * @param env The environment (colour), the terminal's size, the options.
 * @param output Where it writes (stderr).
 * @param logPath Where a job's log is, for the failure excerpts.
 * @returns The reporter.
 *
 * @example Usage
 * ```ts
 * import { humanReporter } from "./_human.ts";
 * import { Output } from "./output.ts";
 *
 * const env = {
 *   stdout: Deno.stdout, stderr: Deno.stderr, stdoutIsTerminal: false, stderrIsTerminal: false,
 *   env: () => undefined, quiet: true,
 * };
 * humanReporter("plain", env, new Output(Deno.stderr), () => undefined).close();
 * ```
 */
export function humanReporter(
  kind: "tty" | "plain",
  env: ReporterEnv,
  output: Output,
  logPath: (job: string) => string | undefined,
): Reporter {
  const color = wantsColor(env.env, env.stderrIsTerminal);
  const common = {
    output,
    palette: palette(color),
    quiet: env.quiet,
    debug: env.debug ?? false,
    color,
    logPath,
    ...(env.show === undefined ? {} : { show: env.show }),
  };
  if (kind === "tty") {
    // A terminal that reports 0 columns or rows (or none at all) is drawn for as 80x24.
    const size = env.size;
    return new TtyReporter({ ...common, size: () => usableSize(size?.()) });
  }
  return new PlainReporter({ ...common, group: env.group ?? false });
}
