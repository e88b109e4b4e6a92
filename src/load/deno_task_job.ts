/**
 * What a deno.json task's job does: run its command with Deno's own task
 * shell, `deno task -q --eval ' <command> <args>'`, in the task's folder,
 * through the job context (so it runs in its own process group, its output
 * streams into the job's log, and cancellation stops the whole tree).
 *
 * @module
 */

import type { JobContext, JobFn } from "../types.ts";

/** How one task runs. */
export interface TaskRun {
  /** The task's name, as the `Task <name> ...` line shows it. */
  task: string;
  /** The command; `undefined` for a task with only dependencies. */
  command: string | undefined;
  /** Arguments appended to the command, quoted. */
  args: readonly string[];
  /** The working directory. */
  cwd: string;
  /** The Deno executable whose task shell runs the command (and is its `deno`). */
  deno: string;
  /** Extra environment (`INIT_CWD` when it is not set). */
  env: Record<string, string>;
}

/**
 * The command with its arguments appended, each single-quoted, as `deno task`
 * appends them (a port of deno's `get_script_with_args`).
 *
 * @param command The task's command.
 * @param args The arguments after the task's name.
 * @returns The script.
 *
 * @example Usage
 * ```ts
 * import { scriptWithArgs } from "./deno_task_job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(scriptWithArgs("echo", ["a b", "it's"]), `echo 'a b' 'it'"'"'s'`);
 * assertEquals(scriptWithArgs("echo", []), "echo");
 * ```
 */
export function scriptWithArgs(command: string, args: readonly string[]): string {
  const quoted = args.map((arg) => `'${arg.replaceAll("'", `'"'"'`)}'`).join(" ");
  return `${command} ${quoted}`.trim();
}

/**
 * The job function of a task: it logs `Task <name> <script>` (the line
 * `deno task` prints), then runs the script; a non-zero exit fails the job
 * with a `COMMAND_FAILED` error that holds the exit code.
 *
 * @param run The task's command, folder and environment.
 * @returns The function.
 *
 * @example Usage
 * ```ts
 * import { taskFunction } from "./deno_task_job.ts";
 * import { job, run } from "../../mod.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const fn = taskFunction({
 *   task: "hello", command: "echo hello", args: ["world"],
 *   cwd: Deno.cwd(), deno: Deno.execPath(), env: {},
 * });
 * const lines: string[] = [];
 * await run({ hello: job(fn) }, { onEvent: (e) => e.type === "job:log" && lines.push(e.line) });
 * assertEquals(lines, ["Task hello echo hello 'world'", "hello world"]);
 * ```
 */
export function taskFunction(run: TaskRun): JobFn<unknown> {
  const script = run.command === undefined ? undefined : scriptWithArgs(run.command, run.args);
  const header = `Task ${run.task} ${script ?? "(no command)"}`;
  // Not async: a job that returns what ctx.exec returned runs no code of its own
  // afterwards, so the diagnostics need not start their profiler for it.
  return (ctx: JobContext) => {
    ctx.log(header);
    if (script === undefined) return undefined;
    // A leading space keeps a command that starts with "-" from being read as a flag.
    return ctx.exec(run.deno, ["task", "-q", "--eval", ` ${script}`], {
      cwd: run.cwd,
      env: run.env,
      // The failure line shows the command: an empty one (which deno refuses) says so.
      display: script === "" ? "(empty command)" : script,
    });
  };
}
