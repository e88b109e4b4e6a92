/**
 * Run `gather` in a pseudo-terminal made by util-linux `script`, for tests
 * of what a terminal reports (its size, `TERM`): stdout and stderr are both
 * the pty, as in a person's terminal.
 *
 * @module
 */

import { ROOT } from "./_cli.ts";

/** Whether `script` is there to make a pty. */
export const hasScript: boolean = await new Deno.Command("script", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
}).output().then((out) => out.success, () => false);

/** What a run in a pty wrote to it, and its exit code. */
export interface PtyRun {
  code: number;
  /** Everything written to the terminal, escape codes included. */
  screen: string;
}

/**
 * Run gather in a pty, with `CI`, `NO_COLOR` and `FORCE_COLOR` unset.
 *
 * @param args gather's arguments.
 * @param options `setup`: shell commands run in the pty first (`stty cols 0 rows 0`);
 *   `env`: the environment (`TERM` defaults to `xterm-256color`).
 * @returns The exit code and what was written to the terminal.
 */
export async function gatherInPty(
  args: string[],
  options: { setup?: string; env?: Record<string, string> } = {},
): Promise<PtyRun> {
  const gather = [Deno.execPath(), "run", "-A", `${ROOT}main.ts`, ...args].map(quote).join(" ");
  const command = `${options.setup ?? ":"}; env -u CI -u NO_COLOR -u FORCE_COLOR ${gather}`;
  const out = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: ROOT,
    env: { TERM: "xterm-256color", ...options.env },
    stdin: "null",
  }).output();
  return { code: out.code, screen: new TextDecoder().decode(out.stdout) };
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
