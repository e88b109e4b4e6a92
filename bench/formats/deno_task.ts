/**
 * The graph as a `deno.json` whose `tasks` have a `command` and
 * `dependencies`, for `deno task -j <n> all`.
 *
 * @module
 */

import { type BenchGraph, sinks } from "../graphs.ts";
import { commandOf, type Edges, type Programs } from "./shared.ts";

interface TaskDefinition {
  command?: string;
  dependencies?: string[];
}

/**
 * Write the `deno.json` of a graph of process jobs. Commands use absolute
 * paths, so `deno task` spawns `sleep` and `true` rather than running its
 * built-in versions in-process.
 *
 * @param graph The graph.
 * @param programs Where `true` and `sleep` are.
 * @returns The JSON text.
 *
 * @example Usage
 * ```ts
 * import { denoTasks } from "./deno_task.ts";
 * import { DEFAULT_PROGRAMS } from "./shared.ts";
 * import { makeGraph } from "../graphs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const json = JSON.parse(denoTasks(makeGraph({ shape: "chain", n: 2 }), DEFAULT_PROGRAMS));
 * assertEquals(json.tasks.j1, { command: "/usr/bin/true", dependencies: ["j0"] });
 * ```
 */
export function denoTasks(graph: BenchGraph, programs: Programs): string {
  const tasks: Record<string, TaskDefinition> = {};
  for (const job of graph.jobs) {
    const task: TaskDefinition = { command: commandOf(job, programs).join(" ") };
    if (job.deps.length > 0) task.dependencies = job.deps.map((dep) => graph.jobs[dep]!.name);
    tasks[job.name] = task;
  }
  tasks["all"] = { dependencies: sinks(graph).map((i) => graph.jobs[i]!.name) };
  return JSON.stringify({ tasks }, null, 1) + "\n";
}

/**
 * Read the jobs and edges back from a `deno.json` written by
 * {@linkcode denoTasks}.
 *
 * @param text The JSON text.
 * @returns The edges of every task that has a command.
 *
 * @example Usage
 * ```ts
 * import { parseDenoTasks } from "./deno_task.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const text = '{"tasks":{"a":{"command":"true"},"all":{"dependencies":["a"]}}}';
 * assertEquals(parseDenoTasks(text), { a: [] });
 * ```
 */
export function parseDenoTasks(text: string): Edges {
  const { tasks } = JSON.parse(text) as { tasks: Record<string, TaskDefinition> };
  const edges: Edges = {};
  for (const [name, task] of Object.entries(tasks)) {
    if (task.command !== undefined) edges[name] = (task.dependencies ?? []).toSorted();
  }
  return edges;
}
