/**
 * The context a job receives: its signal, its log, its dependencies' results
 * and subprocesses that die with it.
 *
 * @module
 */

import type { EventSink } from "./events.ts";
import { isJob, type Job } from "./job.ts";
import { type CommandResult, runCommand } from "./process.ts";
import { shellCommand, type ShellValue } from "./shell.ts";

export type { CommandResult } from "./process.ts";
export type { ShellValue } from "./shell.ts";

/** Options of `ctx.exec`. */
export interface ExecOptions {
  /** The working directory. @default {the current directory} */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** What a job's function receives. */
export interface JobContext {
  /** The job's name. */
  readonly name: string;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  /** Aborts on cancellation, timeout or fail-fast: pass it to `fetch` and friends. */
  readonly signal: AbortSignal;
  /**
   * Write a line to the job's log (several lines if the text has newlines).
   *
   * @param args Values, formatted as `console.log` does.
   */
  log(...args: unknown[]): void;
  /**
   * The result of a dependency.
   *
   * @param dep The dependency's handle: the result is typed from it.
   * @returns What the dependency returned.
   * @throws {TypeError} If `dep` is not one of this job's `deps`.
   */
  result<T>(dep: Job<T>): T;
  /**
   * The result of a dependency named by a string.
   *
   * @param dep The dependency's name.
   * @returns What the dependency returned.
   */
  result(dep: string): unknown;
  /**
   * Run a command in a subprocess: interpolations are quoted, never re-split.
   * Output lines stream into the job's log; the process tree is stopped when
   * the job's signal aborts.
   *
   * @param strings The literal parts of the command.
   * @param values The interpolated values.
   * @returns The exit code and output.
   * @throws {GatherError} On a non-zero exit, with the code and the last stderr lines.
   */
  sh(strings: TemplateStringsArray, ...values: ShellValue[]): Promise<CommandResult>;
  /**
   * Run a program with arguments, no shell involved, like `sh` otherwise.
   *
   * @param program The program.
   * @param args Its arguments.
   * @param options Working directory and environment.
   * @returns The exit code and output.
   */
  exec(program: string, args?: readonly string[], options?: ExecOptions): Promise<CommandResult>;
}

/** What the scheduler gives each context. */
export interface ContextEnv {
  /** The job's name. */
  name: string;
  /** The attempt number. */
  attempt: number;
  /** The attempt's signal, created when first read. */
  signal: () => AbortSignal;
  /** Results of the job's dependencies, by name. */
  results: ReadonlyMap<string, unknown>;
  /** The name of a job handle. */
  nameOf: (handle: Job<unknown>) => string | undefined;
  /** Where log lines go. */
  emit: EventSink;
  /** Process settings shared by the run. */
  process: {
    graceMs: number;
    forceSignal: AbortSignal;
    registry: Set<Promise<unknown>>;
  };
}

/**
 * Create the context for one attempt of a job.
 *
 * @param env What the scheduler knows of the job.
 * @returns The context.
 *
 * @example Usage
 * ```ts
 * import { createContext } from "./context.ts";
 * import type { GatherEvent } from "./events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const events: GatherEvent[] = [];
 * const ctx = createContext({
 *   name: "build",
 *   attempt: 1,
 *   signal: () => new AbortController().signal,
 *   results: new Map([["fetch", 42]]),
 *   nameOf: () => undefined,
 *   emit: (event) => events.push(event),
 *   process: { graceMs: 1000, forceSignal: new AbortController().signal, registry: new Set() },
 * });
 * ctx.log("two\nlines");
 * assertEquals(events.length, 2);
 * assertEquals(ctx.result("fetch"), 42);
 * ```
 */
export function createContext(env: ContextEnv): JobContext {
  const { name, emit, results } = env;
  const line = (text: string, stream: "log" | "stdout" | "stderr") =>
    emit({ type: "job:log", time: Date.now(), job: name, line: text, stream });
  const exec = (argv: string[], display: string, options: ExecOptions = {}) =>
    runCommand(argv, {
      signal: env.signal(),
      forceSignal: env.process.forceSignal,
      graceMs: env.process.graceMs,
      registry: env.process.registry,
      onLine: line,
      display,
      ...options,
    });
  return {
    name,
    attempt: env.attempt,
    get signal() {
      return env.signal();
    },
    log(...args: unknown[]) {
      for (const text of formatLog(args).split("\n")) line(text, "log");
    },
    result(dep: Job<unknown> | string): never {
      const depName = typeof dep === "string" ? dep : isJob(dep) ? env.nameOf(dep) : undefined;
      if (depName === undefined || !results.has(depName)) {
        const shown = depName === undefined ? "a job" : `"${depName}"`;
        throw new TypeError(
          `Job "${name}" asked for the result of ${shown}, which is not in its deps: add it to deps`,
        );
      }
      return results.get(depName) as never;
    },
    sh(strings: TemplateStringsArray, ...values: ShellValue[]) {
      const { argv, display } = shellCommand(strings, values);
      return exec(argv, display);
    },
    exec(program: string, args: readonly string[] = [], options?: ExecOptions) {
      return exec([program, ...args], [program, ...args].join(" "), options);
    },
  };
}

/**
 * Format values as `console.log` does.
 *
 * @param args The values.
 * @returns One string; strings are used as they are, other values inspected.
 *
 * @example Usage
 * ```ts
 * import { formatLog } from "./context.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatLog(["built", 3, "pages"]), "built 3 pages");
 * ```
 */
export function formatLog(args: readonly unknown[]): string {
  return args.map((arg) => typeof arg === "string" ? arg : Deno.inspect(arg, { colors: false }))
    .join(" ");
}
