/**
 * A deno.json task named like one of gather's subcommands (`worker`): the
 * subcommand wins, and its usage errors say how to run the task instead,
 * `gather -- worker`. Loaded only when such a subcommand fails.
 *
 * @module
 */

import { visible } from "../load/deno_targets.ts";
import { findWorkspace } from "../load/workspace.ts";
import { GatherError, isGatherError } from "../errors.ts";

/**
 * The error a subcommand failed with, told how to run the task of the same
 * name when the deno.json where gather runs has one (its own or, in a
 * member, the root's) and the error is about the command line.
 *
 * @param error What the subcommand threw.
 * @param command The subcommand, e.g. `worker`.
 * @param cwd Where gather runs.
 * @returns The error to report: a new one with the hint, or `error` itself.
 *
 * @example Usage
 * ```ts
 * import { withTaskHint } from "./subcommand_task.ts";
 * import { GatherError } from "../errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(`${dir}/deno.json`, '{"tasks": {"worker": "echo hi"}}');
 * const error = new GatherError("BAD_OPTION", "gather worker needs --nats <url>");
 * assertEquals(
 *   (withTaskHint(error, "worker", dir) as Error).message,
 *   'gather worker needs --nats <url>; to run the deno.json task "worker", use gather -- worker',
 * );
 * assertEquals(withTaskHint(error, "worker", await Deno.makeTempDir()), error); // no such task
 * ```
 */
export function withTaskHint(error: unknown, command: string, cwd: string): unknown {
  if (!isGatherError(error) || error.code !== "BAD_OPTION" || !hasTask(command, cwd)) return error;
  return new GatherError(
    error.code,
    `${error.message}; to run the deno.json task "${command}", use gather -- ${command}`,
    { cause: error },
  );
}

/** Whether a name runs a deno.json task where gather runs (a config it cannot read: no). */
function hasTask(name: string, cwd: string): boolean {
  try {
    const ws = findWorkspace(cwd, cwd);
    return ws !== undefined && visible(ws.current, ws.root).some((def) => def.name === name);
  } catch {
    return false;
  }
}
