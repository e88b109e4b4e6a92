/**
 * `gather --watch`, the process the user started: it runs the watch loop in
 * a child `gather` (the same command line), and starts a new child when the
 * old one exits because the task file changed. A new process is the only
 * way to load the task file into a fresh module graph: a cache-busting
 * `import("tasks.ts?v=2")` would load the task file again but not the local
 * modules it imports, and would keep every old copy in memory. The
 * supervisor owns the signals and forwards each one to the child, which
 * stops everything under the cancellation contract before it exits.
 *
 * @module
 */

import { SIGNALS } from "../process/posix_spawn.ts";
import { type Shutdown, signalExitCode } from "../session/signals.ts";
import { RELOAD_EXIT, tellChild, WATCH_CHILD_ENV } from "./protocol.ts";

/** What the supervisor needs from the process it runs in. */
export interface SupervisorEnv {
  /** The command line, to start each child with. */
  args: readonly string[];
  /** The signals that stop watch mode. */
  shutdown: Shutdown;
  /** The module that was run (`main.ts`). @default {Deno.mainModule} */
  mainModule?: string;
}

/**
 * Run watch mode in child processes until a signal stops it.
 *
 * @param env The command line and the signals.
 * @returns The exit code: the stopping signal's (130 for SIGINT), or a child's when it failed.
 *
 * @example Usage
 * ```ts ignore
 * // main.ts, for `gather --watch`: the child is `deno run -A main.ts --watch ...` again
 * const code = await superviseWatch({ args: Deno.args, shutdown: new Shutdown() });
 * ```
 */
export async function superviseWatch(env: SupervisorEnv): Promise<number> {
  const { shutdown } = env;
  const state = Deno.makeTempFileSync({ prefix: "gather-watch-", suffix: ".json" });
  try {
    for (;;) {
      if (shutdown.stoppedBy !== undefined) return signalExitCode(shutdown.stoppedBy);
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", env.mainModule ?? Deno.mainModule, ...env.args],
        env: { [WATCH_CHILD_ENV]: state },
        stdin: "piped",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      const writer = child.stdin.getWriter();
      const forward = (level: "interrupt" | "force") => () =>
        tellChild(writer, level, shutdown.stoppedBy ?? "SIGINT");
      const onInterrupt = forward("interrupt");
      const onForce = forward("force");
      shutdown.interrupt.signal.addEventListener("abort", onInterrupt);
      shutdown.force.signal.addEventListener("abort", onForce);
      if (shutdown.force.signal.aborted) onForce();
      else if (shutdown.interrupt.signal.aborted) onInterrupt();
      let status: Deno.CommandStatus;
      try {
        status = await child.status;
      } finally {
        shutdown.interrupt.signal.removeEventListener("abort", onInterrupt);
        shutdown.force.signal.removeEventListener("abort", onForce);
        await writer.close().catch(() => {});
      }
      if (shutdown.stoppedBy !== undefined) return signalExitCode(shutdown.stoppedBy);
      if (status.code === RELOAD_EXIT) continue;
      return status.signal === null
        ? status.code
        : 128 + ((SIGNALS as Record<string, number>)[status.signal] ?? 1);
    }
  } finally {
    Deno.removeSync(state);
  }
}
