/**
 * Drive a running `gather` process: read its JSON events as they come, wait
 * for conditions, send it real signals, and collect how it ended.
 *
 * @module
 */

import { TextLineStream } from "@std/streams/text-line-stream";
import type { GatherEvent } from "../src/events.ts";
import { ROOT } from "./_cli.ts";

/** How a live run ended. */
export interface LiveResult {
  /** The exit code. */
  code: number;
  /** The signal that killed it, if one did. */
  signal: Deno.Signal | null;
  /** Every event it printed. */
  events: GatherEvent[];
  /** Its stderr. */
  stderr: string;
  /** When it exited, `performance.now()`. */
  exitedAt: number;
}

/** A `gather --reporter json` process under test. */
export class LiveGather {
  readonly events: GatherEvent[] = [];
  readonly stdoutLines: string[] = [];
  /** What gather has written to stderr so far, line by line. */
  readonly stderrLines: string[] = [];
  #child: Deno.ChildProcess;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  #result: Promise<LiveResult>;

  /**
   * Start gather with `--reporter json` and these arguments.
   *
   * @param args Command-line arguments.
   * @param options Working directory and environment.
   */
  constructor(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}main.ts`, "--reporter", "json", ...args],
      cwd: options.cwd ?? ROOT,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    const stdout = (async () => {
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
        new TextLineStream(),
      );
      for await (const line of lines) {
        this.stdoutLines.push(line);
        try {
          this.events.push(JSON.parse(line));
        } catch {
          // kept in stdoutLines; completeness checks will flag it
        }
        this.#wake();
      }
    })();
    const [whole, lined] = child.stderr.tee();
    const stderr = new Response(whole).text();
    const stderrRead = (async () => {
      const lines = lined.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream());
      for await (const line of lines) {
        this.stderrLines.push(line);
        this.#wake();
      }
    })();
    this.#result = (async () => {
      const status = await child.status;
      const exitedAt = performance.now();
      await stdout;
      await stderrRead;
      this.#wake();
      return {
        code: status.code,
        signal: status.signal,
        events: this.events,
        stderr: await stderr,
        exitedAt,
      };
    })();
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Wait until `test` holds over the events so far.
   *
   * @param test The condition.
   * @param timeoutMs Give up after this long.
   */
  async waitFor(test: (events: GatherEvent[]) => boolean, timeoutMs = 10_000): Promise<void> {
    if (test(this.events)) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) =>
        this.#waiters.push({ test: () => test(this.events), resolve })
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `timed out waiting; events so far:\n${this.stdoutLines.join("\n")}\nstderr:\n${
                  this.stderrLines.join("\n")
                }`,
              ),
            ),
          timeoutMs,
        );
      }),
      this.#result.then(() => {
        if (!test(this.events)) {
          throw new Error(`gather exited first:\n${this.stdoutLines.join("\n")}`);
        }
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /**
   * Send a signal to gather's own process (as CI systems and `kill` do).
   *
   * @param signal The signal.
   */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Wait for gather to exit. */
  result(): Promise<LiveResult> {
    return this.#result;
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.test()) return true;
      waiter.resolve();
      return false;
    });
  }
}

/**
 * Whether job `name` has logged `line`.
 *
 * @param name The job.
 * @param line The exact line.
 * @returns A condition for {@linkcode LiveGather.waitFor}.
 */
export function logged(name: string, line: string): (events: GatherEvent[]) => boolean {
  return (events) => events.some((e) => e.type === "job:log" && e.job === name && e.line === line);
}
