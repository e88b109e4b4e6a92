/**
 * Generated Deno projects for the deno.json tests: write files into a temp
 * folder, run `deno task` and `gather` there with the same clean
 * environment, and read a gather run's events by job.
 *
 * @module
 */

import { dirname, join } from "../src/deps/path.ts";
import type { GatherEvent } from "../src/events.ts";
import { type CliRun, parseEvents, ROOT } from "./_cli.ts";

/** Files by path (relative to the project), objects written as JSON. */
export type Files = Record<string, string | Record<string, unknown>>;

/**
 * Write a project into a new temp folder.
 *
 * @param files Its files.
 * @returns The folder (real path).
 */
export async function makeProject(files: Files): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-deno-" }));
  await writeFiles(dir, files);
  return dir;
}

/**
 * Write files into a folder.
 *
 * @param dir The folder.
 * @param files The files.
 */
export async function writeFiles(dir: string, files: Files): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
    await Deno.writeTextFile(
      join(dir, path),
      typeof content === "string" ? content : JSON.stringify(content, null, 2) + "\n",
    );
  }
}

/** The environment both tools run with: no colour, no backtraces, no inherited INIT_CWD. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    NO_COLOR: "1",
    ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
    ...extra,
  };
}

/**
 * Run a program in a folder with the clean environment.
 *
 * @param argv The program and its arguments.
 * @param cwd The folder.
 * @param env More environment.
 * @returns Exit code and output.
 */
export async function runIn(
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliRun> {
  const output = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd,
    clearEnv: true,
    env: cleanEnv(env),
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

/**
 * `deno task ...` in a folder.
 *
 * @param args Its arguments.
 * @param cwd The folder.
 * @param env More environment.
 * @returns Exit code and output.
 */
export function denoTask(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliRun> {
  return runIn([Deno.execPath(), "task", ...args], cwd, env);
}

/**
 * `gather ...` in a folder (the repository's main.ts).
 *
 * @param args Its arguments.
 * @param cwd The folder.
 * @param env More environment.
 * @returns Exit code and output.
 */
export function gatherIn(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliRun> {
  return runIn([Deno.execPath(), "run", "-A", join(ROOT, "main.ts"), ...args], cwd, env);
}

/**
 * `gather --reporter json ...`, with its events.
 *
 * @param args Its arguments (the reporter options are put first).
 * @param cwd The folder.
 * @param env More environment.
 * @returns Exit code, output and the events.
 */
export async function gatherJson(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliRun & { events: GatherEvent[] }> {
  const run = await gatherIn(["--reporter", "json", "--no-logs", ...args], cwd, env);
  return { ...run, events: parseEvents(run.stdout) };
}

/**
 * A job's log lines of one stream, from a run's events.
 *
 * @param events The events.
 * @param job The job.
 * @param stream `stdout`, `stderr` or `log` (gather's own lines, like the `Task` header).
 * @returns The lines.
 */
export function linesOf(events: GatherEvent[], job: string, stream: string): string[] {
  return events.flatMap((event) =>
    event.type === "job:log" && event.job === job && event.stream === stream ? [event.line] : []
  );
}

/**
 * The jobs in the order they started.
 *
 * @param events The events.
 * @returns Their names.
 */
export function started(events: GatherEvent[]): string[] {
  return events.flatMap((event) => event.type === "job:start" ? [event.job] : []);
}

/**
 * Split output into lines, without the empty last one.
 *
 * @param text The output.
 * @returns The lines.
 */
export function lines(text: string): string[] {
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}
