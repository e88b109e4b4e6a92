/**
 * Why a `<member>#<task>` name finds no task, in one clause: the member has
 * no such task (then its config and its tasks are named), or the workspace
 * has no such member (then its members are listed).
 *
 * @module
 */

import { closest } from "../suggest.ts";
import type { DenoTasks } from "./deno_tasks.ts";
import type { Package } from "./workspace.ts";

/**
 * What is wrong with a name of the form `<member>#<task>` that finds no
 * task, to follow the quoted name in a message.
 *
 * @param tasks The workspace's tasks.
 * @param name The name, e.g. `@s/core#tset`.
 * @returns ` in "<member's config>" (did you mean ...); available: ...` when
 * the member is known (none, for a member with only a package.json),
 * `: the workspace has no member "<member>" ...; members: ...` when it is
 * not, or `undefined` for a name with no `#` or outside a workspace.
 *
 * @example Usage
 * ```ts
 * import { memberTaskProblem } from "./unknown_task.ts";
 * import { DenoTasks } from "./deno_tasks.ts";
 * import { findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${dir}/core`);
 * await Deno.writeTextFile(`${dir}/deno.json`, '{"workspace": ["./core"]}');
 * await Deno.writeTextFile(`${dir}/core/deno.json`, '{"name": "@s/core", "tasks": {"test": "echo"}}');
 * const tasks = new DenoTasks(findWorkspace(dir, dir)!, { deno: Deno.execPath(), env: {} });
 * assertEquals(
 *   memberTaskProblem(tasks, "@s/core#tset"),
 *   ' in "core/deno.json" (did you mean "@s/core#test"?); available: @s/core#test',
 * );
 * assertEquals(
 *   memberTaskProblem(tasks, "@s/cor#test"),
 *   ': the workspace has no member "@s/cor" (did you mean "@s/core#test"?); members: @s/core (core)',
 * );
 * assertEquals(memberTaskProblem(tasks, "test"), undefined);
 * ```
 */
export function memberTaskProblem(tasks: DenoTasks, name: string): string | undefined {
  const ws = tasks.workspace;
  if (!name.includes("#", 1) || !ws.isWorkspace) return undefined;
  for (let hash = name.indexOf("#", 1); hash > 0; hash = name.indexOf("#", hash + 1)) {
    const pkg = tasks.package(name.slice(0, hash));
    if (pkg === undefined) continue;
    const names = pkg.config.tasks.map((def) => def.name);
    const typo = closest(name.slice(hash + 1), names);
    return ` in "${ws.shown(pkg.config.path)}"${hint(tasks, pkg, typo)}; available: ${
      names.map((task) => tasks.jobName(pkg, task)).join(", ") ||
      (pkg.scripts === undefined
        ? 'none (add a "tasks" field)'
        : "none (gather does not run package.json scripts)")
    }`;
  }
  const hash = name.indexOf("#", 1);
  const [member, task] = [name.slice(0, hash), name.slice(hash + 1)];
  const members = ws.members();
  const labels = members.map((pkg) => pkg.label);
  const typo = members[labels.indexOf(closest(member, labels) ?? "")];
  const has = typo?.config.tasks.some((def) => def.name === task);
  return `: the workspace has no member "${member}"${
    typo === undefined ? "" : ` (did you mean "${has ? `${typo.label}#${task}` : typo.label}"?)`
  }; members: ${members.map(describePackage).join(", ") || "none"}`;
}

/** ` (did you mean "<member>#<task>"?)` for a task of the member, or nothing. */
function hint(tasks: DenoTasks, pkg: Package, task: string | undefined): string {
  return task === undefined ? "" : ` (did you mean "${tasks.jobName(pkg, task)}"?)`;
}

/**
 * A package as messages list it: its name and folder, its folder alone
 * without a name, `. (root)` for the root.
 *
 * @param pkg The package.
 * @returns `@s/core (packages/core)`, `packages/noname`, `. (root)`.
 *
 * @example Usage
 * ```ts
 * import { describePackage } from "./unknown_task.ts";
 * import { findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(`${dir}/deno.json`, "{}");
 * assertEquals(describePackage(findWorkspace(dir, dir)!.root), ". (root)");
 * ```
 */
export function describePackage(pkg: Package): string {
  if (pkg.isRoot) return pkg.config.name ? `${pkg.config.name} (root)` : ". (root)";
  return pkg.label === pkg.path ? pkg.path : `${pkg.label} (${pkg.path})`;
}
