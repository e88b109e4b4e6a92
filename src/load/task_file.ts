/**
 * Load a task file: import the module, find the jobs it exports, and name them.
 *
 * @module
 */

import {
  dirname,
  fromFileUrl,
  isAbsolute,
  join,
  relative,
  resolve,
  toFileUrl,
} from "../deps/path.ts";
import { isFile } from "../file_kind.ts";
import { configIn } from "./config_file.ts";
import { GatherError, toError } from "../errors.ts";
import { isJob } from "../job.ts";
import type { Job } from "../types.ts";
import { type JobNames, resolveJobs } from "./resolve.ts";
import type { JobSpec } from "../types.ts";
import { lazy } from "../lazy.ts";

/** The jobs a task file declares. */
export interface TaskFile {
  /** The file as the user named it. */
  path: string;
  /** Its module URL. */
  url: string;
  /** Every job, by name. */
  specs: Map<string, JobSpec>;
  /** Each handle's name. */
  names: JobNames;
  /** What runs when no job is named: the default export, else every exported job. */
  defaults: string[];
}

/**
 * Import a task file and collect its jobs.
 *
 * @param path The task file, relative to `cwd` or absolute.
 * @param cwd The directory relative paths start from. @default {Deno.cwd()}
 * @returns The jobs and the default selection.
 * @throws {GatherError} If the file is missing, does not load, or declares no jobs.
 *
 * @example Usage
 * ```ts ignore
 * import { loadTaskFile } from "./task_file.ts";
 *
 * const tasks = await loadTaskFile("tasks/build.ts");
 * console.log([...tasks.specs.keys()]);
 * ```
 */
export async function loadTaskFile(path: string, cwd: string = Deno.cwd()): Promise<TaskFile> {
  const url = /^(https?|file|jsr|npm):/.test(path)
    ? new URL(path)
    : toFileUrl(isAbsolute(path) ? path : resolve(cwd, path));
  if (url.protocol === "file:") {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(url); // never opens it: a FIFO would block
    } catch {
      throw new GatherError(
        "TASK_FILE_NOT_FOUND",
        `Task file "${path}" not found: create it, or pass another one with -f <path>`,
      );
    }
    if (!info.isFile) throw notAFile(path, fromFileUrl(url), info);
    // Deno's import error would not say why a file it found cannot be read.
    try {
      (await Deno.open(url, { read: true })).close();
    } catch (error) {
      const why = toError(error).message.replace(/: \w+ '.*'$/s, "");
      throw new GatherError(
        "TASK_FILE_INVALID",
        `Cannot read task file "${path}": ${why}; make it readable (chmod +r), or pass another one with -f <path>`,
        { cause: error },
      );
    }
  }
  let module: Record<string, unknown>;
  try {
    module = await import(url.href);
  } catch (error) {
    // std's colours load only for this message: they cost start-up.
    const { stripAnsiCode } = await lazy<typeof import("../deps/fmt_colors.ts")>(
      new URL("../deps/fmt_colors.ts", import.meta.url),
    );
    const what = whatFailed(toError(error), ownStack(error), stripAnsiCode, cwd);
    throw new GatherError(
      "TASK_FILE_INVALID",
      `Cannot load task file "${path}": ${what}${await importMapHint(what, url, cwd)}`,
      { cause: error },
    );
  }
  const exported = Object.entries(module).filter(
    (entry): entry is [string, Job<unknown>] => entry[0] !== "default" && isJob(entry[1]),
  );
  const fallback = module["default"];
  const defaultJobs = isJob(fallback)
    ? [fallback]
    : Array.isArray(fallback) && fallback.every(isJob)
    ? fallback as Job<unknown>[]
    : [];
  if (fallback !== undefined && defaultJobs.length === 0) {
    throw new GatherError(
      "TASK_FILE_INVALID",
      `Cannot load task file "${path}": ${
        Array.isArray(fallback) && fallback.length === 0
          ? "its default export is an empty array: put the jobs to run by default in it, or remove it"
          : "its default export must be a job or an array of jobs"
      }`,
    );
  }
  const named: [string, Job<unknown>, string?][] = [
    ...exported,
    ...defaultJobs.map((handle, i): [string, Job<unknown>, string] => [
      defaultJobs.length === 1 ? "default" : `default${i}`,
      handle,
      Array.isArray(fallback) ? `item ${i} of the default export` : "the default export",
    ]),
  ];
  if (named.length === 0) {
    throw new GatherError(
      "NO_JOBS",
      `Task file "${path}" exports no jobs: export some, e.g. export const build = job(async () => {})`,
    );
  }
  const folder = url.protocol === "file:" ? dirname(fromFileUrl(url)) : cwd;
  const { specs, names } = resolveJobs(named, `"${path}"`, folder);
  const defaults = defaultJobs.length > 0
    ? defaultJobs.map((handle) => names.get(handle)!)
    : [...new Set(exported.map(([, handle]) => names.get(handle)!))];
  return { path, url: url.href, specs, names, defaults };
}

/** A task file that exists but is a folder, a FIFO, a socket or a device. */
function notAFile(path: string, file: string, info: Deno.FileInfo): GatherError {
  if (info.isDirectory) {
    const inside = join(file, "tasks.ts");
    const hint = isFile(inside)
      ? `pass the task file in it, -f ${join(path, "tasks.ts")}`
      : configIn(file) !== undefined
      ? `pass a task file with -f <path>, or run the tasks of its deno.json with --cwd ${path}`
      : "pass a task file with -f <path>";
    return new GatherError("TASK_FILE_INVALID", `Task file "${path}" is a folder: ${hint}`);
  }
  const kind = info.isFifo
    ? "a FIFO (named pipe)"
    : info.isSocket
    ? "a socket"
    : info.isCharDevice
    ? "a character device"
    : info.isBlockDevice
    ? "a block device"
    : "something else";
  return new GatherError(
    "TASK_FILE_INVALID",
    `Task file "${path}" is not a regular file but ${kind}: pass a .ts file with -f <path>`,
  );
}

/**
 * A bare import the task file's own deno.json maps: Deno takes the import map
 * of the config nearest the main module (gather's, run by path), not the
 * project's, so say how to run gather under the project's config.
 */
async function importMapHint(what: string, url: URL, cwd: string): Promise<string> {
  if (url.protocol !== "file:" || !/not a dependency|not in import map/.test(what)) return "";
  const { nearestConfig } = await lazy<typeof import("./deno_config.ts")>(
    new URL("./deno_config.ts", import.meta.url),
  );
  const config = nearestConfig(dirname(fromFileUrl(url)));
  if (config === undefined) return "";
  const shown = relative(cwd, config);
  return `; gather run by path reads the import map of the config beside its own main.ts, not "${shown}": run it with deno run -A --config ${shown} <gather>/main.ts, or link it in "${shown}" and add a task (see the README)`;
}

/**
 * The error's first line, and where in the task file's code it was thrown when it does not say:
 * from the stack of the value thrown, never from one gather made to describe it (`throw null`
 * has no stack, and the description's would point into gather).
 */
function whatFailed(
  error: Error,
  stack: string | undefined,
  strip: (text: string) => string,
  cwd: string,
): string {
  const line = firstLine(strip(error.message), cwd);
  if (line.includes(" (at ")) return line;
  const where = thrownAt(stack ?? "", cwd);
  return where === undefined ? line : `${line} (at ${where})`;
}

/** The stack of a thrown error, when it is one and its stack can be read (a getter may throw). */
function ownStack(thrown: unknown): string | undefined {
  try {
    const stack = thrown instanceof Error ? thrown.stack : undefined;
    return typeof stack === "string" ? stack : undefined;
  } catch {
    return undefined;
  }
}

/** The first frame of a stack outside gather (a task file calling `job()` wrongly: the call). */
function thrownAt(stack: string, cwd: string): string | undefined {
  const engine = new URL("../", import.meta.url).href; // src/
  const root = new URL("../../", import.meta.url).href;
  // The package's entry (a frame of job()) and the command's.
  const entries = [`${root}mod.ts:`, `${root}main.ts:`];
  for (const line of stack.split("\n").slice(1)) {
    const match = line.match(/(file:\/\/[^\s)]+?:\d+:\d+)\)?\s*$/);
    const at = match?.[1];
    if (at && !at.startsWith(engine) && !entries.some((entry) => at.startsWith(entry))) {
      return shortLocation(at, cwd);
    }
  }
  return undefined;
}

function firstLine(message: string, cwd: string): string {
  const lines = message.split("\n").map((line) => line.trim()).filter(Boolean);
  const at = lines.findLast((line) => line.startsWith("at "))?.slice(3);
  const where = at === undefined ? undefined : shortLocation(at, cwd);
  return where && lines[0] !== `at ${at}`
    ? `${lines[0]} (at ${where})`
    : lines[0] ?? "unknown error";
}

/** A location `file:///…/tasks.ts:3:7` as a path relative to `cwd` when it is under it. */
function shortLocation(location: string, cwd: string): string {
  const match = location.match(/^(file:\/\/[^\s)]+?)(:\d+:\d+)?$/);
  if (!match) return location;
  const path = fromFileUrl(match[1]!);
  const rel = relative(cwd, path);
  return `${rel.startsWith("..") ? path : rel}${match[2] ?? ""}`;
}
