/**
 * Helpers for watch-mode tests: a project in a temporary folder, and a
 * `gather --watch --reporter json` process whose events are split by run.
 *
 * @module
 */

import type { GatherEvent, WatchChangeEvent } from "../src/events.ts";
import { ROOT } from "./_cli.ts";
import { LiveGather } from "./_live.ts";

/** The gather module, for task files in temporary folders. */
export const MOD = `${ROOT}mod.ts`;

/**
 * Write a project into a new temporary folder.
 *
 * @param files File contents by path relative to the folder.
 * @returns The folder (its real path).
 */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-watch-" }));
  for (const [path, text] of Object.entries(files)) await write(dir, path, text);
  return dir;
}

/**
 * Write a file of a project, making its folder.
 *
 * @param dir The project.
 * @param path The file, relative to it.
 * @param text Its content.
 */
export async function write(dir: string, path: string, text: string): Promise<void> {
  const full = `${dir}/${path}`;
  await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(full, text);
}

/** A watch session under test. */
export class WatchSession {
  readonly live: LiveGather;

  /**
   * Start `gather --watch` in a project.
   *
   * @param dir The project.
   * @param args More arguments.
   * @param env Environment variables.
   * @param file The task file (`-f`); `null` for none (deno.json tasks).
   */
  constructor(
    dir: string,
    args: string[] = [],
    env: Record<string, string> = {},
    file: string | null = "tasks.ts",
  ) {
    const task = file === null ? [] : ["-f", file];
    this.live = new LiveGather(["--watch", "--no-logs", ...task, ...args], { cwd: dir, env });
  }

  /** The events of each run so far: `runs[0]` is run 1 (from its `watch:change`). */
  get runs(): GatherEvent[][] {
    const runs: GatherEvent[][] = [];
    for (const event of this.live.events) {
      if (event.type === "watch:change") runs.push([]);
      runs.at(-1)?.push(event);
    }
    return runs;
  }

  /** The `watch:change` events so far. */
  get changes(): WatchChangeEvent[] {
    return this.live.events.filter((e): e is WatchChangeEvent => e.type === "watch:change");
  }

  /**
   * Wait until run `n` has ended and watch mode waits for changes.
   *
   * @param n The run's number (from 1).
   * @param timeoutMs Give up after this long.
   */
  async waitForRun(n: number, timeoutMs = 20_000): Promise<void> {
    await this.live.waitFor(
      (events) => events.filter((e) => e.type === "watch:wait").length >= n,
      timeoutMs,
    );
  }

  /**
   * The jobs whose function ran in run `n` (each logs `ran <name>`; lines the
   * cache replays do not count).
   *
   * @param n The run's number.
   * @returns Their names, in the order they ran.
   */
  ran(n: number): string[] {
    return (this.runs[n - 1] ?? []).flatMap((e) =>
      e.type === "job:log" && e.line.startsWith("ran ") && !e.replayed ? [e.line.slice(4)] : []
    );
  }

  /** Ctrl-C, and how gather ended. */
  async stop(): Promise<Awaited<ReturnType<LiveGather["result"]>>> {
    this.live.kill("SIGINT");
    return await this.live.result();
  }
}

/**
 * Wait a little, for events that should not come.
 *
 * @param ms How long.
 */
export function quiet(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
