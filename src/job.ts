/**
 * Declaring what a task file holds: jobs made with {@linkcode job} and named
 * concurrency limits made with {@linkcode pool} (their types are in `types.ts`).
 *
 * Handles are plain frozen objects tagged with a `kind` string, not class
 * instances, so a task file that imports a second copy of gather (by URL, say)
 * still declares jobs this copy recognises.
 *
 * @module
 */

import type {
  DenoTaskOptions,
  Job,
  JobFn,
  JobOptions,
  LineProbe,
  Pool,
  PortProbe,
  ServiceOptions,
  UrlProbe,
} from "./types.ts";

/**
 * Declare a job. Export it from a task file and it is named by its export
 * name; it starts once all its `deps` have finished.
 *
 * @typeParam T The job's result, handed to the jobs that depend on it.
 * @param fn What the job does.
 * @returns The job handle.
 *
 * @example Usage
 * ```ts
 * import { job } from "../mod.ts";
 *
 * export const build = job(async () => "dist/");
 * export const test = job({ deps: [build] }, (ctx) => ctx.result(build).length);
 * ```
 */
export function job<T>(fn: JobFn<T>): Job<T>;
/**
 * Declare a service that is ready when a TCP port accepts connections: its
 * dependents receive the port from `ctx.result()`.
 *
 * @param options The options, with `service: { ready: { port } }`.
 * @param fn What the service runs; it keeps running until gather stops it.
 * @returns The job handle, typed by its ready value.
 *
 * @example Usage
 * ```ts
 * import { job } from "../mod.ts";
 *
 * export const db = job({ service: { ready: { port: 5432 } } }, (ctx) => ctx.sh`postgres -D data`);
 * export const migrate = job({ deps: [db] }, (ctx) => ctx.sh`migrate --port ${ctx.result(db)}`);
 * ```
 */
export function job(
  options: JobOptions & { service: ServiceOptions & { ready: PortProbe } },
  fn: JobFn<unknown>,
): Job<number>;
/**
 * Declare a service that is ready when a line of its output matches, or
 * when a URL answers: its dependents receive the first capture group (else
 * the line), or the URL, from `ctx.result()`.
 *
 * @param options The options, with `service: { ready: { line } }` or `{ url }`.
 * @param fn What the service runs; it keeps running until gather stops it.
 * @returns The job handle, typed by its ready value.
 *
 * @example Usage
 * ```ts
 * import { job } from "../mod.ts";
 *
 * export const api = job({
 *   service: { ready: { line: /listening on (http:\S+)/ }, timeout: "20s" },
 * }, (ctx) => ctx.sh`deno run -A server.ts`);
 * export const e2e = job({ deps: [api] }, (ctx) => ctx.sh`deno test -A e2e/ -- ${ctx.result(api)}`);
 * ```
 */
export function job(
  options: JobOptions & { service: ServiceOptions & { ready: LineProbe | UrlProbe } },
  fn: JobFn<unknown>,
): Job<string>;
/**
 * Declare a service whose function says when it is ready, with
 * `ctx.ready(value)`: its dependents receive `value` from `ctx.result()`.
 *
 * @typeParam T The ready value.
 * @param options The options, with `service: true` (or a readiness `timeout`).
 * @param fn What the service runs; it keeps running until gather stops it.
 * @returns The job handle, typed by its ready value.
 *
 * @example Usage
 * ```ts
 * import { job } from "../mod.ts";
 *
 * export const server = job<string>({ service: true }, async (ctx) => {
 *   const server = Deno.serve({ port: 0, signal: ctx.signal, onListen() {} }, () => new Response("ok"));
 *   ctx.ready(`http://127.0.0.1:${server.addr.port}/`);
 *   await server.finished;
 * });
 * ```
 */
export function job<T = unknown>(
  options: JobOptions & { service: true | ServiceOptions },
  fn: JobFn<unknown>,
): Job<T>;
/**
 * Declare a job with options.
 *
 * @typeParam T The job's result, handed to the jobs that depend on it.
 * @param options Dependencies, pool, timeout, retries and description.
 * @param fn What the job does.
 * @returns The job handle.
 * @throws {TypeError} If `fn` is not a function or an option has the wrong type.
 * @throws {RangeError} If `retries` is not a whole number >= 0.
 */
export function job<T>(options: JobOptions, fn: JobFn<T>): Job<T>;
export function job<T>(a: JobOptions | JobFn<T>, b?: JobFn<T>): Job<T> {
  const [options, fn] = typeof a === "function" ? [{}, a] : [a ?? {}, b];
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot declare a job: expected a function, got ${typeof fn}`);
  }
  if (typeof options !== "object") {
    throw new TypeError(`Cannot declare a job: expected options object, got ${typeof options}`);
  }
  const { retries, deps, pool, name } = options;
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) {
    throw new RangeError(
      `Cannot declare a job: "retries" must be a whole number >= 0, got ${retries}`,
    );
  }
  if (deps !== undefined && !Array.isArray(deps)) {
    throw new TypeError(`Cannot declare a job: "deps" must be an array of jobs or names`);
  }
  if (pool !== undefined && !isPool(pool)) {
    throw new TypeError(`Cannot declare a job: "pool" must come from pool(name, limit)`);
  }
  if (name !== undefined && (typeof name !== "string" || name.trim() === "")) {
    throw new TypeError(`Cannot declare a job: "name" must be a non-empty string`);
  }
  return Object.freeze({ kind: "gather:job", fn, options: Object.freeze({ ...options }) });
}

/**
 * Declare a named concurrency limit: at most `limit` jobs that join it run at
 * once. The global `-j` limit still applies.
 *
 * @param name The pool's name.
 * @param limit How many of its jobs may run at once.
 * @returns The pool, to pass as a job's `pool` option.
 * @throws {RangeError} If `limit` is not a whole number >= 1.
 *
 * @example Usage
 * ```ts
 * import { job, pool } from "../mod.ts";
 *
 * const net = pool("net", 2);
 * export const a = job({ pool: net }, () => "at most two of these at once");
 * ```
 */
export function pool(name: string, limit: number): Pool {
  if (typeof name !== "string" || name.trim() === "") {
    throw new TypeError(`Cannot declare a pool: the name must be a non-empty string`);
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(
      `Cannot declare pool "${name}": limit must be a whole number >= 1, got ${limit}`,
    );
  }
  return Object.freeze({ kind: "gather:pool", name, limit });
}

/**
 * Stand for a task of the project's deno.json in a task file, to give it
 * gather's options or to depend on it by handle. The task keeps its command,
 * `dependencies` and cache settings; under the `gather` CLI, run next to that
 * deno.json, this handle and the task are one job, named as the task.
 *
 * @param task The task's name (`test`), or `<member>#<task>` in a workspace.
 * @param options Timeout, retries, pool, more deps, a description.
 * @returns The job handle.
 * @throws {TypeError} If `task` is empty or an option has the wrong type.
 *
 * @example Usage
 * ```ts
 * import { denoTask, job, pool } from "../mod.ts";
 *
 * const e2e = pool("e2e", 1);
 * export const test = denoTask("test", { timeout: "5m", retries: 1, pool: e2e });
 * export const report = job({ deps: [test] }, (ctx) => ctx.log("tests passed"));
 * ```
 */
export function denoTask(task: string, options: DenoTaskOptions = {}): Job<void> {
  if (typeof task !== "string" || task.trim() === "") {
    throw new TypeError(`Cannot declare a deno.json task: its name must be a non-empty string`);
  }
  const fn = (): never => {
    throw new Error(
      `denoTask("${task}") runs under the gather CLI, next to the deno.json that declares it`,
    );
  };
  const handle = job<void>({ ...options, name: task }, fn);
  return Object.freeze({ ...handle, denoTask: task });
}

/**
 * Whether a value is a job handle, made by this or any other copy of gather.
 *
 * @param value The value to test.
 * @returns `true` for a job handle.
 *
 * @example Usage
 * ```ts
 * import { isJob, job } from "./job.ts";
 * import { assert } from "@std/assert";
 *
 * assert(isJob(job(() => 1)));
 * assert(!isJob({ fn: () => 1 }));
 * ```
 */
export function isJob(value: unknown): value is Job<unknown> {
  return typeof value === "object" && value !== null &&
    (value as { kind?: unknown }).kind === "gather:job" &&
    typeof (value as { fn?: unknown }).fn === "function";
}

/**
 * Whether a value is a pool, made by this or any other copy of gather.
 *
 * @param value The value to test.
 * @returns `true` for a pool.
 *
 * @example Usage
 * ```ts
 * import { isPool, pool } from "./job.ts";
 * import { assert } from "@std/assert";
 *
 * assert(isPool(pool("net", 2)));
 * ```
 */
export function isPool(value: unknown): value is Pool {
  return typeof value === "object" && value !== null &&
    (value as { kind?: unknown }).kind === "gather:pool";
}
