/**
 * The processes one command started: its process group, and the processes
 * that left the group (`setsid`, a double-forked daemon) but carry its
 * marker. Stopped with SIGTERM then SIGKILL after the grace period, or with
 * SIGKILL at once, and watched until none is left; what of it gather adopted
 * is reaped then.
 *
 * @module
 */

import { adoptedChildren, adoptedZombies, type Escapee, findEscapees } from "./escapees.ts";
import type { Spawner } from "./spawn.ts";

/**
 * A command's process tree.
 *
 * @example Usage
 * ```ts
 * import { ProcessTree } from "./process_tree.ts";
 * import { createSpawner } from "./spawn.ts";
 *
 * const spawner = createSpawner();
 * const child = await spawner.spawn(["sh", "-c", "sleep 30 & wait"]);
 * const tree = new ProcessTree(spawner, child.pid, child.marker, 1000);
 * tree.stop();
 * await tree.gone;
 * await child.status;
 * spawner.close();
 * ```
 */
export class ProcessTree {
  /** Settles when the group and every escaped process found are gone. */
  readonly gone: Promise<void>;
  #spawner: Spawner;
  #pgid: number;
  #marker: string;
  #graceMs: number;
  #stopping = false;
  #killing = false;
  #resolve!: () => void;
  #timers: ReturnType<typeof setTimeout>[] = [];
  /** Groups of escaped processes being stopped (their own group, or the pid alone as `-pid`). */
  #escaped = new Map<number, Escapee>();

  /**
   * Follow a command's tree.
   *
   * @param spawner What started it; signals its groups.
   * @param pgid Its process group.
   * @param marker The marker its environment carries.
   * @param graceMs How long SIGTERM gets before SIGKILL.
   */
  constructor(spawner: Spawner, pgid: number, marker: string, graceMs: number) {
    this.#spawner = spawner;
    this.#pgid = pgid;
    this.#marker = marker;
    this.#graceMs = graceMs;
    this.gone = new Promise((resolve) => this.#resolve = resolve);
  }

  /** SIGTERM the group (and escaped processes), SIGKILL them after the grace period. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#send("SIGTERM");
    const children = this.#settled();
    if (children !== undefined) return this.#finish(children);
    this.#timers.push(setTimeout(() => this.kill(), this.#graceMs));
    this.#watch(10);
  }

  /** SIGKILL the group and escaped processes now. */
  kill(): void {
    this.#stopping = true;
    this.#killing = true;
    this.#send("SIGKILL");
    this.#watch(10);
  }

  /**
   * Look for escaped processes in the whole process table (a few ms), and
   * stop them as the tree is being stopped: SIGTERM, then SIGKILL after the
   * grace period (SIGKILL at once once the tree is being killed).
   *
   * @returns What was found.
   */
  hunt(): Escapee[] {
    const found = findEscapees(this.#marker, this.#pgid, "all");
    if (found.length > 0) {
      this.#adopt(found);
      if (!this.#killing) this.#timers.push(setTimeout(() => this.kill(), this.#graceMs));
      this.#watch(10);
    }
    return found;
  }

  #adopt(found: Escapee[]): void {
    const signal = this.#killing ? "SIGKILL" : "SIGTERM";
    for (const escapee of found) {
      if (this.#escaped.has(escapee.pid)) continue;
      this.#escaped.set(escapee.pid, escapee);
      this.#signalEscapee(escapee, signal);
    }
  }

  #send(signal: "SIGTERM" | "SIGKILL"): void {
    this.#spawner.signalGroup(this.#pgid, signal);
    for (const escapee of this.#escaped.values()) this.#signalEscapee(escapee, signal);
  }

  #signalEscapee(escapee: Escapee, signal: "SIGTERM" | "SIGKILL"): void {
    // Its group, with its own children, when it leads one; else the process alone.
    if (escapee.pgrp === escapee.pid || !this.#spawner.signalProcess(escapee.pid, signal)) {
      this.#spawner.signalGroup(escapee.pgrp, signal);
    }
  }

  /**
   * Whether nothing of the tree is left: the group is empty, the escaped
   * processes known are gone, and (gather being a subreaper) no orphan of
   * the command has come to gather; new ones found are signalled.
   *
   * @returns `undefined` while something is left; else gather's children as
   * read to know it (none when gather adopts nothing), for the reaping.
   */
  #settled(): number[] | undefined {
    if (groupHasLiveMember(this.#spawner, this.#pgid) || this.#escapeesLive()) return undefined;
    if (!this.#spawner.adopting) return [];
    const children = adoptedChildren();
    const fresh = findEscapees(this.#marker, this.#pgid, children)
      .filter((escapee) => !this.#escaped.has(escapee.pid));
    if (fresh.length === 0) return children;
    this.#adopt(fresh);
    return undefined;
  }

  #watch(delayMs: number): void {
    this.#timers.push(setTimeout(() => {
      const children = this.#settled();
      if (children !== undefined) return this.#finish(children);
      this.#watch(Math.min(delayMs * 2, 100));
    }, delayMs));
  }

  #escapeesLive(): boolean {
    for (const escapee of this.#escaped.values()) {
      if (isLive(escapee.pid)) return true;
      if (escapee.pgrp !== escapee.pid && groupHasLiveMember(this.#spawner, escapee.pgrp)) {
        return true;
      }
    }
    return false;
  }

  #finish(children: readonly number[]): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    this.#reapAdopted(children);
    this.#resolve();
  }

  /**
   * Reap what of the tree came to gather (a subreaper) and has ended, killed
   * or not: nothing else waits for it, and a long-lived gather (`--watch`, a
   * worker) would keep its zombie.
   */
  #reapAdopted(children: readonly number[]): void {
    if (children.length === 0) return;
    const groups = new Set([this.#pgid]);
    for (const escapee of this.#escaped.values()) groups.add(escapee.pgrp);
    for (const pid of adoptedZombies(groups, this.#pgid, children)) this.#spawner.reap(pid);
  }
}

function isLive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Whether a process group has a member that is not a zombie. Zombies are
 * skipped because an init that reaps slowly keeps them for a second or more.
 */
function groupHasLiveMember(spawner: Spawner, pgid: number): boolean {
  if (!spawner.signalGroup(pgid, "SIGCONT")) return false;
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      } catch {
        continue;
      }
      // Fields after the command (which may hold spaces): state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") return true;
    }
    return false;
  } catch {
    return true; // no /proc: trust the signal probe
  }
}
