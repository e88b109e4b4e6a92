/**
 * The nouns of gather, in one place: what a task file declares (a {@linkcode Job}
 * with its {@linkcode JobOptions}, a {@linkcode Pool}), what a job's function
 * receives (its {@linkcode JobContext}), what the engine works with (a resolved
 * {@linkcode JobSpec}), and how jobs and runs end ({@linkcode JobStatus},
 * {@linkcode Settlement}, {@linkcode FailurePolicy}). Everything else imports
 * these; this file imports nothing.
 *
 * @module
 */

/** A duration: milliseconds as a number, or a string like `"500ms"`, `"10s"`, `"2m"`. */
export type Duration = number | string;

/** A named concurrency limit shared by the jobs that join it. */
export interface Pool {
  /** Tag that identifies a pool across copies of gather. */
  readonly kind: "gather:pool";
  /** The pool's name, shown in `--list`. */
  readonly name: string;
  /** How many of the pool's jobs may run at once. */
  readonly limit: number;
}

/** The body of a job: receives its context, returns its result (or a promise of it). */
export type JobFn<T> = (ctx: JobContext) => T | PromiseLike<T>;

/** A reference to a job: its handle (typed) or its name. */
export type JobRef = Job<unknown> | string;

/** Options of `job()`. */
export interface JobOptions {
  /** The job's name. @default {the name it is exported under} */
  name?: string;
  /** One line shown by `--list`. */
  description?: string;
  /** Jobs that must finish before this one starts; their results reach `ctx.result()`. @default {[]} */
  deps?: readonly JobRef[];
  /** The named concurrency limit this job joins. */
  pool?: Pool;
  /** Abort the job and fail it after this long, per attempt. @default {no limit} */
  timeout?: Duration;
  /** How many times to re-run a failing job, with exponential backoff. @default {0} */
  retries?: number;
  /** The first backoff delay between retries; each next one doubles. @default {"250ms"} */
  retryDelay?: Duration;
  /**
   * The files whose contents decide whether the job must run again: globs
   * relative to the task file's folder (`!` before a glob excludes what it
   * matches). A job that declares `inputs` (even `[]`, for a job that depends
   * only on its dependencies' results and its own code) is cached: when
   * nothing it depends on changed, its function is not called, its outputs
   * are restored, its log is replayed and its result handed on.
   */
  inputs?: readonly string[];
  /**
   * The files the job makes: globs relative to the task file's folder, saved
   * after a successful run and restored on a cache hit.
   */
  outputs?: readonly string[];
  /** Environment variables whose values are part of the cache key. */
  env?: readonly string[];
  /**
   * A make-format dependency file the job writes, relative to the task
   * file's folder: what `cc -MMD -MF build/a.d` writes. After the job
   * succeeds, the files it names (the headers the compiler read) become part
   * of the job's cache key, as if they were among its `inputs`: editing one
   * reruns the job, editing a header it does not include does not. Relative
   * paths in the file are relative to the folder gather runs in (where the
   * job's commands run). gather removes the file before the job starts, so
   * one left by an earlier run is never taken for the job's; a job that
   * succeeds without writing it, or writes one that cannot be read, is not
   * cached (one warning). See also `ctx.discovered()`.
   */
  depfile?: string;
  /**
   * The job reports the files it reads with `ctx.discovered()`: its lookups
   * then also ask for the files it read last time (a `depfile` implies it).
   * Jobs that do not declare it cost no such lookup, which is why a cached
   * job that calls `ctx.discovered()` without it fails, saying so.
   */
  discovers?: boolean;
  /** `false` turns the cache off for a job that declares `inputs`. @default {true} */
  cache?: boolean;
  /**
   * In a distributed run (`--nats`), run this job on the coordinator, never
   * on a worker: for work that needs the coordinator's machine (deploy
   * credentials, a display). No effect on a local run. @default {false}
   */
  local?: boolean;

  /**
   * Make the job a service: a job that keeps running, such as a dev server.
   * Its dependents start when it is ready, not when it ends, and
   * `ctx.result()` of it is its ready value. `true`: its function says when,
   * with `ctx.ready(value)`; an object: a `ready` probe (a line of output, a
   * TCP port, an HTTP URL) and how long it may take (`timeout`). A service is
   * stopped, its whole process tree, once no job that depends on it is
   * pending or running (and at the end of the run), and then ends `ok`. It
   * is never cached: its `inputs` only tell watch mode when to restart it.
   */
  service?: boolean | ServiceOptions;
}

/** How a service becomes ready, and how long it may take. */
export interface ServiceOptions {
  /** What tells that it is ready. @default {its function calls ctx.ready(value)} */
  ready?: ReadyProbe;
  /** Fail it if it is not ready after this long. @default {"30s"} */
  timeout?: Duration;
}

/**
 * What tells that a service is ready: a line of its output matches
 * (`{ line: /listening on :(\d+)/ }`, ready value: the first capture group,
 * else the line), a TCP port accepts connections (`{ port: 8000 }`, value:
 * the port), or an HTTP URL answers 2xx or 3xx
 * (`{ url: "http://127.0.0.1:8000/health" }`, value: the URL).
 */
export type ReadyProbe = LineProbe | PortProbe | UrlProbe;

/** Ready when a line of the service's output matches. */
export interface LineProbe {
  /** The pattern; its first capture group (else the whole line) is the ready value. */
  line: RegExp;
}

/** Ready when a TCP port accepts connections. */
export interface PortProbe {
  /** The port; it is the ready value. */
  port: number;
  /** The host to connect to. @default {"127.0.0.1"} */
  host?: string;
}

/** Ready when an HTTP URL answers 2xx or 3xx. */
export interface UrlProbe {
  /** The URL; it is the ready value, as a string. */
  url: string | URL;
}

/** A job handle: pass it in `deps`, to `ctx.result()`, or to `run()`. */
export interface Job<T = unknown> {
  /** Tag that identifies a job across copies of gather. */
  readonly kind: "gather:job";
  /** The function that does the work. */
  readonly fn: JobFn<T>;
  /** The options it was declared with. */
  readonly options: Readonly<JobOptions>;
  /** The deno.json task it stands for, when `denoTask()` made it. */
  readonly denoTask?: string;
}

/**
 * Options of `denoTask()`: what gather adds to a deno.json task. Its command,
 * dependencies and cache settings come from the deno.json.
 */
export interface DenoTaskOptions {
  /** One line shown by `--list`. @default {the task's description} */
  description?: string;
  /** More jobs that must finish first, on top of the task's `dependencies`. @default {[]} */
  deps?: readonly JobRef[];
  /** The named concurrency limit it joins. */
  pool?: Pool;
  /** Abort the task and fail it after this long, per attempt. @default {no limit} */
  timeout?: Duration;
  /** How many times to re-run it when it fails. @default {0} */
  retries?: number;
  /** The first backoff delay between retries. @default {"250ms"} */
  retryDelay?: Duration;
}

/** A value that may be interpolated into `ctx.sh`: arrays become several arguments. */
export type ShellValue =
  | string
  | number
  | boolean
  | URL
  | ReadonlyArray<string | number | boolean | URL>;

/**
 * What a finished command produced. `stdout` and `stderr` keep at most the
 * last 64 Mi characters (67,108,864) of each stream, so a command with more
 * output than a JavaScript string can hold still succeeds; every line of it
 * still streams to the job's log (a single line longer than 1 Mi characters
 * is cut there, with a count of what was cut). Send large output to a file
 * and read that when you need all of it.
 */
export interface CommandResult {
  /** The exit code (128 + n when killed by signal n). */
  code: number;
  /** What it wrote to stdout: all of it, or its last 64 Mi characters. */
  stdout: string;
  /** What it wrote to stderr: all of it, or its last 64 Mi characters. */
  stderr: string;
}

/** Options of `ctx.exec`. */
export interface ExecOptions {
  /** The working directory. @default {the current directory} */
  cwd?: string;
  /**
   * Extra environment variables. A `PATH` given here is also where the
   * program is looked up.
   */
  env?: Record<string, string>;
  /**
   * How the command is named in its error and in diagnostics, e.g. to keep a
   * secret argument out of them. @default {the program and its arguments}
   */
  display?: string;
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
  /**
   * The job's name.
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const hello = job((ctx) => `I am ${ctx.name}`);
   * const report = await run({ hello });
   * assertEquals(report.jobs[0]?.result, "I am hello");
   * ```
   */
  readonly name: string;
  /**
   * 1 for the first try, 2 for the first retry, ...
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const flaky = job({ retries: 2, retryDelay: 1 }, (ctx) => {
   *   if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`);
   *   return ctx.attempt;
   * });
   * const report = await run({ flaky });
   * assertEquals(report.jobs[0]?.result, 3);
   * ```
   */
  readonly attempt: number;
  /**
   * Aborts on cancellation, timeout or fail-fast: pass it to `fetch` and
   * friends.
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { delay } from "@std/async/delay";
   * import { assertEquals } from "@std/assert";
   *
   * const slow = job({ timeout: 20 }, (ctx) => delay(10_000, { signal: ctx.signal }));
   * const report = await run({ slow });
   * assertEquals(report.jobs[0]?.status, "failed"); // timed out, and stopped waiting at once
   * ```
   */
  readonly signal: AbortSignal;
  /**
   * Write a line to the job's log (several lines if the text has newlines).
   *
   * @param args Values, formatted as `console.log` does.
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const lines: string[] = [];
   * const build = job((ctx) => ctx.log("built", 3, "pages"));
   * await run({ build }, { onEvent: (e) => e.type === "job:log" && lines.push(e.line) });
   * assertEquals(lines, ["built 3 pages"]);
   * ```
   */
  log(...args: unknown[]): void;
  /**
   * The result of a dependency.
   *
   * @param dep The dependency's handle: the result is typed from it.
   * @returns What the dependency returned.
   * @throws {TypeError} If `dep` is not one of this job's `deps`.
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const names = job(() => ["a", "b"]);
   * const count = job({ deps: [names] }, (ctx) => ctx.result(names).length); // typed: string[]
   * const report = await run({ names, count });
   * assertEquals(report.jobs.find((j) => j.name === "count")?.result, 2);
   * ```
   */
  result<T>(dep: Job<T>): T;
  /**
   * The result of a dependency named by a string.
   *
   * @param dep The dependency's name.
   * @returns What the dependency returned.
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const answer = job(() => 42);
   * const double = job({ deps: ["answer"] }, (ctx) => (ctx.result("answer") as number) * 2);
   * const report = await run({ answer, double });
   * assertEquals(report.jobs.find((j) => j.name === "double")?.result, 84);
   * ```
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
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const file = "my notes.txt"; // one argument, spaces and all
   * const hello = job(async (ctx) => (await ctx.sh`echo ${file}`).stdout);
   * const report = await run({ hello });
   * assertEquals(report.jobs[0]?.result, "my notes.txt\n");
   * ```
   */
  sh(strings: TemplateStringsArray, ...values: ShellValue[]): Promise<CommandResult>;
  /**
   * Run a program with arguments, no shell involved, like `sh` otherwise.
   *
   * @param program The program, looked up on the `PATH` it will run with.
   * @param args Its arguments.
   * @param options Working directory and environment.
   * @returns The exit code and output.
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const where = job(async (ctx) => (await ctx.exec("pwd", [], { cwd: "/" })).stdout.trim());
   * const report = await run({ where });
   * assertEquals(report.jobs[0]?.result, "/");
   * ```
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
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const done: number[] = [];
   * const parent = job((ctx) => {
   *   for (const n of [1, 2, 3]) ctx.spawn(async () => void done.push(n));
   * });
   * await run({ parent });
   * assertEquals(done.length, 3); // the job waited for its children
   * ```
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
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const squares = job((ctx) => ctx.map([1, 2, 3], async (n) => n * n, { concurrency: 2 }));
   * const report = await run({ squares });
   * assertEquals(report.jobs[0]?.result, [1, 4, 9]);
   * ```
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
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const duration = new URL("./duration.ts", import.meta.url); // exports parseDuration
   * const parse = job((ctx) => ctx.offload<number>(duration, "parseDuration", "2m"));
   * const report = await run({ parse });
   * assertEquals(report.jobs[0]?.result, 120_000);
   * ```
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
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const duration = new URL("./duration.ts", import.meta.url);
   * const parse = job((ctx) =>
   *   ctx.offloadWith<number>({ isolate: "process" }, duration, "parseDuration", "1s")
   * );
   * const report = await run({ parse });
   * assertEquals(report.jobs[0]?.result, 1000);
   * ```
   */
  offloadWith<T = unknown>(
    options: JobOffloadOptions,
    moduleUrl: string | URL,
    exportName: string,
    ...args: unknown[]
  ): Promise<T>;
  /**
   * Say that a service is ready, for a service declared with `service: true`
   * (no probe): its dependents start now, and `ctx.result()` of it gives
   * `value`. The function keeps running until `ctx.signal` aborts (gather
   * stops it once no job needs it). Later calls do nothing.
   *
   * @param value What its dependents receive.
   * @throws {TypeError} In a job that is not a service, or a service with a `ready` probe.
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const counter = job({ service: true }, async (ctx) => {
   *   ctx.ready(42);
   *   await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
   * });
   * const client = job({ deps: [counter] }, (ctx) => ctx.result(counter));
   * const report = await run({ counter, client });
   * assertEquals(report.jobs.find((j) => j.name === "client")?.result, 42);
   * assertEquals(report.jobs.find((j) => j.name === "counter")?.status, "ok"); // stopped by gather
   * ```
   */
  ready(value?: unknown): void;
  /**
   * Report files the job read that its `inputs` do not name (its discovered
   * inputs), as a `depfile` does for a compiler: once the job succeeds, their
   * contents become part of its cache key, and watch mode watches them.
   * Relative paths are relative to the folder gather runs in. Files among
   * the job's declared inputs or outputs are left out. A cached job declares
   * `discovers: true` (or a `depfile`) to call it; no effect on a job that
   * is not cached.
   *
   * @param paths The files, absolute or relative (a string: one file).
   * @throws {TypeError} When a path is not a non-empty string.
   * @throws {GatherError} In a cached job that declares neither `discovers` nor a `depfile`.
   *
   * @example Usage
   * ```ts
   * import { job, run } from "../mod.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/words.txt`, "a b c");
   * const count = job({ inputs: [], discovers: true }, async (ctx) => {
   *   const list = `${dir}/words.txt`; // found at run time, so not in inputs
   *   ctx.discovered([list]);
   *   return (await Deno.readTextFile(list)).split(" ").length;
   * });
   * const report = await run({ count }, { cache: false });
   * assertEquals(report.jobs[0]?.result, 3);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  discovered(paths: Iterable<string> | string): void;
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

/** A job with its name and options resolved, ready for the graph. */
export interface JobSpec {
  /** The job's unique name. */
  name: string;
  /** One line shown by `--list`. */
  description?: string;
  /** The command of a deno.json task, shown by `--list`. */
  command?: string;
  /** Names of the jobs it depends on. */
  deps: string[];
  /** Its number among the jobs resolved with it (their order in `specs`). */
  id: number;
  /**
   * The numbers of the jobs in `deps`, in the same order; -1 for a name that
   * no job resolved with it has.
   */
  depIds: number[];
  /** The jobs it was resolved with, by number: what `id` and `depIds` index. */
  resolvedWith: readonly JobSpec[];
  /** The named concurrency limit it joins. */
  pool?: Pool;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs?: number;
  /** How many retries after the first attempt. */
  retries: number;
  /** The first backoff delay between attempts, in milliseconds. */
  retryDelayMs: number;
  /** The work. */
  fn: JobFn<unknown>;
  /** The handle it came from. */
  handle: Job<unknown>;
  /** What the cache needs, for a job that is cached (it declared `inputs`). */
  cache?: CacheSpec;
  /** Set for a job pinned to the coordinator of a distributed run (`local: true`). */
  local?: true;
  /** How it becomes ready, for a job that is a service. */
  service?: ServiceSpec;
  /** The files it reads and writes, for a job that declared `inputs` (cached or not). */
  files?: FilesSpec;
}

/** A service's readiness, resolved. */
export interface ServiceSpec {
  /** The probe; none when its function calls `ctx.ready(value)`. */
  probe?: ReadyProbe;
  /** Fail it when it is not ready after this long, in ms. */
  readyTimeoutMs: number;
  /** The probe as people read it: `line /listening/`, `port 8000`, `url http://…`, `ctx.ready()`. */
  probeText: string;
}

/** What a job declared it reads and writes. */
export interface FilesSpec {
  /** Globs of the files it reads, relative to `dir`; `!` excludes. */
  inputs: readonly string[];
  /** Globs of the files it makes, relative to `dir`. */
  outputs: readonly string[];
  /** The absolute folder the globs are relative to: the task file's folder. */
  dir: string;
}

/** How a cached job is keyed and stored. */
export interface CacheSpec {
  /** Globs of the files it reads, relative to `dir`; `!` excludes. */
  inputs: readonly string[];
  /** Globs of the files it makes, relative to `dir`. */
  outputs: readonly string[];
  /** Environment variables whose values are part of the key. */
  env: readonly string[];
  /** The absolute folder the globs are relative to: the task file's folder. */
  dir: string;
  /**
   * The make-format dependency file the job writes, relative to `dir`: the
   * files it names are the job's discovered inputs.
   */
  depfile?: string;
  /** Its lookups ask for the files it discovered: it has a `depfile`, or declares `discovers`. */
  discovers?: true;
  /**
   * The text that stands for the job's code in its key. @default {the
   * function's source text}
   */
  code?: string;
  /**
   * The parts `code` is made of, by name (a deno.json task's `arguments`,
   * `task command`, ...): `--explain` names the one that changed instead of
   * saying the job's code changed. Not keyed on their own: `code` holds them.
   */
  codeParts?: Readonly<Record<string, string>>;
  /**
   * Made from a config (a deno.json task): `code` says all it runs, so the
   * task file's code outside its jobs is no part of its key, whether or not
   * a task file is loaded beside the config.
   */
  fromConfig?: true;
  /**
   * Dependencies (names among the job's `deps`) that only order it: a
   * workspace member's task waits for the same task of the members it
   * imports (`-r`). The job is keyed once they have settled, but they are
   * not part of its key, which is thus the same whichever command brought it
   * into the run; its `inputs` hold what those tasks read and make instead.
   */
  orderOnly?: readonly string[];
}

/** How a job ended. */
export type JobStatus = "ok" | "failed" | "cancelled" | "skipped";

/** How a run ended: `cancelled` when it was interrupted. */
export type RunStatus = "ok" | "failed" | "cancelled";

/**
 * What to do when a job fails. `abort`: cancel running jobs and start nothing
 * new; `finish`: start nothing new, let running jobs end; `continue`: run
 * everything that does not depend on a failed job.
 */
export type FailurePolicy = "abort" | "finish" | "continue";

/**
 * What the cache did for a job: `hit` (restored, its function not called),
 * `hit-remote` (the same, from the remote cache), `miss` (ran, and was stored
 * if it succeeded), `off` (not cached: no `inputs`, `cache: false`,
 * `--no-cache`, or a result it cannot store).
 */
export type CacheStatus = "hit" | "hit-remote" | "miss" | "off";

/** How one job of a run ended. */
export interface JobReport {
  /** The job's name. */
  name: string;
  /** How it ended. */
  status: JobStatus;
  /** Whether it started. */
  started: boolean;
  /** Attempts made. */
  attempts: number;
  /**
   * Wall time from start to end, in ms (0 if it never started). In a
   * distributed run, from the moment a worker claimed it: its wait in the
   * work queue is `queuedMs`.
   */
  durationMs: number;
  /** When it started (in a distributed run, when a worker claimed it), in ms since the run started. */
  startMs?: number;
  /** In a distributed run: how long it waited in the work queue before a worker claimed it, in ms. */
  queuedMs?: number;
  /** What it returned, for `ok` jobs. */
  result?: unknown;
  /** Why it failed or was cancelled. */
  error?: Error;
  /**
   * Why it did not run (skipped, or cancelled before it started), or why it
   * was cancelled while running when a service it uses failed.
   */
  reason?: string;
  /** Whether it kept running past its grace period after cancellation. */
  ignoredCancellation?: boolean;
  /** What the cache did: `hit` (restored, not run), `hit-remote` (from the remote cache), `miss` (ran), `off` (not cached). */
  cache: CacheStatus;
  /** For a service that keeps running after its part in the run (watch mode). */
  running?: boolean;
  /** For a service that became ready: how long that took, in ms. */
  readyMs?: number;
  /** The worker that ran it, in a distributed run; absent when it ran in this process. */
  worker?: string;
}

/** How a job that started ended, as its runner saw it. */
export interface Settlement {
  /** `ok`, `failed` or `cancelled`. */
  status: "ok" | "failed" | "cancelled";
  /** What the job returned. */
  result?: unknown;
  /** Why it failed or was cancelled. */
  error?: Error;
  /** Attempts made. */
  attempts: number;
  /** Whether it was still running when its grace period ran out. */
  ignoredCancellation: boolean;
  /** What the cache did, when a cache stood in front of the runner. */
  cache?: CacheStatus;
  /** Set for a service that ends its part in the run but keeps running for the next one (watch mode). */
  running?: boolean;
  /** The worker that ran it, in a distributed run; absent when it ran in this process. */
  worker?: string;
  /**
   * The files its successful attempt reported with `ctx.discovered()`,
   * absolute; absent when it reported none.
   */
  discovered?: readonly string[];
}
