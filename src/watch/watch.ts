/**
 * `gather --watch`: in the process the user started, the supervisor; in the
 * child it starts (marked by `GATHER_WATCH_CHILD`), the watch loop.
 *
 * @module
 */

import { runWatchChild, type WatchChildOptions } from "./child.ts";
import { WATCH_CHILD_ENV } from "./protocol.ts";
import { superviseWatch } from "./supervisor.ts";

/** What `--watch` needs: the child's options, without those the process gives. */
export type WatchOptions = Omit<WatchChildOptions, "statePath" | "control" | "poll">;

/** What `--watch` needs from the process it runs in. */
export interface WatchProcess {
  /** The command line, to start each child with. */
  args: readonly string[];
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** The child's control channel (its stdin). @default {Deno.stdin.readable} */
  control?: ReadableStream<Uint8Array>;
}

/**
 * Run watch mode: supervise children, or be one.
 *
 * @param options The command line's choices.
 * @param process The command line, the environment and stdin.
 * @returns The exit code.
 *
 * @example Usage
 * ```ts ignore
 * // src/cli/cli.ts, for `gather --watch`
 * return await runWatch({ file, targets, debounceMs, ...choices }, { args, env });
 * ```
 */
export async function runWatch(options: WatchOptions, process: WatchProcess): Promise<number> {
  const statePath = process.env(WATCH_CHILD_ENV);
  if (!statePath) return await superviseWatch({ args: process.args, shutdown: options.shutdown });
  // Not for the jobs' own processes (a gather inside a job is not a watch child).
  Deno.env.delete(WATCH_CHILD_ENV);
  return await runWatchChild({
    ...options,
    statePath,
    control: process.control ?? Deno.stdin.readable,
    poll: process.env("GATHER_WATCH_POLL") === "1",
  });
}
