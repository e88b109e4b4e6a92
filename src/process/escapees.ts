/**
 * Processes that left their command's process group (`setsid cmd &`, a
 * double-forked daemon), found by the marker every command's environment
 * carries and its descendants inherit.
 *
 * @module
 */

import { threadChildren } from "./children.ts";

/**
 * The environment variable that marks every process gather's machinery
 * starts: `GATHER_TREE=<gather's pid>-<run>.<n>` for a command and what it
 * starts, `GATHER_TREE=<gather's pid>-watchdog` for the watchdog.
 */
export const MARKER = "GATHER_TREE";

/** A process that carries a command's marker but is outside its group. */
export interface Escapee {
  /** Its process id. */
  pid: number;
  /** Its process group, to signal it with its own children. */
  pgrp: number;
  /** Its command name, as `/proc/<pid>/stat` gives it. */
  name: string;
}

/**
 * The children of gather's main thread: where orphans go when gather is a
 * child subreaper (cheap: one small read).
 *
 * @returns Their pids; none where `/proc` cannot tell.
 *
 * @example Usage
 * ```ts
 * import { adoptedChildren } from "./escapees.ts";
 * import { assert } from "@std/assert";
 *
 * assert(Array.isArray(adoptedChildren()));
 * ```
 */
export function adoptedChildren(): number[] {
  return threadChildren(Deno.pid, Deno.pid);
}

/**
 * The adopted children of gather that have ended (zombies) and were in one of
 * `groups`: what came to gather from a command's tree, which nothing but
 * gather can reap. A group's members all descend from the command that made
 * it, so a child of gather in it is an orphan gather adopted, or `leader`,
 * the command itself, which its spawner reaps (it is left out).
 *
 * @param groups The command's process group and its escaped processes' groups.
 * @param leader The command's own pid.
 * @param children gather's children, as {@linkcode adoptedChildren} just read them.
 * @returns Their pids.
 *
 * @example Usage
 * ```ts
 * import { adoptedChildren, adoptedZombies } from "./escapees.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(adoptedZombies(new Set([0]), 0, adoptedChildren()), []);
 * ```
 */
export function adoptedZombies(
  groups: ReadonlySet<number>,
  leader: number,
  children: readonly number[],
): number[] {
  return children.filter((pid) => {
    if (pid === leader) return false;
    const stat = procStat(pid);
    return stat?.state === "Z" && groups.has(stat.pgrp);
  });
}

/** What `/proc/<pid>/stat` says of a process. */
export interface ProcStat {
  /** `R`, `S`, `D`, `Z` (ended, not yet reaped), ... */
  state: string;
  /** Its parent. */
  ppid: number;
  /** Its process group. */
  pgrp: number;
  /** Its command name (15 characters at most). */
  name: string;
  /** When it started, in clock ticks since boot: with the pid, tells it from a later process. */
  startTime: number;
}

/**
 * A process's state, parent, group, name and start time, from `/proc/<pid>/stat`.
 *
 * @param pid The process.
 * @returns What it says; `undefined` once the process is gone (or without `/proc`).
 *
 * @example Usage
 * ```ts
 * import { procStat } from "./escapees.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(procStat(Deno.pid)?.state !== "Z", true);
 * ```
 */
export function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // pid (name) state ppid pgrp ...: the name may hold spaces and parentheses.
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  return {
    state: fields[0]!,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    name: stat.slice(stat.indexOf("(") + 1, close),
    startTime: Number(fields[19]),
  };
}

/**
 * The live processes among `pids` (or among all processes) whose environment
 * holds `marker`, outside process group `pgid`.
 *
 * @param marker The `NAME=value` the command was started with.
 * @param pgid The command's own group, already handled by group signals.
 * @param pids Where to look: some pids, or `"all"` of `/proc` (a few ms).
 * @returns What was found.
 *
 * @example Usage
 * ```ts
 * import { findEscapees } from "./escapees.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(findEscapees("GATHER_TREE=none.1", 0, "all"), []);
 * ```
 */
export function findEscapees(
  marker: string,
  pgid: number,
  pids: Iterable<number> | "all",
): Escapee[] {
  const needle = new TextEncoder().encode(`${marker}\0`);
  const found: Escapee[] = [];
  for (const pid of pids === "all" ? allPids() : pids) {
    const stat = procStat(pid);
    if (stat === undefined || stat.state === "Z" || stat.pgrp === pgid) continue;
    let environ: Uint8Array;
    try {
      environ = Deno.readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (holds(environ, needle)) found.push({ pid, pgrp: stat.pgrp, name: stat.name });
  }
  return found;
}

function* allPids(): Iterable<number> {
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (/^\d+$/.test(entry.name)) yield Number(entry.name);
    }
  } catch {
    // no /proc
  }
}

/**
 * Whether `environ` (NUL-separated entries) has an entry that starts with
 * `needle`: equal to it when `needle` ends in NUL.
 *
 * @param environ The bytes of `/proc/<pid>/environ`.
 * @param needle What an entry starts with.
 * @returns Whether one does.
 *
 * @example Usage
 * ```ts
 * import { holds } from "./escapees.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const environ = new TextEncoder().encode("A=1\0GATHER_TREE=12-ab.3\0");
 * const needle = (text: string) => new TextEncoder().encode(text);
 * assertEquals([holds(environ, needle("GATHER_TREE=12-")), holds(environ, needle("A=1\0"))], [true, true]);
 * assertEquals(holds(environ, needle("GATHER_TREE=1\0")), false);
 * ```
 */
export function holds(environ: Uint8Array, needle: Uint8Array): boolean {
  let start = 0;
  while (start < environ.length) {
    let i = 0;
    while (i < needle.length && environ[start + i] === needle[i]) i++;
    if (i === needle.length) return true;
    const end = environ.indexOf(0, start);
    if (end < 0) return false;
    start = end + 1;
  }
  return false;
}
