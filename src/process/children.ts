/**
 * A process's children, from `/proc`, and killing whole trees of them at
 * once: what gather needs to leave no process behind when it must exit now.
 *
 * @module
 */

/**
 * The children of a process, from every one of its threads (gather starts
 * commands from a thread pool, and `Deno.Command` from the main thread).
 *
 * @param pid The process.
 * @returns Their pids; none where `/proc` cannot tell.
 *
 * @example Usage
 * ```ts
 * import { childrenOf } from "./children.ts";
 * import { assert } from "@std/assert";
 *
 * const child = new Deno.Command("sleep", { args: ["5"] }).spawn();
 * assert(childrenOf(Deno.pid).includes(child.pid));
 * child.kill();
 * await child.status;
 * ```
 */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      found.push(...threadChildren(pid, Number(task.name)));
    }
  } catch {
    // gone, or no /proc
  }
  return found;
}

/**
 * The children one thread of a process started (or, for a child subreaper,
 * adopted): one small read of `/proc`.
 *
 * @param pid The process.
 * @param thread The thread's id (the process's own pid for its main thread).
 * @returns Their pids; none when the thread ended or `/proc` cannot tell.
 *
 * @example Usage
 * ```ts
 * import { threadChildren } from "./children.ts";
 * import { assert } from "@std/assert";
 *
 * const child = new Deno.Command("sleep", { args: ["5"] }).spawn();
 * const threads = [...Deno.readDirSync(`/proc/${Deno.pid}/task`)].map((task) => Number(task.name));
 * assert(threads.some((thread) => threadChildren(Deno.pid, thread).includes(child.pid)));
 * child.kill();
 * await child.status;
 * ```
 */
export function threadChildren(pid: number, thread: number): number[] {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${thread}/children`);
    return text.split(" ").filter((child) => child !== "").map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILL processes and everything they started, now, without waiting: for
 * an exit that cannot wait (`Deno.exit()` called by a task file). The trees
 * are read first, then killed, so a parent's death cannot hide its children.
 * Never gather's own process group: one pid at a time.
 *
 * @param pids The processes.
 *
 * @example Usage
 * ```ts
 * import { killTreesNow } from "./children.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
 * killTreesNow([child.pid]);
 * assertEquals((await child.status).signal, "SIGKILL");
 * ```
 */
export function killTreesNow(pids: readonly number[]): void {
  const tree = new Set<number>();
  const add = (pid: number) => {
    if (tree.has(pid) || pid === Deno.pid) return;
    tree.add(pid);
    for (const child of childrenOf(pid)) add(child);
  };
  for (const pid of pids) add(pid);
  for (const pid of tree) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}
