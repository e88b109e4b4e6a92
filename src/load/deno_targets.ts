/**
 * Which deno.json tasks a command line names: one task (or a wildcard) seen
 * from the current package, or, with `-r`, the task as every selected
 * package sees it (its own, else the root's, as `deno task --filter` has it),
 * each member's own waiting for the same task of the members it imports. Only the last task a pattern matches in a package gets the
 * arguments, as with `deno task`.
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import type { DenoTaskDef } from "./deno_config.ts";
import type { DenoTasks, PackageTask } from "./deno_tasks.ts";
import { skippedScripts } from "./skipped_scripts.ts";
import { taskPattern } from "./task_pattern.ts";
import { memberTaskProblem } from "./unknown_task.ts";
import { didYouMean } from "../suggest.ts";
import type { Package } from "./workspace.ts";

/** What to run. */
export interface TaskSelection {
  /** The task's name or pattern (`test`, `test:*`, `@scope/core#build`). */
  task: string;
  /** The arguments after it. */
  args: readonly string[];
  /** With `-r`, `--filter` or `--changed-since`: the packages to run it in. */
  packages?: readonly Package[];
  /** Told, in one line, of the package.json scripts the name matches, which gather skips. */
  warn?: (line: string) => void;
}

/**
 * Add the jobs a selection names and return their names.
 *
 * @param tasks The workspace's tasks.
 * @param selection The task, its arguments and the packages.
 * @returns The target jobs' names.
 * @throws {GatherError} `UNKNOWN_TASK` when nothing matches, or when the name is a
 * package.json script of the current package (`deno task` would run it; gather does not).
 *
 * @example Usage
 * ```ts
 * import { selectTasks } from "./deno_targets.ts";
 * import { DenoTasks } from "./deno_tasks.ts";
 * import { findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(
 *   `${dir}/deno.json`,
 *   JSON.stringify({ tasks: { "test:unit": "echo u", "test:e2e": "echo e", build: "echo b" } }),
 * );
 * const tasks = new DenoTasks(findWorkspace(dir, dir)!, { deno: Deno.execPath(), env: {} });
 * assertEquals(selectTasks(tasks, { task: "test:*", args: [] }), ["test:unit", "test:e2e"]);
 * ```
 */
export function selectTasks(tasks: DenoTasks, selection: TaskSelection): string[] {
  const { task, args, packages } = selection;
  const ws = tasks.workspace;
  if (packages === undefined) {
    const refused = scriptRefusal(tasks, task);
    if (refused !== undefined) throw refused;
    // A task's own name first (`lint#fix`), then `<member>#<task>`.
    const found = matching(tasks, ws.current, task);
    const member = found.length === 0 ? tasks.find(ws.current, task) : undefined;
    if (member !== undefined) found.push(member);
    if (found.length === 0) {
      const seen = visible(ws.current, ws.root).map((def) => def.name);
      throw new GatherError(
        "UNKNOWN_TASK",
        `Unknown task "${task}"${
          memberTaskProblem(tasks, task) ??
            ` in "${ws.shown(ws.current.config.path)}"${didYouMean(task, seen)}; available: ${
              seen.join(", ") || 'none (add a "tasks" field)'
            }`
        }`,
      );
    }
    return addAll(tasks, found, args);
  }
  // As deno task: each selected package runs the task it sees, its own, else the root's (once,
  // however many members fall back to it).
  const targets = new Set<string>();
  const byPackage = new Map<Package, Map<string, string>>();
  for (const pkg of packages) {
    const found = matching(tasks, pkg, task);
    const names = addAll(tasks, found, args);
    const own = found.flatMap((one, i): [string, string][] =>
      one.pkg === pkg ? [[one.def.name, names[i]!]] : []
    );
    byPackage.set(pkg, new Map(own));
    for (const name of names) targets.add(name);
  }
  const skipped = skippedScripts(packages, task, ws.shown);
  if (targets.size === 0) {
    const seen = [
      ...new Set(packages.flatMap((pkg) => visible(pkg, ws.root).map((def) => def.name))),
    ];
    throw new GatherError(
      "UNKNOWN_TASK",
      `No selected package has a task "${task}"${didYouMean(task, seen)}; tasks: ${
        seen.join(", ") || "none"
      }${skipped === undefined ? "" : `; gather does not run package.json scripts (${skipped})`}`,
    );
  }
  if (skipped !== undefined) {
    selection.warn?.(`gather does not run package.json scripts: skipping ${skipped}`);
  }
  orderByImports(tasks, packages, byPackage);
  return [...targets];
}

/**
 * Why a name is refused, if it is one `deno task` would take for a package.json script (of a
 * member with only a package.json): `deno task` runs the script; gather refuses rather than run something else under
 * its name (the root's task). The name is looked up as `selectTasks` looks it up: as a name (or
 * pattern) of the current package first, whose scripts hide the root's tasks of their names, so
 * a task whose own name holds a `#` (`lint#fix`) is never refused; then, when the current package
 * sees no task of that name, as `<member>#<script>` at each `#`, as `DenoTasks.find` tries them (a
 * member's task of that name comes first).
 *
 * @param tasks The workspace's tasks.
 * @param task The name asked for.
 * @returns The error to throw, or `undefined`.
 *
 * @example Usage
 * ```ts ignore
 * const refused = scriptRefusal(tasks, "npmy#build");
 * if (refused !== undefined) throw refused;
 * ```
 */
export function scriptRefusal(tasks: DenoTasks, task: string): GatherError | undefined {
  const ws = tasks.workspace;
  if (skippedScripts([ws.current], task, ws.shown) !== undefined) {
    return scriptRefused(tasks, task, ws.current);
  }
  const pattern = taskPattern(task);
  if (visible(ws.current, ws.root).some((def) => pattern.matches(def.name))) return undefined;
  for (let hash = task.indexOf("#"); hash > 0; hash = task.indexOf("#", hash + 1)) {
    const pkg = tasks.package(task.slice(0, hash));
    if (pkg === undefined) continue;
    const name = task.slice(hash + 1);
    if (pkg.config.tasks.some((def) => def.name === name)) return undefined;
    if (skippedScripts([pkg], name, ws.shown) !== undefined) return scriptRefused(tasks, task, pkg);
  }
  return undefined;
}

function scriptRefused(tasks: DenoTasks, task: string, pkg: Package): GatherError {
  return new GatherError(
    "UNKNOWN_TASK",
    `Task "${task}" is a script of "${
      tasks.workspace.shown(pkg.config.path)
    }", and gather does not run package.json scripts; run it with deno task, or add a deno.json with the task beside it`,
  );
}

/**
 * The tasks a package can run by name: its own, then the root's it does not shadow. A member
 * with only a package.json has no tasks, and its scripts shadow the root's tasks of their names,
 * as in `deno task` (which runs the script; gather runs neither).
 *
 * @param pkg The package.
 * @param root The workspace root.
 * @returns The tasks.
 *
 * @example Usage
 * ```ts
 * import { visible } from "./deno_targets.ts";
 * import { findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${dir}/web`);
 * await Deno.writeTextFile(
 *   `${dir}/deno.json`,
 *   '{"workspace": ["./web"], "tasks": {"test": "echo", "build": "echo"}}',
 * );
 * await Deno.writeTextFile(`${dir}/web/deno.json`, '{"tasks": {"test": "echo web"}}');
 * const ws = findWorkspace(`${dir}/web`, dir)!;
 * assertEquals(visible(ws.current, ws.root).map((def) => def.command), ["echo web", "echo"]);
 * ```
 */
export function visible(pkg: Package, root: Package): DenoTaskDef[] {
  if (pkg.isRoot) return pkg.config.tasks;
  const own = new Set([...pkg.config.tasks, ...pkg.scripts ?? []].map((def) => def.name));
  return [...pkg.config.tasks, ...root.config.tasks.filter((def) => !own.has(def.name))];
}

/**
 * The tasks a package sees (its own, then the root's) that a name or pattern
 * matches, leaving out those another match depends on.
 */
function matching(tasks: DenoTasks, pkg: Package, text: string): PackageTask[] {
  const pattern = taskPattern(text);
  const root = tasks.workspace.root;
  const defs = visible(pkg, root);
  const owner = (def: DenoTaskDef) => pkg.config.tasks.includes(def) ? pkg : root;
  if (!pattern.wildcard) {
    const def = defs.find((one) => one.name === text);
    return def ? [{ pkg: owner(def), def }] : [];
  }
  const matched: PackageTask[] = [];
  const reached = new Set<DenoTaskDef>();
  const visit = (def: DenoTaskDef, from: Package) => {
    if (reached.has(def)) return;
    reached.add(def);
    for (const dep of def.dependencies) {
      const found = tasks.find(from, dep);
      if (found) visit(found.def, found.pkg);
    }
  };
  for (const def of defs) {
    if (!pattern.matches(def.name) || reached.has(def)) continue;
    matched.push({ pkg: owner(def), def });
    visit(def, owner(def));
  }
  return matched;
}

/** Add the jobs, the last one (which gets the arguments) first; returns their names in order. */
function addAll(tasks: DenoTasks, found: PackageTask[], args: readonly string[]): string[] {
  if (found.length === 0) return [];
  const last = tasks.add(found.at(-1)!, args).name;
  return [...found.slice(0, -1).map((one) => tasks.add(one, []).name), last];
}

/**
 * Each member's job waits for the same task's job in the members it imports,
 * through members that do not run it.
 */
function orderByImports(
  tasks: DenoTasks,
  packages: readonly Package[],
  byPackage: Map<Package, Map<string, string>>,
): void {
  const ws = tasks.workspace;
  const edges = new Map<string, string[]>(); // job -> the jobs it was made to wait for
  for (const pkg of packages) {
    if (pkg.isRoot) continue;
    for (const [task, job] of byPackage.get(pkg)!) {
      const seen = new Set<Package>([pkg]);
      const queue = [...ws.importsOf(pkg)];
      while (queue.length > 0) {
        const dep = queue.shift()!;
        if (seen.has(dep)) continue;
        seen.add(dep);
        const other = byPackage.get(dep)?.get(task);
        if (other !== undefined) {
          tasks.order(job, other);
          edges.set(job, [...edges.get(job) ?? [], other]);
        } else queue.push(...ws.importsOf(dep));
      }
    }
  }
  const cycle = findCycle(edges);
  if (cycle !== undefined) {
    throw new GatherError(
      "CYCLE",
      `Cannot order workspace members: they import each other in a cycle (${
        cycle.join(" -> ")
      }); a member's task runs after the same task of the members it imports, so break the cycle in their "imports"`,
    );
  }
}

/** A cycle in a graph of names, as a path that ends where it starts. */
function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of edges.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}
