/**
 * Which job started each process a job started outside gather's machinery:
 * `new Deno.Command(...).spawn()` (its prototype patched) and
 * `node:child_process` (`spawn`, `exec`, `execFile`, `fork`: they do not go
 * through `Deno.Command#spawn`, but publish every process they start on
 * `node:diagnostics_channel`'s `child_process.spawn` tracing channel, whose
 * subscribers run in the caller's async context). A process is known while
 * it runs; the stray sweep names the job it reports a stray under from this.
 *
 * @module
 */

import { subscribe, unsubscribe } from "node:diagnostics_channel";

/** Where `node:child_process` publishes each process it started, with its pid. */
const SPAWNED = "tracing:child_process.spawn:end";

/** What the tracing channel gives a subscriber: the `ChildProcess`, once it has its pid. */
interface SpawnMessage {
  process?: { pid?: number; once?: (event: "exit", listener: () => void) => unknown };
}

/**
 * The owners of the processes jobs start without `ctx.sh`.
 *
 * @example Usage
 * ```ts
 * import { SpawnOwners } from "./spawn_owners.ts";
 * import { spawn } from "node:child_process";
 * import { assertEquals } from "@std/assert";
 *
 * let job: string | undefined = "serve";
 * const owners = new SpawnOwners(() => job);
 * const restore = owners.watch();
 * const command = new Deno.Command("sleep", { args: ["30.5"] }).spawn();
 * const node = spawn("sleep", ["30.5"], { stdio: "ignore" });
 * job = undefined;
 * restore();
 * assertEquals([owners.owner(command.pid), owners.owner(node.pid!)], ["serve", "serve"]);
 * assertEquals(owners.pidsOf("serve").size, 2);
 * command.kill();
 * node.kill();
 * await command.status;
 * await new Promise((resolve) => node.once("exit", resolve));
 * assertEquals(owners.pidsOf("serve").size, 0); // forgotten once they end
 * ```
 */
export class SpawnOwners {
  #current: () => string | undefined;
  /** The job that started each process, while it runs. */
  #owners = new Map<number, string>();

  /**
   * Set up the tracking.
   *
   * @param current The job running the calling code, if any (a `JobScope`'s `current`).
   */
  constructor(current: () => string | undefined) {
    this.#current = current;
  }

  /**
   * The job that started a process still running.
   *
   * @param pid The process.
   * @returns The job's name; `undefined` when no job's code started it (or it ended).
   */
  owner(pid: number): string | undefined {
    return this.#owners.get(pid);
  }

  /**
   * The processes a job started that still run.
   *
   * @param job The job.
   * @returns Their pids.
   */
  pidsOf(job: string): Set<number> {
    return new Set([...this.#owners].filter(([, owner]) => owner === job).map(([pid]) => pid));
  }

  /**
   * Note who starts each process from now on. `Deno.Command` is a getter
   * that loads Deno's process module (~4 ms) on first use: its prototype is
   * patched then, so a run that starts no process does not pay for it.
   *
   * @returns Puts the real `Deno.Command` and `spawn` back, and stops listening.
   */
  watch(): () => void {
    const unpatch = this.#patchCommand();
    const spawned = (message: unknown) => {
      const child = (message as SpawnMessage).process;
      if (child?.pid !== undefined) this.#note(child.pid, (end) => child.once?.("exit", end));
    };
    subscribe(SPAWNED, spawned);
    return () => {
      unsubscribe(SPAWNED, spawned);
      unpatch();
    };
  }

  /** Note the job running now as the owner of `pid`, until `onEnd` says it ended. */
  #note(pid: number, onEnd: (end: () => void) => void): void {
    const job = this.#current();
    if (job === undefined) return;
    this.#owners.set(pid, job);
    onEnd(() => {
      if (this.#owners.get(pid) === job) this.#owners.delete(pid);
    });
  }

  #patchCommand(): () => void {
    let patched: { prototype: Deno.Command; real: Deno.Command["spawn"] } | undefined;
    const note = (pid: number, status: Promise<unknown>) =>
      this.#note(pid, (end) => void status.finally(end).catch(() => {}));
    const patch = (command: typeof Deno.Command) => {
      if (patched !== undefined) return;
      const { prototype } = command;
      const real = prototype.spawn;
      patched = { prototype, real };
      prototype.spawn = function (this: Deno.Command): Deno.ChildProcess {
        const child = real.call(this);
        note(child.pid, child.status);
        return child;
      };
    };
    const descriptor = Object.getOwnPropertyDescriptor(Deno, "Command");
    const lazy = descriptor?.get !== undefined && descriptor.configurable === true;
    if (lazy) {
      Object.defineProperty(Deno, "Command", {
        ...descriptor,
        get() {
          const command = descriptor.get!.call(Deno) as typeof Deno.Command;
          patch(command);
          return command;
        },
      });
    } else {
      patch(Deno.Command);
    }
    return () => {
      if (lazy) Object.defineProperty(Deno, "Command", descriptor!);
      if (patched !== undefined) patched.prototype.spawn = patched.real;
    };
  }
}
