/**
 * What a deno.json task's job does: run its command with Deno's own task
 * shell, `deno task -q --eval ' <command> <args>'`, in the task's folder,
 * through the job context (so it runs in its own process group, its output
 * streams into the job's log, and cancellation stops the whole tree).
 *
 * @module
 */

import { GatherError, isGatherError } from "../errors.ts";
import type { JobContext, JobFn } from "../types.ts";

/** How one task runs. */
export interface TaskRun {
  /** The task's name, as the `Task <name> ...` line shows it. */
  task: string;
  /** The job's name, for errors. */
  job: string;
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
 * `deno task` prints), then runs the script, and fails with the script's
 * exit code.
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
 *   task: "hello", job: "hello", command: "echo hello", args: ["world"],
 *   cwd: Deno.cwd(), deno: Deno.execPath(), env: {},
 * });
 * const lines: string[] = [];
 * await run({ hello: job(fn) }, { onEvent: (e) => e.type === "job:log" && lines.push(e.line) });
 * assertEquals(lines, ["Task hello echo hello 'world'", "hello world"]);
 * ```
 */
export function taskFunction(run: TaskRun): JobFn<void> {
  const script = run.command === undefined ? undefined : scriptWithArgs(run.command, run.args);
  return async (ctx: JobContext): Promise<void> => {
    ctx.log(`Task ${run.task} ${script ?? "(no command)"}`);
    if (script === undefined) return;
    try {
      // A leading space keeps a command that starts with "-" from being read as a flag.
      await ctx.exec(run.deno, ["task", "-q", "--eval", ` ${script}`], {
        cwd: run.cwd,
        env: run.env,
      });
    } catch (error) {
      if (!isGatherError(error) || error.code !== "COMMAND_FAILED") throw error;
      const [first = "", ...tail] = error.message.split("\n");
      const message = error.exitCode === undefined
        ? `Task "${run.job}" could not start: ${first.replace(/^Cannot run "[^"]*": /, "")}`
        : `Task "${run.job}" failed with exit code ${error.exitCode}: ${script}`;
      throw new GatherError("TASK_FAILED", [message, ...tail].join("\n"), {
        job: run.job,
        cause: error,
        ...(error.exitCode === undefined ? {} : { exitCode: error.exitCode }),
      });
    }
  };
}
