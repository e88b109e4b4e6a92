/**
 * Run the real `gather` CLI as a subprocess, for tests.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import type { GatherEvent } from "../src/events.ts";

/** The repository root. */
export const ROOT = new URL("../", import.meta.url).pathname;
/** The fixtures folder. */
export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/** What a CLI run produced. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode gather}. */
export interface GatherRunOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * Run `gather` with arguments and wait for it.
 *
 * @param args The command-line arguments.
 * @param options Working directory and extra environment.
 * @returns Exit code, stdout and stderr.
 */
export async function gather(args: string[], options: GatherRunOptions = {}): Promise<CliRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Parse NDJSON output into events.
 *
 * @param stdout The JSON reporter's output.
 * @returns The events.
 */
export function parseEvents(stdout: string): GatherEvent[] {
  return stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/**
 * The largest number of jobs running at once, from the order of start and end events.
 *
 * @param events The events of a run.
 * @param filter Count only these jobs.
 * @returns The peak.
 */
export function peakConcurrency(
  events: GatherEvent[],
  filter: (job: string) => boolean = () => true,
): number {
  let running = 0;
  let peak = 0;
  for (const event of events) {
    if (event.type === "job:start" && filter(event.job)) peak = Math.max(peak, ++running);
    if (event.type === "job:end" && event.started && filter(event.job)) running--;
  }
  return peak;
}

/**
 * Assert an event stream is complete: `run:start` first, `run:end` last,
 * exactly one `job:end` for every job of the run, and no job started after
 * the run was cancelled.
 *
 * @param events The events of a run.
 */
export function assertComplete(events: GatherEvent[]): void {
  assertEquals(events[0]?.type, "run:start");
  assertEquals(events.at(-1)?.type, "run:end");
  const jobs = (events[0] as Extract<GatherEvent, { type: "run:start" }>).jobs.map((j) => j.name);
  for (const job of jobs) {
    assertEquals(events.filter((e) => e.type === "job:end" && e.job === job).length, 1, job);
  }
  const cancelAt = events.findIndex((e) => e.type === "run:cancel");
  if (cancelAt >= 0) {
    assertEquals(
      events.slice(cancelAt).filter((e) => e.type === "job:start"),
      [],
      "a job started after cancellation",
    );
  }
}
