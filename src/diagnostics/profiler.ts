/**
 * An in-process sampling CPU profiler (`node:inspector`), kept running so
 * that when the event loop stalls, the samples taken during the stall are
 * already there. Also finds where a job's function lives in its script, which
 * needs no sampling: a profiler that was never started connects to ask.
 *
 * @module
 */

import { Session } from "node:inspector";
import type { CodeRange, CpuProfile } from "./stall_blame.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

const PROBE = "__gatherFunctionProbe";

/**
 * A running CPU profiler.
 *
 * @example Usage
 * ```ts ignore
 * import { Profiler } from "./profiler.ts";
 *
 * const profiler = new Profiler();
 * profiler.start(5_000);
 * const { profile, stoppedAt } = await profiler.take();
 * await profiler.close();
 * ```
 */
export class Profiler {
  #session: Session | undefined;
  #intervalUs = 5_000;
  #open = false;
  #ranges = new WeakMap<AnyFunction, Omit<CodeRange, "jobs"> | null>();
  #urls: Map<string, string> | undefined;

  /**
   * Start sampling, before this returns: the inspector does the work as each
   * message is posted (only its replies come later), so code that runs next
   * is sampled. Costs ~30 ms of the main thread, once.
   *
   * @param intervalUs Microseconds between samples.
   * @throws When there is no inspector to connect to.
   */
  start(intervalUs: number): void {
    this.#intervalUs = intervalUs;
    const session = this.#connect();
    const steps: [string, Record<string, unknown>][] = [
      ["Profiler.enable", {}],
      ["Profiler.setSamplingInterval", { interval: intervalUs }],
      ["Profiler.start", {}],
    ];
    // A failure shows when the samples are taken.
    for (const [method, params] of steps) session.post(method, params, () => {});
  }

  /**
   * Take the samples so far and start a fresh profile (which bounds memory).
   *
   * @returns The profile, and `performance.now()` when it was stopped.
   */
  async take(): Promise<{ profile: CpuProfile; stoppedAt: number }> {
    // The inspector stops and starts the profiler as each message is posted; the replies may
    // come much later (after a job that blocks the loop next): the time is taken, and the next
    // profile started, at once, so that no stall falls between two profiles.
    const stopping = this.#post<{ profile: CpuProfile }>("Profiler.stop");
    const stoppedAt = performance.now();
    const restarting = this.#post("Profiler.start");
    const [{ profile }] = await Promise.all([stopping, restarting]);
    return { profile, stoppedAt };
  }

  /**
   * Where a function lives: its script and the range of its source text.
   *
   * @param fn The function.
   * @returns The range, or `undefined` if the inspector cannot tell.
   */
  async codeRange(fn: AnyFunction): Promise<Omit<CodeRange, "jobs"> | undefined> {
    if (this.#ranges.has(fn)) return this.#ranges.get(fn) ?? undefined;
    let range: Omit<CodeRange, "jobs"> | null = null;
    const global = globalThis as Record<string, unknown>;
    try {
      global[PROBE] = fn;
      const { result } = await this.#post<{ result: { objectId?: string } }>("Runtime.evaluate", {
        expression: `globalThis.${PROBE}`,
        objectGroup: "gather",
      });
      if (result.objectId) {
        const { internalProperties = [] } = await this.#post<{
          internalProperties?: {
            name: string;
            value?: { value?: { scriptId: string; lineNumber: number; columnNumber: number } };
          }[];
        }>("Runtime.getProperties", { objectId: result.objectId, ownProperties: true });
        const location = internalProperties.find((p) => p.name === "[[FunctionLocation]]")?.value
          ?.value;
        if (location) {
          const text = Function.prototype.toString.call(fn);
          const lines = text.split("\n");
          const endLine = location.lineNumber + lines.length - 1;
          const endColumn = lines.length === 1
            ? location.columnNumber + text.length
            : lines.at(-1)!.length;
          range = {
            scriptId: location.scriptId,
            startLine: location.lineNumber,
            startColumn: location.columnNumber,
            endLine,
            endColumn,
          };
        }
      }
      await this.#post("Runtime.releaseObjectGroup", { objectGroup: "gather" });
    } catch {
      range = null;
    } finally {
      delete global[PROBE];
    }
    this.#ranges.set(fn, range);
    return range ?? undefined;
  }

  /**
   * The URL of a script, by the id {@linkcode Profiler.codeRange} gives. The
   * first call lists the scripts (V8's best-effort coverage: ~25 ms, once).
   *
   * @param scriptId The script's id.
   * @returns Its URL, or `undefined` if the inspector cannot tell.
   */
  async scriptUrl(scriptId: string): Promise<string | undefined> {
    try {
      if (!this.#urls?.has(scriptId)) { // a script loaded since the last listing
        const { result } = await this.#post<{ result: { scriptId: string; url: string }[] }>(
          "Profiler.getBestEffortCoverage",
        );
        this.#urls = new Map(result.map((script) => [script.scriptId, script.url]));
      }
      return this.#urls.get(scriptId) || undefined;
    } catch {
      return undefined;
    }
  }

  /** The sampling interval in milliseconds. */
  get intervalMs(): number {
    return this.#intervalUs / 1000;
  }

  /** Stop profiling and disconnect. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    try {
      await this.#post("Profiler.disable"); // also ends the recording, without sending it over
    } finally {
      this.#session?.disconnect();
    }
  }

  /** The inspector session, connected on first use. */
  #connect(): Session {
    if (this.#session === undefined) {
      const session = new Session();
      session.connect();
      this.#session = session;
      this.#open = true;
    }
    return this.#session;
  }

  #post<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      const session = this.#connect();
      session.post(
        method,
        params,
        (error: Error | null, result: unknown) => error ? reject(error) : resolve(result as T),
      );
    });
  }
}
