/**
 * Route `console` output written by jobs into their logs, so it is attributed
 * to the job and never corrupts the JSON stream on stdout.
 *
 * @module
 */

import { formatLog } from "../engine/context.ts";
import type { EventSink } from "../events.ts";
import type { JobScope } from "../engine/scope.ts";

type Method = "log" | "info" | "debug" | "warn" | "error";
const STREAMS: Record<Method, "stdout" | "stderr"> = {
  log: "stdout",
  info: "stdout",
  debug: "stdout",
  warn: "stderr",
  error: "stderr",
};

/**
 * Replace the `console` methods so that output inside a job becomes that
 * job's `job:log` events; output outside every job goes to `fallback`.
 *
 * @param target The console to patch.
 * @param scope Tells which job is running.
 * @param emit Receives the log events.
 * @param fallback Receives lines written outside every job.
 * @returns A function that restores the console.
 *
 * @example Usage
 * ```ts
 * import { captureConsole } from "./console_capture.ts";
 * import { JobScope } from "../engine/scope.ts";
 * import type { GatherEvent } from "../events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const scope = new JobScope();
 * const events: GatherEvent[] = [];
 * const target = { ...console };
 * const restore = captureConsole(target, scope, (e) => events.push(e), () => {});
 * scope.run("build", () => target.log("hello"));
 * restore();
 * assertEquals(events.length, 1);
 * ```
 */
export function captureConsole(
  target: Pick<Console, Method>,
  scope: JobScope,
  emit: EventSink,
  fallback: (text: string, stream: "stdout" | "stderr") => void,
): () => void {
  const saved = { ...target };
  for (const method of Object.keys(STREAMS) as Method[]) {
    const stream = STREAMS[method];
    target[method] = (...args: unknown[]) => {
      const text = formatLog(args);
      const job = scope.current();
      if (job === undefined) return fallback(text, stream);
      for (const line of text.split("\n")) {
        emit({ type: "job:log", time: Date.now(), job, line, stream });
      }
    };
  }
  return () => Object.assign(target, saved);
}
