/**
 * How watch mode's supervisor and its child talk. The supervisor (the
 * process the user started) owns the signals: it forwards each one as a line
 * on the child's stdin (`interrupt SIGINT`, `force SIGINT`), and a closed
 * stdin (the supervisor died) stops the child too. The child exits with
 * {@linkcode RELOAD_EXIT} when the task file changed, after writing the next
 * run's number and why it runs to a small state file; the supervisor then
 * starts a new child, which loads the task file into a fresh module graph.
 *
 * @module
 */

import { TextLineStream } from "../deps/streams_text_line_stream.ts";
import type { Shutdown, StopSignal } from "../session/signals.ts";
import { STOP_SIGNALS } from "../session/signals.ts";

/** The variable that makes a gather process a watch child; its value is the state file. */
export const WATCH_CHILD_ENV = "GATHER_WATCH_CHILD";

/** A child's exit status that asks for a new child (the task file changed). */
export const RELOAD_EXIT = 75;

/** What a child hands to the next one. */
export interface ChildState {
  /** The next run's number. */
  run: number;
  /** Why it runs. */
  reason: string;
  /** The files that changed, relative to the root. */
  files: string[];
}

/**
 * Read the state a previous child left.
 *
 * @param path The state file.
 * @returns The state, or `undefined` for the first child.
 *
 * @example Usage
 * ```ts
 * import { readState, writeState } from "./protocol.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * assertEquals(readState(path), undefined);
 * writeState(path, { run: 3, reason: "task file changed", files: ["tasks.ts"] });
 * assertEquals(readState(path)?.run, 3);
 * await Deno.remove(path);
 * ```
 */
export function readState(path: string): ChildState | undefined {
  try {
    const state = JSON.parse(Deno.readTextFileSync(path));
    return typeof state?.run === "number" ? state : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Leave the state for the next child.
 *
 * @param path The state file.
 * @param state The next run's number and reason.
 */
export function writeState(path: string, state: ChildState): void {
  try {
    Deno.writeTextFileSync(path, JSON.stringify(state));
  } catch {
    // the next child counts from 1 again
  }
}

/**
 * Obey the supervisor: each line on stdin is a stop request; end of input
 * (the supervisor is gone, however it died) stops the child too.
 *
 * @param input The child's stdin.
 * @param shutdown The child's shutdown.
 *
 * @example Usage
 * ```ts
 * import { obeySupervisor } from "./protocol.ts";
 * import { Shutdown } from "../session/signals.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const shutdown = new Shutdown([]); // no signal listeners: only the supervisor's requests
 * const input = ReadableStream.from([new TextEncoder().encode("interrupt SIGTERM\n")]);
 * await obeySupervisor(input, shutdown);
 * assertEquals(shutdown.stoppedBy, "SIGTERM");
 * ```
 */
export async function obeySupervisor(
  input: ReadableStream<Uint8Array>,
  shutdown: Shutdown,
): Promise<void> {
  shutdown.signalsForce = false;
  try {
    const lines = input.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream());
    for await (const line of lines) {
      const [level, name] = line.trim().split(" ");
      const signal = (STOP_SIGNALS as readonly string[]).includes(name ?? "")
        ? name as StopSignal
        : "SIGINT";
      if (level === "interrupt" || level === "force") shutdown.request(level, signal);
    }
  } catch {
    // stdin closed under us
  }
  shutdown.request("interrupt", "SIGHUP");
}

/**
 * The supervisor's side: send a stop request to the child.
 *
 * @param writer The child's stdin.
 * @param level `interrupt` or `force`.
 * @param signal The signal it stands for.
 *
 * @example Usage
 * ```ts
 * import { tellChild } from "./protocol.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const sent: string[] = [];
 * const writer = new WritableStream<Uint8Array>({ write: (chunk) => void sent.push(new TextDecoder().decode(chunk)) }).getWriter();
 * tellChild(writer, "force", "SIGINT");
 * await writer.close();
 * assertEquals(sent, ["force SIGINT\n"]);
 * ```
 */
export function tellChild(
  writer: WritableStreamDefaultWriter<Uint8Array>,
  level: "interrupt" | "force",
  signal: StopSignal,
): void {
  writer.write(new TextEncoder().encode(`${level} ${signal}\n`)).catch(() => {});
}
