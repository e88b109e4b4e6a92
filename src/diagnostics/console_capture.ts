/**
 * Route what jobs write (every `console` method, and raw writes to the
 * standard streams: `Deno.stdout.write`/`writeSync`/`writable`, and
 * `process.stdout.write`) into their logs, so it is attributed to the job and
 * never corrupts the JSON stream on stdout or the live display. Everything is
 * put back exactly as it was by `restore()`.
 *
 * @module
 */

import { drawTable } from "./_table.ts";
import { formatLog } from "../engine/format_log.ts";
import type { JobScope } from "../engine/scope.ts";
import type { EventSink } from "../events.ts";
import { JobLines, type StdStreamName } from "./_job_lines.ts";
import {
  type NodeStream,
  patchDenoStream,
  Patches,
  patchNodeStream,
  type StdStream,
} from "./_stream_capture.ts";

export type { StdStreamName } from "./_job_lines.ts";
export type { NodeStream, StdStream } from "./_stream_capture.ts";

/** What {@linkcode captureConsole} patches. */
export interface CaptureTargets {
  /** The console. */
  console: Console;
  /** Standard output: writes inside a job go to its log, others to the fallback. @default {left alone} */
  stdout?: StdStream;
  /** Standard error: writes inside a job go to its log, others pass through. @default {left alone} */
  stderr?: StdStream;
  /** node's `process.stdout` and `process.stderr`, the same way. @default {left alone} */
  process?: { stdout: NodeStream; stderr: NodeStream };
  /**
   * Turns a string written to a node stream with an encoding other than
   * UTF-8 (`write("ff", "hex")`) into bytes: node's `Buffer.from`, passed in
   * so that `node:buffer` loads only where node's streams are patched.
   * @default {UTF-8 whatever the encoding}
   */
  encode?: (text: string, encoding: string) => Uint8Array;
}

/** A capture in place. */
export interface OutputCapture {
  /**
   * A job ended: emit its unfinished line now, before its `job:end`.
   *
   * @param job The job.
   */
  endJob(job: string): void;
  /** Put every patched property back as it was, and hand on unfinished lines. */
  restore(): void;
}

/** Where each console method writes, as Deno's console does. */
const CONSOLE_STREAMS = {
  log: "stdout",
  info: "stdout",
  debug: "stdout",
  dirxml: "stdout",
  warn: "stderr",
  error: "stderr",
} as const;

/**
 * Patch the console (and the standard streams, if given) so that output
 * inside a job becomes that job's `job:log` events; console output outside
 * every job goes to `fallback`, as do raw writes to stdout (the run owns it),
 * while raw writes to stderr outside every job pass through.
 *
 * Groups (`console.group`), counters and timers are kept per job, so jobs
 * running side by side do not indent or count each other's lines.
 * `console.clear()` does nothing while the run owns the screen.
 *
 * @param targets The console and standard streams to patch.
 * @param scope Tells which job is running.
 * @param emit Receives the log events.
 * @param fallback Receives whole lines written outside every job.
 * @returns The capture: `endJob` flushes a job's unfinished line, `restore` undoes it all.
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
 * const capture = captureConsole({ console: target }, scope, (e) => events.push(e), () => {});
 * scope.run("build", () => target.count("step"));
 * capture.restore();
 * assertEquals(events.map((e) => e.type === "job:log" ? e.line : ""), ["step: 1"]);
 * ```
 */
export function captureConsole(
  targets: CaptureTargets,
  scope: Pick<JobScope, "current">,
  emit: EventSink,
  fallback: (text: string, stream: StdStreamName) => void,
): OutputCapture {
  const lines = new JobLines(emit, fallback);
  const patches = new Patches();
  const depth = new Map<string | undefined, number>();
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();

  /** Console text: indented by the job's open groups, ending a line. */
  const say = (stream: StdStreamName, text: string) => {
    const job = scope.current();
    const indent = "  ".repeat(depth.get(job) ?? 0);
    const body = indent === "" ? text : indent + text.replaceAll("\n", `\n${indent}`);
    lines.text(job, stream, body + "\n");
  };
  const keyed = (label: unknown) => `${scope.current() ?? ""}\0${String(label ?? "default")}`;
  const labelOf = (key: string) => key.slice(key.indexOf("\0") + 1);
  const elapsed = (key: string) =>
    `${labelOf(key)}: ${+(performance.now() - timers.get(key)!).toFixed(3)}ms`;
  const trace = (...args: unknown[]) => {
    const error = { name: "Trace", message: formatLog(args), stack: "" };
    Error.captureStackTrace(error, trace);
    say("stderr", error.stack);
  };

  const methods: Partial<Record<keyof Console, (...args: unknown[]) => void>> = {
    dir: (value, options) =>
      say(
        "stdout",
        typeof value === "string" ? value : Deno.inspect(value, {
          ...(options as Deno.InspectOptions | undefined),
          colors: false,
        }),
      ),
    table: (data, properties) =>
      say("stdout", drawTable(data, Array.isArray(properties) ? properties : undefined)),
    count: (label) => {
      const key = keyed(label);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      say("stdout", `${labelOf(key)}: ${n}`);
    },
    countReset: (label) => {
      const key = keyed(label);
      if (counts.delete(key)) return;
      say("stderr", `Count for '${labelOf(key)}' does not exist`);
    },
    time: (label) => {
      const key = keyed(label);
      if (timers.has(key)) return say("stderr", `Timer '${labelOf(key)}' already exists`);
      timers.set(key, performance.now());
    },
    timeLog: (label, ...data) => {
      const key = keyed(label);
      if (!timers.has(key)) return say("stderr", `Timer '${labelOf(key)}' does not exist`);
      say("stdout", formatLog([elapsed(key), ...data]));
    },
    timeEnd: (label) => {
      const key = keyed(label);
      if (!timers.has(key)) return say("stderr", `Timer '${labelOf(key)}' does not exist`);
      say("stdout", elapsed(key));
      timers.delete(key);
    },
    trace,
    assert: (condition, ...data) => {
      if (condition) return;
      say(
        "stderr",
        data.length === 0 ? "Assertion failed" : `Assertion failed: ${formatLog(data)}`,
      );
    },
    group: (...label) => {
      if (label.length > 0) say("stdout", formatLog(label));
      const job = scope.current();
      depth.set(job, (depth.get(job) ?? 0) + 1);
    },
    groupEnd: () => {
      const job = scope.current();
      const level = (depth.get(job) ?? 0) - 1;
      if (level > 0) depth.set(job, level);
      else depth.delete(job);
    },
    clear: () => {},
  };
  methods.groupCollapsed = methods.group!;
  for (const [method, stream] of Object.entries(CONSOLE_STREAMS)) {
    methods[method as keyof Console] = (...args) => say(stream, formatLog(args));
  }
  for (const [method, fn] of Object.entries(methods)) patches.set(targets.console, method, fn);

  for (const name of ["stdout", "stderr"] as const) {
    const stream = targets[name];
    if (stream) patchDenoStream(patches, stream, name, scope, lines);
    const node = targets.process?.[name];
    if (node) patchNodeStream(patches, node, name, scope, lines, targets.encode);
  }

  return {
    endJob: (job) => {
      lines.endJob(job);
      depth.delete(job);
    },
    restore: () => {
      patches.restore();
      lines.close();
    },
  };
}
