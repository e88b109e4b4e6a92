/**
 * What `gather` runs, from the command line and the folder it starts in: a
 * task file (`-f`, or `tasks.ts` here or beside the nearest deno.json), with
 * the tasks of the deno.json beside it; or, without a task file, the tasks of
 * the nearest deno.json and its workspace, as `deno task` finds them.
 *
 * @module
 */

import { DenoTasks } from "../load/deno_tasks.ts";
import { configIn } from "../load/deno_config.ts";
import { selectTasks } from "../load/deno_targets.ts";
import type { JobNames } from "../load/resolve.ts";
import { loadTaskFile, type TaskFile } from "../load/task_file.ts";
import { findWorkspace, type Workspace } from "../load/workspace.ts";
import { dirname, fromFileUrl, join, relative, resolve, toFileUrl } from "../deps/path.ts";
import { GatherError } from "../errors.ts";
import type { JobSpec } from "../types.ts";
import type { CliOptions } from "./options.ts";

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
  /** Whose durations the history keeps. */
  historyKey: string;
  /** Print this on stdout instead of running (the task list). */
  listing?: string;
  /** Say this on stderr and run nothing (no package changed since the ref). */
  idle?: string;
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
  const denoOptions = (ws: Workspace) =>
    new DenoTasks(ws, {
      deno: Deno.execPath(),
      env: env("INIT_CWD") === undefined ? { INIT_CWD: cwd } : {},
      // --cwd moves where tasks run, as with deno task; a recursive run keeps each member's folder.
      ...(options.cwd === undefined || recursive ? {} : { cwd: start }),
    });
  const taskFile = recursive ? undefined : findTaskFile(options, cwd, start);
  if (taskFile !== undefined) {
    const file = await loadTaskFile(taskFile, cwd);
    const folderOfFile = file.url.startsWith("file:") ? dirname(fromFileUrl(file.url)) : undefined;
    const ws = folderOfFile !== undefined && configIn(folderOfFile) !== undefined
      ? findWorkspace(folderOfFile, cwd)
      : undefined;
    const first = options.targets[0];
    const tasks = ws && denoOptions(ws);
    let targets: string[] | undefined;
    if (tasks && first !== undefined && !file.specs.has(first) && isTask(tasks, first)) {
      targets = selectTasks(tasks, { task: first, args: options.taskArgs });
    } else if (options.asJobList) {
      options = options.asJobList();
    }
    // The modules a run needs only in some cases are loaded then: they cost start-up.
    const merged = tasks
      ? (await import("../load/with_deno_tasks.ts")).mergeDenoTasks(
        file,
        tasks,
        options.mode === "list",
      )
      : { specs: file.specs, names: file.names, defaults: file.defaults };
    // Workers load the task file alone: its deno.json tasks run on the coordinator.
    if (options.nats !== undefined && merged.specs !== file.specs) {
      pinToCoordinator(merged.specs, file);
    }
    return {
      options,
      specs: merged.specs,
      names: merged.names,
      targets: targets ?? (options.targets.length > 0 ? options.targets : merged.defaults),
      defaults: merged.defaults,
      source: `"${file.path}"`,
      taskFile: file.url,
      ...(ws ? { configRoot: ws.root.config.dir } : {}),
      historyKey: file.url,
    };
  }
  if (options.nats !== undefined) {
    throw new GatherError(
      "BAD_OPTION",
      "Option --nats runs a task file's jobs on workers, and there is no task file here: deno.json tasks run on this machine (drop --nats, or add a tasks.ts)",
    );
  }
  const ws = findWorkspace(start, cwd);
  if (ws === undefined) {
    throw new GatherError(
      "TASK_FILE_NOT_FOUND",
      `Task file "${options.file}" not found, and no deno.json ${
        start === cwd ? "here" : `in "${relative(cwd, start)}"`
      } or above: create one, or pass a task file with -f <path>`,
    );
  }
  const tasks = denoOptions(ws);
  const project = {
    options,
    names: tasks.names(),
    defaults: [],
    source: `"${ws.shown(ws.current.config.path)}"`,
    configRoot: ws.root.config.dir,
    historyKey: toFileUrl(ws.root.config.path).href,
  };
  const packages = recursive
    ? await (await import("../load/member_filter.ts")).selectPackages(ws, {
      ...(options.filter === undefined ? {} : { filter: options.filter }),
      ...(options.changedSince === undefined ? {} : { changedSince: options.changedSince }),
    })
    : undefined;
  const first = options.targets[0];
  if (packages !== undefined && packages.length === 0) {
    return {
      ...project,
      specs: new Map(),
      targets: [],
      idle:
        `gather: no workspace package changed since "${options.changedSince}": nothing to run\n`,
    };
  }
  if (options.mode === "list") {
    for (const pkg of packages ?? [ws.current, ...(ws.current.isRoot ? [] : [ws.root])]) {
      for (const def of pkg.config.tasks) tasks.add({ pkg, def }, []);
    }
    return { ...project, specs: tasks.specs(), targets: [] };
  }
  if (first === undefined) {
    const { listTasks } = await import("../load/deno_listing.ts");
    return { ...project, specs: new Map(), targets: [], listing: listTasks(ws, packages) };
  }
  const targets = selectTasks(tasks, {
    task: first,
    args: options.taskArgs,
    ...(packages === undefined ? {} : { packages }),
  });
  return { ...project, specs: tasks.specs(), targets };
}

/** The task file to load: `-f`, else `tasks.ts` here, else `tasks.ts` beside the nearest config. */
function findTaskFile(options: CliOptions, cwd: string, start: string): string | undefined {
  if (options.fileGiven) return options.file;
  const here = join(start, options.file);
  if (isFile(here)) return relative(cwd, here) || options.file;
  for (let dir = start;; dir = dirname(dir)) {
    if (configIn(dir) !== undefined) {
      const beside = join(dir, options.file);
      return isFile(beside) ? relative(cwd, beside) : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Whether a name (or pattern) is one of the config's tasks, as seen from the current package. */
function isTask(tasks: DenoTasks, name: string): boolean {
  try {
    selectTasks(new DenoTasks(tasks.workspace, { deno: "", env: {} }), { task: name, args: [] });
    return true;
  } catch {
    return false;
  }
}

function folder(path: string): string {
  try {
    if (Deno.statSync(path).isDirectory) return Deno.realPathSync(path);
  } catch {
    // reported below
  }
  throw new GatherError("BAD_OPTION", `Option --cwd "${path}": no such folder`);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Mark `local` the jobs a worker, which loads the task file alone, would not
 * know: deno.json tasks (wrapped or not) and the task file's jobs that depend
 * on one.
 */
function pinToCoordinator(specs: Map<string, JobSpec>, file: TaskFile): void {
  const own = (name: string) =>
    file.specs.get(name)?.handle.denoTask === undefined && file.specs.has(name);
  for (const [name, spec] of specs) {
    if (!own(name) || !spec.deps.every(own)) specs.set(name, { ...spec, local: true });
  }
}
