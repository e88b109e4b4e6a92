/**
 * The list of tasks `gather` prints when no task is named, in `deno task`'s
 * words: `Available tasks:`, then each task with its description, command
 * and dependencies.
 *
 * @module
 */

import type { DenoTaskDef } from "./deno_config.ts";
import type { Package, Workspace } from "./workspace.ts";

/**
 * The tasks of the current package (and the root's it does not hide, marked
 * `(workspace)`), or, for a recursive run, of each package in turn, as
 * `deno task` and `deno task --filter` list them. A member with only a
 * package.json lists its scripts, marked as not run by gather.
 *
 * @param ws The workspace.
 * @param packages The packages of a recursive run. @default {the current one}
 * @returns The text, ending with a newline.
 *
 * @example Usage
 * ```ts
 * import { listTasks } from "./deno_listing.ts";
 * import { findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(
 *   `${dir}/deno.json`,
 *   JSON.stringify({ tasks: { test: { description: "Run tests", command: "deno test" } } }),
 * );
 * assertEquals(
 *   listTasks(findWorkspace(dir, dir)!),
 *   "Available tasks:\n- test\n    // Run tests\n    deno test\n",
 * );
 * ```
 */
export function listTasks(ws: Workspace, packages?: readonly Package[]): string {
  if (packages === undefined) return section("Available tasks:", entries(ws.current, ws.root));
  return packages.map((pkg) =>
    section(
      pkg.isRoot && !pkg.config.name
        ? "Available tasks:"
        : `Available tasks (${pkg.label || pkg.config.name}):`,
      entries(pkg, ws.root),
    )
  ).join("");
}

/**
 * A package's tasks, its package.json scripts (marked as not run by gather), then the root's
 * tasks it does not hide, marked `(workspace)`.
 */
function entries(pkg: Package, root: Package): string[] {
  const own = pkg.config.tasks;
  // A script shadows the root's task of its name, as in deno task: gather refuses to run either.
  const names = new Set([...own, ...pkg.scripts ?? []].map((task) => task.name));
  const inherited = pkg.isRoot ? [] : root.config.tasks.filter((task) => !names.has(task.name));
  return [
    ...own.map((task) => entry(task, "")),
    ...scripts(pkg),
    ...inherited.map((task) => entry(task, " (workspace)")),
  ];
}

function scripts(pkg: Package): string[] {
  return (pkg.scripts ?? []).map((script) =>
    entry(
      { name: script.name, command: script.command, dependencies: [] },
      " (package.json: gather does not run it)",
    )
  );
}

function section(title: string, entries: string[]): string {
  if (entries.length === 0) return `${title}\n  No tasks found in configuration file\n`;
  return `${title}\n${entries.join("")}`;
}

function entry(task: DenoTaskDef, suffix: string): string {
  const lines = [`- ${task.name}${suffix}`];
  for (const line of task.description?.split("\n") ?? []) lines.push(`    // ${line}`);
  if (task.command !== undefined) lines.push(`    ${task.command}`);
  if (task.dependencies.length > 0) lines.push(`    depends on: ${task.dependencies.join(", ")}`);
  return lines.join("\n") + "\n";
}
