/**
 * The context a job receives: its signal, its log, its dependencies' results
 * and subprocesses that die with it.
 *
 * @module
 */

import { pooledMap } from "@std/async/pool";
import type { EventSink } from "./events.ts";
import { isJob, type Job } from "./job.ts";
import { offload } from "./offload.ts";
import { type CommandResult, runCommand } from "./process.ts";
import { shellCommand, type ShellValue } from "./shell.ts";
import { TaskGroup } from "./task_group.ts";

export type { CommandResult } from "./process.ts";
export type { ShellValue } from "./shell.ts";

/** Options of `ctx.exec`. */
export interface ExecOptions {
  /** The working directory. @default {the current directory} */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** Options of `ctx.map`. */
export interface MapOptions {
  /** How many items are worked on at once. @default {8} */
  concurrency?: number;
}

/** Options of `ctx.offloadWith`. */
export interface JobOffloadOptions {
  /**
   * `worker`: a Web Worker, cheap to start; `process`: a `deno` subprocess,
   * killed at once on cancellation. @default {"worker"}
   */
  isolate?: "worker" | "process";
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
  /**
   * Start child work inside the job, like `asyncio.create_task` in a
   * `TaskGroup`: the job does not finish until its children settle, a
   * child's failure fails the job and aborts its siblings, and cancellation
   * reaches them through the signal each child receives.
   *
   * @param fn The child's work.
   * @returns The child's result; leaving it un-awaited is safe.
   */
  spawn<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T>;
  /**
   * Map items with at most `concurrency` in flight (`@std/async` `pooledMap`),
   * reporting progress as `job:progress` events. Stops starting items on the
   * first failure or on cancellation.
   *
   * @param items The items.
   * @param fn The work for one item; it receives the job's signal.
   * @param options The concurrency.
   * @returns The results, in the order of the items.
   * @throws The first failure.
   */
  map<T, R>(
    items: Iterable<T> | AsyncIterable<T>,
    fn: (item: T, signal: AbortSignal) => R | PromiseLike<R>,
    options?: MapOptions,
  ): Promise<R[]>;
  /**
   * Run an exported function of another module off the event loop, in a Web
   * Worker (or a subprocess with `{ isolate: "process" }`). Cancellation
   * terminates it.
   *
   * @param moduleUrl The module, e.g. `new URL("./work.ts", import.meta.url)`.
   * @param exportName The exported function.
   * @param args Its arguments (structured-cloneable; JSON for `process`).
   * @returns What it returned.
   */
  offload<T = unknown>(moduleUrl: string | URL, exportName: string, ...args: unknown[]): Promise<T>;
  /**
   * Like `offload`, with options.
   *
   * @param options The isolation.
   * @param moduleUrl The module.
   * @param exportName The exported function.
   * @param args Its arguments.
   * @returns What it returned.
   */
  offloadWith<T = unknown>(
    options: JobOffloadOptions,
    moduleUrl: string | URL,
    exportName: string,
    ...args: unknown[]
  ): Promise<T>;
}

/** What a context started and the runner must wait for or stop. */
export interface WorkTracker {
  /** Commands and offloads in flight, with what they are (made on first use). */
  pending: Map<Promise<unknown>, string> | undefined;
  /** The task group of `ctx.spawn`, once used. */
  group: TaskGroup | undefined;
}

/** The results of a job's dependencies, by name; a `Map` is one. */
export interface DepResults {
  /**
   * Whether a dependency of this name has a result.
   *
   * @param name The dependency's name.
   * @returns `true` for a dependency of the job.
   */
  has(name: string): boolean;
  /**
   * The result of a dependency.
   *
   * @param name The dependency's name.
   * @returns What it returned.
   */
  get(name: string): unknown;
}

/** What the scheduler gives each context. */
export interface ContextEnv {
  /** The job's name. */
  name: string;
  /** The attempt number. */
  attempt: number;
  /** The attempt's signal, created when first read (called as a method). */
  signal(): AbortSignal;
  /** Results of the job's dependencies, by name. */
  results: DepResults;
  /** The name of a job handle. */
  nameOf: (handle: Job<unknown>) => string | undefined;
  /** Where log lines go. */
  emit: EventSink;
  /** Records the work the job starts. */
  tracker: WorkTracker;
  /** Aborts the attempt's signal (a spawned child failed); called as a method. */
  abort?(reason: Error): void;
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
 *   tracker: { pending: undefined, group: undefined },
 *   process: { graceMs: 1000, forceSignal: new AbortController().signal, registry: new Set() },
 * });
 * ctx.log("two\nlines");
 * assertEquals(events.length, 2);
 * assertEquals(ctx.result("fetch"), 42);
 * ```
 */
export function createContext(env: ContextEnv): JobContext {
  return new Context(env);
}

type Sh = JobContext["sh"];
type Exec = JobContext["exec"];
type Spawn = JobContext["spawn"];
type MapFn = JobContext["map"];
type Offload = JobContext["offload"];
type OffloadWith = JobContext["offloadWith"];
type Log = JobContext["log"];
type Result = JobContext["result"];

/**
 * The context of one attempt. Each member is made on first use and kept, so
 * a job that uses none of them costs one small object, and members still
 * work when destructured (`async ({ sh, signal }) => ...`).
 */
class Context implements JobContext {
  #env: ContextEnv;
  #log: Log | undefined;
  #result: Result | undefined;
  #sh: Sh | undefined;
  #exec: Exec | undefined;
  #spawn: Spawn | undefined;
  #map: MapFn | undefined;
  #offload: Offload | undefined;
  #offloadWith: OffloadWith | undefined;

  constructor(env: ContextEnv) {
    this.#env = env;
  }

  get name(): string {
    return this.#env.name;
  }

  get attempt(): number {
    return this.#env.attempt;
  }

  get signal(): AbortSignal {
    return this.#env.signal();
  }

  get log(): Log {
    return this.#log ??= (...args: unknown[]) => {
      for (const text of formatLog(args).split("\n")) this.#line(text, "log");
    };
  }

  get result(): Result {
    const env = this.#env;
    return this.#result ??= ((dep: Job<unknown> | string): never => {
      const depName = typeof dep === "string" ? dep : isJob(dep) ? env.nameOf(dep) : undefined;
      if (depName === undefined || !env.results.has(depName)) {
        const shown = depName === undefined ? "a job" : `"${depName}"`;
        throw new TypeError(
          `Job "${env.name}" asked for the result of ${shown}, which is not in its deps: add it to deps`,
        );
      }
      return env.results.get(depName) as never;
    }) as Result;
  }

  get sh(): Sh {
    return this.#sh ??= (strings: TemplateStringsArray, ...values: ShellValue[]) => {
      const { argv, display } = shellCommand(strings, values);
      return this.#run(argv, display);
    };
  }

  get exec(): Exec {
    return this.#exec ??= (program: string, args: readonly string[] = [], options?: ExecOptions) =>
      this.#run([program, ...args], [program, ...args].join(" "), options);
  }

  get spawn(): Spawn {
    const env = this.#env;
    return this.#spawn ??= <T>(fn: (signal: AbortSignal) => T | PromiseLike<T>) => {
      env.tracker.group ??= new TaskGroup(
        env.signal(),
        env.abort === undefined ? undefined : (error) => env.abort?.(error),
      );
      return env.tracker.group.spawn(fn);
    };
  }

  get map(): MapFn {
    const env = this.#env;
    return this.#map ??= async <T, R>(
      items: Iterable<T> | AsyncIterable<T>,
      fn: (item: T, signal: AbortSignal) => R | PromiseLike<R>,
      options: MapOptions = {},
    ): Promise<R[]> => {
      const concurrency = options.concurrency ?? 8;
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new RangeError(
          `Cannot map with concurrency ${concurrency}: expected a whole number >= 1`,
        );
      }
      const signal = env.signal();
      const total = Array.isArray(items) ? items.length : undefined;
      let done = 0;
      const progress = () =>
        env.emit({
          type: "job:progress",
          time: Date.now(),
          job: env.name,
          done,
          ...(total === undefined ? {} : { total }),
        });
      progress();
      const results: R[] = [];
      try {
        for await (
          const result of pooledMap(concurrency, items, async (item: T) => {
            signal.throwIfAborted();
            const value = await fn(item, signal);
            done++;
            progress();
            return value;
          })
        ) results.push(result);
      } catch (error) {
        if (error instanceof AggregateError && error.errors.length > 0) {
          throw signal.aborted ? signal.reason : error.errors[0];
        }
        throw error;
      }
      return results;
    };
  }

  get offload(): Offload {
    return this.#offload ??= <T>(moduleUrl: string | URL, exportName: string, ...args: unknown[]) =>
      this.#offloadIn<T>({}, moduleUrl, exportName, args);
  }

  get offloadWith(): OffloadWith {
    return this.#offloadWith ??= <T>(
      options: JobOffloadOptions,
      moduleUrl: string | URL,
      exportName: string,
      ...args: unknown[]
    ) => this.#offloadIn<T>(options, moduleUrl, exportName, args);
  }

  #line(text: string, stream: "log" | "stdout" | "stderr"): void {
    this.#env.emit({ type: "job:log", time: Date.now(), job: this.#env.name, line: text, stream });
  }

  #track<T>(work: Promise<T>, what: string): Promise<T> {
    const pending = this.#env.tracker.pending ??= new Map();
    pending.set(work, what);
    const forget = () => pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  #run(argv: string[], display: string, options: ExecOptions = {}): Promise<CommandResult> {
    const env = this.#env;
    return this.#track(
      runCommand(argv, {
        signal: env.signal(),
        forceSignal: env.process.forceSignal,
        graceMs: env.process.graceMs,
        registry: env.process.registry,
        onLine: (text, stream) => this.#line(text, stream),
        display,
        ...options,
      }),
      `ctx.sh "${display}"`,
    );
  }

  #offloadIn<T>(
    options: JobOffloadOptions,
    moduleUrl: string | URL,
    exportName: string,
    args: unknown[],
  ): Promise<T> {
    const env = this.#env;
    return this.#track(
      offload<T>(moduleUrl, exportName, args, {
        ...options,
        signal: env.signal(),
        process: { ...env.process, onLine: (text, stream) => this.#line(text, stream) },
      }),
      `ctx.offload "${exportName}"`,
    );
  }
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
