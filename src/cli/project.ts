/**
 * What `gather` runs, from the command line and the folder it starts in: a
 * task file (`-f`, or `tasks.ts` here or beside the nearest deno.json), with
 * the tasks of the deno.json beside it; or, without a task file, the tasks of
 * the nearest deno.json and its workspace, as `deno task` finds them.
 *
 * @module
 */

import { configIn } from "../load/config_file.ts";
import type { JobNames } from "../load/resolve.ts";
import { loadTaskFile } from "../load/task_file.ts";
import { dirname, fromFileUrl, join, relative, resolve } from "../deps/path.ts";
import { GatherError } from "../errors.ts";
import type { JobSpec } from "../types.ts";
import type { CliOptions } from "./options.ts";
import { lazy } from "../lazy.ts";
import { isFile } from "../file_kind.ts";

/** The jobs of a run, and where they come from. */
export interface Project {
  /** The options, read again the task-file way when the first name is a task-file job. */
  options: CliOptions;
  /** Every job, by name. */
  specs: Map<string, JobSpec>;
  /** Each handle's name. */
  names: JobNames;
  /** What to run. */
  targets: string[];
  /** The task file's defaults (for `--list`). */
  defaults: string[];
  /** Where the jobs come from, for messages: a quoted file name. */
  source: string;
  /** The task file's URL, if there is one. */
  taskFile?: string;
  /** The deno.json workspace root (absolute), if the run uses deno.json tasks. */
  configRoot?: string;
  /** The config files the jobs come from (absolute, existing or not), for watch mode. */
  configs?: readonly string[];
  /** Whose durations the history keeps. */
  historyKey: string;
  /** Print this on stdout instead of running (the task list). */
  listing?: string;
  /** Say this on stderr and run nothing (no package changed since the ref). */
  idle?: string;
  /** Say these on stderr, one line each, before anything else (a workspace member skipped). */
  warnings?: readonly string[];
}

/**
 * Find and load the jobs of a run.
 *
 * @param given The parsed command line.
 * @param cwd Where gather started (absolute).
 * @param env Reads an environment variable (for `INIT_CWD`).
 * @returns The project.
 * @throws {GatherError} For a missing task file or config, a bad config, an unknown task.
 *
 * @example Usage
 * ```ts ignore
 * const project = await loadProject(parseCli(["test"], () => undefined, 2), Deno.cwd(), Deno.env.get);
 * ```
 */
export async function loadProject(
  given: CliOptions,
  cwd: string,
  env: (name: string) => string | undefined,
): Promise<Project> {
  let options = given;
  const start = options.cwd === undefined ? cwd : folder(resolve(cwd, options.cwd));
  const recursive = options.recursive || options.filter !== undefined ||
    options.changedSince !== undefined;
  if (recursive && options.fileGiven) {
    throw new GatherError(
      "BAD_OPTION",
      "Options -r, --filter and --changed-since run deno.json tasks; they do not combine with -f",
    );
  }
  const where = { cwd, start, recursive, env };
  // The deno.json subsystem loads only where there is a config: it costs start-up.
  const deno = () =>
    lazy<typeof import("./project_deno.ts")>(new URL("./project_deno.ts", import.meta.url));
  const found = recursive ? undefined : findTaskFile(options, cwd, start);
  // Found beside a config above a folder with a package.json: in a workspace member with only
  // that, the root's task file is not this folder's (deno task runs the member's scripts).
  const taskFile = found?.passedPackage && (await deno()).inScriptsMember(where)
    ? undefined
    : found?.path;
  if (taskFile !== undefined) {
    const file = await loadTaskFile(taskFile, cwd);
    const folderOfFile = file.url.startsWith("file:") ? dirname(fromFileUrl(file.url)) : undefined;
    const merged = folderOfFile !== undefined && configIn(folderOfFile) !== undefined
      ? (await deno()).withConfig(file, folderOfFile, options, where)
      : undefined;
    if (merged === undefined && options.asJobList) options = options.asJobList();
    return {
      ...(merged ?? {
        options,
        specs: file.specs,
        names: file.names,
        targets: options.targets.length > 0 ? options.targets : file.defaults,
        defaults: file.defaults,
      }),
      source: `"${file.path}"`,
      taskFile: file.url,
      historyKey: file.url,
    };
  }
  if (options.nats !== undefined) {
    throw new GatherError(
      "BAD_OPTION",
      "Option --nats runs a task file's jobs on workers, and there is no task file here: deno.json tasks run on this machine (drop --nats, or add a tasks.ts)",
    );
  }
  return await (await deno()).configOnly(options, where);
}

/**
 * The task file to load: `-f`, else `tasks.ts` here, else `tasks.ts` beside
 * the nearest config; and whether a folder on the way up had a package.json.
 */
function findTaskFile(
  options: CliOptions,
  cwd: string,
  start: string,
): { path: string; passedPackage: boolean } | undefined {
  if (options.fileGiven) return { path: options.file, passedPackage: false };
  const here = join(start, options.file);
  if (isFile(here)) return { path: relative(cwd, here) || options.file, passedPackage: false };
  let passedPackage = false;
  for (let dir = start;; dir = dirname(dir)) {
    if (configIn(dir) !== undefined) {
      const beside = join(dir, options.file);
      return isFile(beside) ? { path: relative(cwd, beside), passedPackage } : undefined;
    }
    passedPackage ||= isFile(join(dir, "package.json"));
    if (dirname(dir) === dir) return undefined;
  }
}

function folder(path: string): string {
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.statSync(path);
  } catch {
    // no such path: said below
  }
  if (info?.isDirectory) return Deno.realPathSync(path);
  throw new GatherError(
    "BAD_OPTION",
    `Option --cwd "${path}": ${info === undefined ? "no such folder" : "not a folder"}`,
  );
}
