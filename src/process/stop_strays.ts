/**
 * Stopping the stray processes {@linkcode strayChildren} finds, and what they
 * started: SIGTERM, SIGKILL after the grace period, one pid at a time (never
 * gather's own process group, which a script shares with gather), each pid
 * checked against its start time first. Never reaped here: `Deno.Command`
 * owns its children.
 *
 * @module
 */

import { procStat } from "./escapees.ts";
import { childrenOf } from "./children.ts";
import { strayChildren, type StrayProcess } from "./strays.ts";

/** Options of {@linkcode stopStrays}. */
export interface StopStraysOptions {
  /** How long SIGTERM gets before SIGKILL, in ms. */
  graceMs: number;
  /** Aborting it sends SIGKILL at once. */
  force?: AbortSignal;
  /** Processes of gather's that are not strays (the run's command groups). @default {none} */
  known?: ReadonlySet<number>;
  /** Which of gather's children that show up meanwhile to stop too. @default {all} */
  only?: (stray: StrayProcess) => boolean;
}

/** How stopping went. */
export interface StrayStop {
  /**
   * `terminated`: SIGTERM stopped them all; `killed`: some outlived SIGTERM
   * for the grace period and got SIGKILL; `forced`: SIGKILL when `force`
   * aborted.
   */
  how: "terminated" | "killed" | "forced";
  /** The strays stopped: those given and those that came to gather meanwhile (not their children). */
  strays: StrayProcess[];
}

/**
 * Stop stray processes and everything they started: SIGTERM to each, SIGKILL
 * to what is left when the grace period ends (or at once when `force`
 * aborts), and wait until none is running. Processes that come to gather
 * meanwhile (orphans of a stray, gather being a subreaper) are stopped too.
 *
 * @param strays What {@linkcode strayChildren} found.
 * @param options Grace period, the signal to stop at once, gather's known processes.
 * @returns How they were stopped, and which of gather's children were.
 *
 * @example Usage
 * ```ts
 * import { stopStrays } from "./stop_strays.ts";
 * import { strayChildren } from "./strays.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const child = new Deno.Command("sh", { args: ["-c", "sleep 30 & sleep 30; wait"] }).spawn();
 * // Only this one: the other children of a test process are not ours to stop.
 * const only = (stray: { pid: number }) => stray.pid === child.pid;
 * const stopped = await stopStrays(strayChildren().filter(only), { graceMs: 1000, only });
 * assertEquals([stopped.how, (await child.status).signal], ["terminated", "SIGTERM"]);
 * ```
 */
export async function stopStrays(
  strays: readonly StrayProcess[],
  options: StopStraysOptions,
): Promise<StrayStop> {
  const self = Deno.pid;
  const tracked = new Map<number, number>(); // pid → start time
  const stopped = [...strays];
  let signal: "SIGTERM" | "SIGKILL" = options.force?.aborted ? "SIGKILL" : "SIGTERM";
  let how: StrayStop["how"] = signal === "SIGKILL" ? "forced" : "terminated";
  // A process's children are read before it is signalled: a shell that dies of its SIGTERM
  // leaves its children to init, where they are not found again (gather is a subreaper only
  // once it has run a command of its own).
  const track = (pid: number, startTime: number) => {
    if (tracked.has(pid)) return;
    tracked.set(pid, startTime);
    const children = liveChildren(pid);
    send(pid, startTime, signal);
    for (const child of children) track(child.pid, child.startTime);
  };
  // Parents first, then what they started, found again at every look: a shell may start more.
  const follow = () => {
    for (const stray of strayChildren(options.known, self)) {
      if (tracked.has(stray.pid) || !(options.only?.(stray) ?? true)) continue;
      stopped.push(stray);
      track(stray.pid, stray.startTime);
    }
    for (const [pid, startTime] of tracked) {
      if (!running(pid, startTime)) continue; // a later process with its pid has none of them
      for (const child of liveChildren(pid)) track(child.pid, child.startTime);
    }
  };
  for (const stray of strays) track(stray.pid, stray.startTime);
  follow();
  const kill = (why: "killed" | "forced") => {
    if (signal === "SIGKILL") return;
    signal = "SIGKILL";
    let sent = false;
    for (const [pid, startTime] of tracked) sent = send(pid, startTime, signal) || sent;
    if (sent) how = why;
  };
  const timer = setTimeout(() => kill("killed"), options.graceMs);
  const onForce = () => kill("forced");
  options.force?.addEventListener("abort", onForce, { once: true });
  try {
    // A process stuck in the kernel may outlive even SIGKILL for a while: do not wait forever.
    const giveUpAt = performance.now() + options.graceMs + 2_000;
    for (let delay = 5; performance.now() < giveUpAt; delay = Math.min(delay * 2, 100)) {
      follow();
      if (![...tracked].some(([pid, startTime]) => running(pid, startTime))) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  } finally {
    clearTimeout(timer);
    options.force?.removeEventListener("abort", onForce);
  }
  return { how, strays: stopped };
}

/**
 * How strays were stopped, for a message.
 *
 * @param how What {@linkcode stopStrays} said.
 * @param count How many there were.
 * @param graceMs The grace period.
 * @returns `stopped it (SIGTERM)`, and the like.
 *
 * @example Usage
 * ```ts
 * import { stoppedHow } from "./stop_strays.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(stoppedHow("killed", 2, 5000), "killed them (SIGKILL): SIGTERM had not stopped them within 5000ms");
 * ```
 */
export function stoppedHow(how: StrayStop["how"], count: number, graceMs: number): string {
  const them = count === 1 ? "it" : "them";
  switch (how) {
    case "terminated":
      return `stopped ${them} (SIGTERM)`;
    case "killed":
      return `killed ${them} (SIGKILL): SIGTERM had not stopped ${them} within ${graceMs}ms`;
    case "forced":
      return `killed ${them} (SIGKILL) when told to stop at once`;
  }
}

/** The live children of a process, with their start times. */
function liveChildren(pid: number): { pid: number; startTime: number }[] {
  return childrenOf(pid).flatMap((child) => {
    const stat = procStat(child);
    return stat === undefined || stat.state === "Z"
      ? []
      : [{ pid: child, startTime: stat.startTime }];
  });
}

/** Signal a process if it is still the one that started at `startTime`. */
function send(pid: number, startTime: number, signal: "SIGTERM" | "SIGKILL"): boolean {
  if (!running(pid, startTime)) return false;
  try {
    Deno.kill(pid, signal);
    return true;
  } catch {
    return false; // gone meanwhile
  }
}

/** Whether a process is running (not ended, not a later process with its pid). */
function running(pid: number, startTime: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.startTime === startTime;
}
