/**
 * Read one `deno.json` or `deno.jsonc`: its tasks (string or object form),
 * its package name, its workspace members and what it imports, checked the
 * way `deno task` checks them. A file that does not parse is named with the
 * line and column; a field of the wrong type names the task and the field.
 *
 * @module
 */

import { dirname } from "../deps/path.ts";
import { configInvalid, readConfigObject } from "./_config_text.ts";
import { type GatherTaskSettings, readGather } from "./_gather_key.ts";
import { configIn } from "./config_file.ts";
import { ALLOWED_NAMES, nameProblem, shownName } from "./job_name.ts";

export { configIn } from "./config_file.ts";

export type { GatherTaskSettings } from "./_gather_key.ts";

/** One task of a config, as written. */
export interface DenoTaskDef {
  /** Its name. */
  name: string;
  /** The command; a task with only dependencies has none. */
  command?: string;
  /** Shown by the listing. */
  description?: string;
  /** Tasks that run first (names, or `<member>#<task>` for gather). */
  dependencies: string[];
  /** `files`: the inputs that make it cacheable. */
  files?: string[];
  /** `output`: the files it makes. */
  output?: string[];
  /** `env`: environment variables whose values are part of the cache key. */
  env?: string[];
  /** Its `"gather"` settings. */
  gather?: GatherTaskSettings;
}

/** A config file, read. */
export interface DenoConfig {
  /** The file (absolute). */
  path: string;
  /** Its folder (absolute). */
  dir: string;
  /** The package name (`name`). */
  name?: string;
  /** Its tasks, in the file's order. */
  tasks: DenoTaskDef[];
  /** The member patterns of its `workspace` field, if it is a workspace root. */
  workspace?: string[];
  /** The specifiers its `imports` and `scopes` map to. */
  importTargets: string[];
  /** Everything in it but its tasks, as JSON: what can change what a `deno` command does. */
  settings: string;
}

/**
 * The nearest config at or above a folder, as `deno task` finds it.
 *
 * @param dir The folder to start from (absolute).
 * @returns The file's path, or `undefined` when there is none up to `/`.
 *
 * @example Usage
 * ```ts
 * import { nearestConfig } from "./deno_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/src/deep`, { recursive: true });
 * await Deno.writeTextFile(`${dir}/deno.json`, "{}");
 * assertEquals(nearestConfig(`${dir}/src/deep`), `${dir}/deno.json`);
 * ```
 */
export function nearestConfig(dir: string): string | undefined {
  for (let folder = dir;; folder = dirname(folder)) {
    const found = configIn(folder);
    if (found !== undefined) return found;
    if (dirname(folder) === folder) return undefined;
  }
}

/**
 * Read and check a config file.
 *
 * @param path The file (absolute).
 * @param shown How to name it in messages (a path relative to the current folder).
 * @returns The config.
 * @throws {GatherError} `CONFIG_INVALID` when it does not parse (with the line and
 * column) or a task field has the wrong type.
 *
 * @example Usage
 * ```ts
 * import { readConfig } from "./deno_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/deno.json`, '{"tasks": {"test": "deno test"}}');
 * const config = readConfig(`${dir}/deno.json`, "deno.json");
 * assertEquals(config.tasks, [{ name: "test", command: "deno test", dependencies: [] }]);
 * ```
 */
export function readConfig(path: string, shown: string): DenoConfig {
  const raw = readConfigObject(path, shown);
  const config: DenoConfig = {
    path,
    dir: dirname(path),
    tasks: readTasks(raw["tasks"], shown),
    importTargets: importTargets(raw),
    settings: settingsText(raw),
  };
  if (typeof raw["name"] === "string" && raw["name"] !== "") {
    // A member's tasks are named <name>#<task>.
    const problem = nameProblem(raw["name"]);
    if (problem !== undefined) {
      throw configInvalid(
        shown,
        `"name" "${
          shownName(raw["name"])
        }" has ${problem}, and its tasks' jobs are named after it; rename it: ${ALLOWED_NAMES}`,
      );
    }
    config.name = raw["name"];
  }
  const workspace = readWorkspace(raw["workspace"], shown);
  if (workspace !== undefined) config.workspace = workspace;
  return config;
}

function readTasks(value: unknown, shown: string): DenoTaskDef[] {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw configInvalid(shown, `"tasks" must be an object of task names to commands`);
  }
  return Object.entries(value as Record<string, unknown>).map(([name, task]) =>
    readTask(name, task, shown)
  );
}

function readTask(name: string, value: unknown, shown: string): DenoTaskDef {
  const problem = nameProblem(name);
  if (problem !== undefined) {
    throw configInvalid(
      shown,
      `task "${shownName(name)}" has ${problem} in its name; rename it: ${ALLOWED_NAMES}`,
    );
  }
  if (typeof value === "string") return { name, command: value, dependencies: [] };
  const where = `task "${name}"`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw configInvalid(shown, `${where} must be a command string or an object with "command"`);
  }
  const task = value as Record<string, unknown>;
  const def: DenoTaskDef = {
    name,
    dependencies: strings(task["dependencies"], where, "dependencies", shown) ?? [],
  };
  for (const dependency of def.dependencies) {
    const problem = nameProblem(dependency);
    if (problem !== undefined) {
      throw configInvalid(
        shown,
        `${where}: dependency "${shownName(dependency)}" has ${problem}, which no task's name has`,
      );
    }
  }
  if (task["command"] !== undefined) def.command = text(task["command"], where, "command", shown);
  if (task["description"] !== undefined) {
    def.description = text(task["description"], where, "description", shown);
  }
  for (const field of ["files", "output", "env"] as const) {
    const list = strings(task[field], where, field, shown);
    if (list !== undefined) def[field] = list;
  }
  if (task["gather"] !== undefined) def.gather = readGather(task["gather"], where, shown);
  return def;
}

function readWorkspace(value: unknown, shown: string): string[] | undefined {
  if (value === undefined) return undefined;
  const members = Array.isArray(value)
    ? value
    : typeof value === "object" && value !== null
    ? (value as { members?: unknown }).members
    : undefined;
  if (!Array.isArray(members) || members.some((item) => typeof item !== "string")) {
    throw configInvalid(
      shown,
      `"workspace" must be a list of member folders, e.g. ["./packages/*"]`,
    );
  }
  return members as string[];
}

function importTargets(raw: Record<string, unknown>): string[] {
  const targets: string[] = [];
  const collect = (map: unknown) => {
    if (typeof map !== "object" || map === null) return;
    for (const target of Object.values(map)) if (typeof target === "string") targets.push(target);
  };
  collect(raw["imports"]);
  if (typeof raw["scopes"] === "object" && raw["scopes"] !== null) {
    for (const scope of Object.values(raw["scopes"])) collect(scope);
  }
  return targets;
}

function settingsText(raw: Record<string, unknown>): string {
  const { tasks: _tasks, ...settings } = raw;
  return JSON.stringify(settings);
}

function text(value: unknown, where: string, field: string, shown: string): string {
  if (typeof value !== "string") {
    throw configInvalid(shown, `${where}: "${field}" must be a string`);
  }
  return value;
}

function strings(
  value: unknown,
  where: string,
  field: string,
  shown: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw configInvalid(shown, `${where}: "${field}" must be a list of strings`);
  }
  return [...value];
}
