/**
 * A task file next to a deno.json: one set of jobs. A task-file job may
 * depend on a deno.json task by name (`deps: ["lint"]`), and a `denoTask()`
 * handle becomes the task's own job with the options it adds. A task-file
 * job named like a task is an error that names both places.
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import type { JobSpec } from "../types.ts";
import type { DenoTasks } from "./deno_tasks.ts";
import { visible } from "./deno_targets.ts";
import type { JobNames } from "./resolve.ts";
import type { TaskFile } from "./task_file.ts";

/** The jobs of both. */
export interface MergedJobs {
  /** Every job by name: the task file's, then the deno.json tasks they reach. */
  specs: Map<string, JobSpec>;
  /** Each handle's name. */
  names: JobNames;
  /** The task file's defaults, under their final names. */
  defaults: string[];
}

/**
 * Merge a task file's jobs with the deno.json tasks they use.
 *
 * @param file The task file, loaded.
 * @param tasks The deno.json tasks beside it.
 * @param listAll Add every task of the config (and the root's), for `--list`.
 * @returns The jobs.
 * @throws {GatherError} `DUPLICATE_JOB` for a job named like a task;
 * `UNKNOWN_TASK` for a `denoTask()` naming no task.
 *
 * @example Usage
 * ```ts ignore
 * const merged = mergeDenoTasks(await loadTaskFile("tasks.ts"), tasks, false);
 * ```
 */
export function mergeDenoTasks(file: TaskFile, tasks: DenoTasks, listAll: boolean): MergedJobs {
  const ws = tasks.workspace;
  const config = `"${ws.shown(ws.current.config.path)}"`;
  // Every task the config can run by name, by its job name.
  const taskJobs = new Map<string, string>();
  for (const def of visible(ws.current, ws.root)) {
    const owner = ws.current.config.tasks.includes(def) ? ws.current : ws.root;
    taskJobs.set(tasks.jobName(owner, def.name), def.name);
  }
  // Each wrapped task, by the name the task file gave its handle.
  const renamed = new Map<string, string>();
  const wrapped = new Map<string, JobSpec>(); // by task job name: the task file's spec
  for (const spec of file.specs.values()) {
    const task = spec.handle.denoTask;
    if (task === undefined) {
      const clash = taskJobs.get(spec.name);
      if (clash !== undefined) {
        throw new GatherError(
          "DUPLICATE_JOB",
          `Cannot load "${file.path}": job "${spec.name}" is also a task in ${config} (task "${clash}"); rename the job, or wrap the task with denoTask("${clash}", { ... })`,
          { job: spec.name },
        );
      }
      continue;
    }
    const found = tasks.find(ws.current, task);
    if (found === undefined) {
      const known = [...taskJobs.values()];
      throw new GatherError(
        "UNKNOWN_TASK",
        `Cannot load "${file.path}": denoTask("${task}") names no task of ${config}; tasks: ${
          known.join(", ") || "none"
        }`,
        { job: spec.name },
      );
    }
    const name = tasks.add(found, []).name;
    renamed.set(spec.name, name);
    wrapped.set(name, spec);
  }
  // Deps by name that are no task-file job are deno.json tasks.
  for (const spec of file.specs.values()) {
    for (const dep of spec.deps) {
      if (file.specs.has(dep)) continue;
      const found = tasks.find(ws.current, dep);
      if (found !== undefined) renamed.set(dep, tasks.add(found, []).name);
    }
  }
  if (listAll) {
    for (const def of visible(ws.current, ws.root)) {
      tasks.add(tasks.find(ws.current, def.name)!, []);
    }
  }
  const denoSpecs = tasks.specs();
  const specs = new Map<string, JobSpec>();
  const rename = (name: string) => renamed.get(name) ?? name;
  for (const spec of file.specs.values()) {
    if (spec.handle.denoTask !== undefined) continue;
    specs.set(spec.name, { ...spec, deps: spec.deps.map(rename), depIds: [] });
  }
  for (const [name, spec] of denoSpecs) {
    const wrapper = wrapped.get(name);
    specs.set(name, wrapper === undefined ? spec : withOptions(spec, wrapper, rename));
  }
  const fileNames = file.names;
  const denoNames = tasks.names();
  const handles = new Map<unknown, string>();
  for (const [name, spec] of wrapped) handles.set(spec.handle, name);
  return {
    specs,
    names: {
      get: (handle) => handles.get(handle) ?? fileNames.get(handle) ?? denoNames.get(handle),
    },
    defaults: file.defaults.map(rename),
  };
}

/** A task's spec with the options of the `denoTask()` handle that wraps it. */
function withOptions(task: JobSpec, wrapper: JobSpec, rename: (name: string) => string): JobSpec {
  const merged: JobSpec = {
    ...task,
    deps: [...new Set([...task.deps, ...wrapper.deps.map(rename)])],
    depIds: [],
    retries: wrapper.handle.options.retries ?? task.retries,
    retryDelayMs: wrapper.handle.options.retryDelay !== undefined
      ? wrapper.retryDelayMs
      : task.retryDelayMs,
  };
  if (wrapper.handle.options.description !== undefined) merged.description = wrapper.description!;
  if (wrapper.pool !== undefined) merged.pool = wrapper.pool;
  if (wrapper.timeoutMs !== undefined) merged.timeoutMs = wrapper.timeoutMs;
  return merged;
}
