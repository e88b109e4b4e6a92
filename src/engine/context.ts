/**
 * The context a job receives: its signal, its log, its dependencies' results
 * and subprocesses that die with it.
 *
 * @module
 */

import type { EventSink } from "../events.ts";
import { isJob } from "../job.ts";
import { offload } from "../process/offload.ts";
import { runCommand, shortCommand } from "../process/command.ts";
import { shellCommand } from "../process/shell.ts";
import type { Spawner } from "../process/spawn.ts";
import type {
  CommandResult,
  DepResults,
  ExecOptions,
  Job,
  JobContext,
  JobOffloadOptions,
  MapOptions,
  ShellValue,
} from "../types.ts";
import { TaskGroup } from "./task_group.ts";
import { formatLog } from "./format_log.ts";
import { PartialLines } from "./_partial_lines.ts";
import { lazy } from "../lazy.ts";
import { resolve } from "../deps/path.ts";

/** What a context started and the runner must wait for or stop. */
export interface WorkTracker {
  /** Commands and offloads in flight, with what they are (made on first use). */
  pending: Map<Promise<unknown>, string> | undefined;
  /** The task group of `ctx.spawn`, once used. */
  group: TaskGroup | undefined;
  /** What holds a finished command's output open, when a process that left its group does. */
  heldOpen?: string | undefined;
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
  /** `ctx.ready(value)`, for a service; absent for other jobs. Called as a method. */
  ready?: ((value: unknown) => void) | undefined;
  /**
   * Keeps the files `ctx.discovered()` reports, absolute (relative ones are
   * resolved against the current folder first); absent: they are dropped.
   * Called as a method.
   */
  discovered?(paths: readonly string[]): void;
  /** Process settings shared by the run. */
  process: {
    graceMs: number;
    forceSignal: AbortSignal;
    registry: Set<Promise<unknown>>;
    spawner: Spawner;
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
 * import { createSpawner } from "../process/spawn.ts";
 * import type { GatherEvent } from "../events.ts";
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
 *   process: {
 *     graceMs: 1000,
 *     forceSignal: new AbortController().signal,
 *     registry: new Set(),
 *     spawner: createSpawner(),
 *   },
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
type Ready = JobContext["ready"];
type Discovered = JobContext["discovered"];

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
  #ready: Ready | undefined;
  #discovered: Discovered | undefined;
  #partials: PartialLines | undefined;

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

  get ready(): Ready {
    const env = this.#env;
    return this.#ready ??= (value?: unknown) => {
      if (env.ready === undefined) {
        throw new TypeError(
          `Job "${env.name}" called ctx.ready(), but it is not a service: declare it with service: true`,
        );
      }
      env.ready(value);
    };
  }

  get discovered(): Discovered {
    const env = this.#env;
    return this.#discovered ??= (paths: Iterable<string> | string) => {
      if (typeof paths !== "string" && typeof paths?.[Symbol.iterator] !== "function") {
        throw new TypeError(
          `Job "${env.name}" called ctx.discovered() with ${
            paths === null ? "null" : `a ${typeof paths}`
          }: pass a file path or an array of them`,
        );
      }
      const list = typeof paths === "string" ? [paths] : [...paths];
      for (const path of list) {
        if (typeof path !== "string" || path === "") {
          throw new TypeError(
            `Job "${env.name}" called ctx.discovered() with ${
              typeof path === "string" ? "an empty path" : `a ${typeof path}`
            }: pass file paths`,
          );
        }
      }
      const cwd = Deno.cwd();
      env.discovered?.(list.map((path) => resolve(cwd, path)));
    };
  }

  get sh(): Sh {
    return this.#sh ??= (strings: TemplateStringsArray, ...values: ShellValue[]) => {
      const { argv, display } = shellCommand(strings, values);
      return this.#run("ctx.sh", argv, display);
    };
  }

  get exec(): Exec {
    return this.#exec ??= (program: string, args: readonly string[] = [], options?: ExecOptions) =>
      this.#run(
        "ctx.exec",
        [program, ...args],
        options?.display ?? [program, ...args].join(" "),
        options,
      );
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
      // std's pool loads with the first ctx.map: it costs start-up.
      const { pooledMap } = await lazy<typeof import("../deps/async_pool.ts")>(
        new URL("../deps/async_pool.ts", import.meta.url),
      );
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
    if (stream !== "log") this.#partials?.ended(stream);
    this.#env.emit({ type: "job:log", time: Date.now(), job: this.#env.name, line: text, stream });
  }

  #partial(text: string, stream: "stdout" | "stderr"): void {
    (this.#partials ??= new PartialLines(this.#env.name, this.#env.emit)).show(text, stream);
  }

  #track<T>(work: Promise<T>, what: string): Promise<T> {
    const pending = this.#env.tracker.pending ??= new Map();
    pending.set(work, what);
    const forget = () => pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  #run(
    what: "ctx.sh" | "ctx.exec",
    argv: string[],
    display: string,
    options: ExecOptions = {},
  ): Promise<CommandResult> {
    const env = this.#env;
    return this.#track(
      runCommand(argv, {
        signal: env.signal(),
        forceSignal: env.process.forceSignal,
        graceMs: env.process.graceMs,
        registry: env.process.registry,
        spawner: env.process.spawner,
        onLine: (text, stream) => this.#line(text, stream),
        onPartial: (text, stream) => this.#partial(text, stream),
        onHeldOpen: (holder) => env.tracker.heldOpen = `${what} ${holder}`,
        display,
        ...options,
      }),
      `${what} "${shortCommand(display)}"`,
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
