/**
 * Processes gather started outside its own machinery (a job's
 * `new Deno.Command(...).spawn()`, `node:child_process`, a task file's
 * top-level code) that are still running: gather's children without the
 * marker every process of `ctx.sh`, `ctx.exec`, `ctx.offload` and the
 * watchdog carries. Found through `/proc`; stopped by `stop_strays.ts`.
 *
 * @module
 */

import { childrenOf } from "./children.ts";
import { holds, MARKER, procStat } from "./escapees.ts";

/** A process gather started outside its machinery, still running. */
export interface StrayProcess {
  /** Its process id. */
  pid: number;
  /** Its command line, shortened: `sleep 3084`. */
  command: string;
  /** Its start time in clock ticks since boot (tells it from a later process with its pid). */
  startTime: number;
}

/**
 * gather's live children that its machinery did not start: none carries the
 * marker of this process (`GATHER_TREE=<pid>-`), none is one of `known`.
 *
 * @param known Pids to leave out (the run's live command groups).
 * @param self This process. @default {Deno.pid}
 * @returns What is left running, oldest first.
 *
 * @example Usage
 * ```ts
 * import { strayChildren } from "./strays.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const child = new Deno.Command("sleep", { args: ["5"] }).spawn();
 * const mine = strayChildren().filter((stray) => stray.pid === child.pid);
 * assertEquals(mine.map((stray) => stray.command), ["sleep 5"]);
 * child.kill();
 * await child.status;
 * ```
 */
export function strayChildren(
  known: ReadonlySet<number> = new Set(),
  self: number = Deno.pid,
): StrayProcess[] {
  const needle = new TextEncoder().encode(`${MARKER}=${self}-`);
  const strays: StrayProcess[] = [];
  const ownName = procStat(self)?.name;
  for (const pid of childrenOf(self)) {
    if (known.has(pid)) continue;
    const stat = procStat(pid);
    if (stat === undefined || stat.state === "Z" || carries(pid, needle)) continue;
    // A child being started, between its fork and its exec, still looks like gather itself.
    if (stat.name === ownName && sameCommandLine(pid, self)) continue;
    strays.push({ pid, command: commandOf(pid, stat.name), startTime: stat.startTime });
  }
  return strays.sort((a, b) => a.startTime - b.startTime);
}

/**
 * Name stray processes for a message: `sleep 3084 (pid 1234)`, the first few.
 *
 * @param strays The processes.
 * @param most How many to name. @default {3}
 * @returns Their names, joined.
 *
 * @example Usage
 * ```ts
 * import { describeStrays } from "./strays.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const strays = [1, 2, 3, 4].map((pid) => ({ pid, command: "sleep 9", startTime: 0 }));
 * assertEquals(
 *   describeStrays(strays),
 *   "sleep 9 (pid 1), sleep 9 (pid 2), sleep 9 (pid 3) and 1 more",
 * );
 * ```
 */
export function describeStrays(strays: readonly StrayProcess[], most = 3): string {
  const named = strays.slice(0, most).map((stray) => `${stray.command} (pid ${stray.pid})`);
  const more = strays.length - named.length;
  return more > 0 ? `${named.join(", ")} and ${more} more` : named.join(", ");
}

/** Whether the environment of `pid` has an entry that starts with `needle`; `false` if unreadable. */
function carries(pid: number, needle: Uint8Array): boolean {
  try {
    return holds(Deno.readFileSync(`/proc/${pid}/environ`), needle);
  } catch {
    return false;
  }
}

/** Whether two processes have the same command line (a fork not yet exec'd has its parent's). */
function sameCommandLine(pid: number, other: number): boolean {
  try {
    const [a, b] = [pid, other].map((p) => Deno.readFileSync(`/proc/${p}/cmdline`));
    return a!.length === b!.length && a!.every((byte, i) => byte === b![i]);
  } catch {
    return false;
  }
}

/** The command line of `pid`, shortened, else its name. */
function commandOf(pid: number, name: string): string {
  let line: string;
  try {
    const args = new TextDecoder().decode(Deno.readFileSync(`/proc/${pid}/cmdline`))
      .replace(/\0+$/, "").split("\0");
    line = args.map((arg) => /[\s"']/.test(arg) ? JSON.stringify(arg) : arg).join(" ");
  } catch {
    return name;
  }
  const shown = line.replace(/^\S*\//, ""); // /usr/bin/sleep 3084 → sleep 3084
  if (shown === "") return name;
  return shown.length > 60 ? `${shown.slice(0, 59)}…` : shown;
}
