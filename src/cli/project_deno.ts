/**
 * The deno.json side of a run's project: a task file's jobs merged with the
 * tasks of the config beside it, or the config's tasks alone. Loaded only
 * when there is a config, so that a task file alone never loads the deno.json
 * subsystem.
 *
 * @module
 */

import { DenoTasks } from "../load/deno_tasks.ts";
import { scriptRefusal, selectTasks, visible } from "../load/deno_targets.ts";
import { didYouMean } from "../suggest.ts";
import type { TaskFile } from "../load/task_file.ts";
import { mergeDenoTasks } from "../load/with_deno_tasks.ts";
import { configFiles, findWorkspace, type Workspace } from "../load/workspace.ts";
import { relative, toFileUrl } from "../deps/path.ts";
import { GatherError } from "../errors.ts";
import { lazy } from "../lazy.ts";
import type { JobSpec } from "../types.ts";
import type { CliOptions } from "./options.ts";
import type { Project } from "./project.ts";

/** Where gather runs: the folder it started in, the one `--cwd` names, and `INIT_CWD`. */
export interface Where {
  /** Where gather started (absolute). */
  cwd: string;
  /** Where to look from: `--cwd`, else `cwd` (absolute). */
  start: string;
  /** Whether the run is recursive (`-r`, `--filter`, `--changed-since`). */
  recursive: boolean;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
}

/**
 * A task file's jobs with the tasks of the deno.json beside it.
 *
 * @param file The task file, loaded.
 * @param folder Its folder, which has a config.
 * @param options The parsed command line.
 * @param where Where gather runs.
 * @returns The project, or `undefined` when no workspace is found there.
 *
 * @example Usage
 * ```ts ignore
 * const project = withConfig(file, dirname(file.path), options, where);
 * ```
 */
export function withConfig(
  file: TaskFile,
  folder: string,
  given: CliOptions,
  where: Where,
): Omit<Project, "source" | "taskFile" | "historyKey"> | undefined {
  let options = given;
  const ws = findWorkspace(folder, where.cwd);
  if (ws === undefined) return undefined;
  const tasks = denoTasks(ws, options, where);
  const warnings = [...ws.warnings];
  const first = options.targets[0];
  let targets: string[] | undefined;
  if (first !== undefined && !file.specs.has(first)) {
    if (!isTask(tasks, first)) throw scriptRefusal(tasks, first) ?? unknownName(first, file, ws);
    targets = selectTasks(tasks, {
      task: first,
      args: options.taskArgs,
      warn: (line) => warnings.push(line),
    });
  } else if (options.asJobList) {
    options = options.asJobList();
  }
  const merged = mergeDenoTasks(file, tasks, options.mode === "list");
  // Workers load the task file alone: its deno.json tasks run on the coordinator.
  if (options.nats !== undefined) pinToCoordinator(merged.specs, file);
  return {
    options,
    specs: merged.specs,
    names: merged.names,
    targets: targets ?? (options.targets.length > 0 ? options.targets : merged.defaults),
    defaults: merged.defaults,
    configRoot: ws.root.config.dir,
    configs: configFiles(ws),
    warnings,
  };
}

/**
 * Whether gather runs in a workspace member that has only a package.json:
 * there `deno task` runs the member's scripts, so a task file beside the
 * root's config is not this folder's (gather refuses a script's name rather
 * than run the root's task of that name).
 *
 * @param where Where gather runs.
 * @returns `true` in such a member.
 *
 * @example Usage
 * ```ts ignore
 * if (inScriptsMember(where)) taskFile = undefined;
 * ```
 */
export function inScriptsMember(where: Where): boolean {
  const ws = findWorkspace(where.start, where.cwd);
  return ws !== undefined && !ws.current.isRoot && ws.current.scripts !== undefined;
}

/**
 * The tasks of the nearest deno.json, when there is no task file.
 *
 * @param options The parsed command line.
 * @param where Where gather runs.
 * @returns The project.
 * @throws {GatherError} For no config, a bad config, an unknown task.
 *
 * @example Usage
 * ```ts ignore
 * const project = await configOnly(options, where);
 * ```
 */
export async function configOnly(options: CliOptions, where: Where): Promise<Project> {
  const { cwd, start, recursive } = where;
  const ws = findWorkspace(start, cwd);
  if (ws === undefined) {
    throw new GatherError(
      "TASK_FILE_NOT_FOUND",
      `Task file "${options.file}" not found, and no deno.json ${
        start === cwd ? "here" : `in "${relative(cwd, start)}"`
      } or above: create one, or pass a task file with -f <path>`,
    );
  }
  const tasks = denoTasks(ws, options, where);
  const warnings = [...ws.warnings];
  const project = {
    options,
    warnings,
    names: tasks.names(),
    defaults: [],
    source: `"${ws.shown(ws.current.config.path)}"`,
    configRoot: ws.root.config.dir,
    configs: configFiles(ws),
    historyKey: toFileUrl(ws.root.config.path).href,
  };
  const packages = recursive
    ? await (await lazy<typeof import("../load/member_filter.ts")>(
      new URL("../load/member_filter.ts", import.meta.url),
    )).selectPackages(ws, {
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
    // What each package can run by name: its own tasks, and the root's it does not hide.
    for (const pkg of packages ?? [ws.current]) {
      for (const def of visible(pkg, ws.root)) {
        tasks.add({ pkg: pkg.config.tasks.includes(def) ? pkg : ws.root, def }, []);
      }
    }
    return { ...project, specs: tasks.specs(), targets: [] };
  }
  if (first === undefined) {
    const { listTasks } = await lazy<typeof import("../load/deno_listing.ts")>(
      new URL("../load/deno_listing.ts", import.meta.url),
    );
    return { ...project, specs: new Map(), targets: [], listing: listTasks(ws, packages) };
  }
  const targets = selectTasks(tasks, {
    task: first,
    args: options.taskArgs,
    ...(packages === undefined ? {} : { packages }),
    warn: (line) => warnings.push(line),
  });
  return { ...project, specs: tasks.specs(), targets };
}

function denoTasks(ws: Workspace, options: CliOptions, where: Where): DenoTasks {
  return new DenoTasks(ws, {
    deno: Deno.execPath(),
    env: where.env("INIT_CWD") === undefined ? { INIT_CWD: where.cwd } : {},
    // --cwd moves where tasks run, as with deno task; a recursive run keeps each member's folder.
    ...(options.cwd === undefined || where.recursive ? {} : { cwd: where.start }),
  });
}

/** A name that is neither a job of the task file nor a task of its config: they are one set of names. */
function unknownName(name: string, file: TaskFile, ws: Workspace): GatherError {
  const tasks = visible(ws.current, ws.root).map((def) => def.name);
  const known = [...new Set([...file.specs.keys(), ...tasks])].sort();
  return new GatherError(
    "UNKNOWN_JOB",
    `Unknown job or task "${name}" in "${file.path}" and "${ws.shown(ws.current.config.path)}"${
      didYouMean(name, known)
    }; available: ${known.join(", ")}`,
    { job: name },
  );
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
