/**
 * A workspace member that has a `package.json` and no `deno.json`. `deno task`
 * runs its scripts; gather does not run package.json scripts, so such a member
 * has no tasks for gather, but it still belongs to the workspace: its name
 * counts for `--filter`, and what it depends on for the order of members.
 *
 * @module
 */

import { dirname } from "../deps/path.ts";
import { isObject, readConfigJson } from "./_config_text.ts";
import type { DenoConfig } from "./deno_config.ts";

/** A package.json script, which `deno task` runs and gather does not. */
export interface PackageScript {
  /** Its name. */
  name: string;
  /** Its command. */
  command: string;
}

/** A package.json read as a member's config. */
export interface PackageJson {
  /** The member's config, with no tasks; its imports are its dependencies, as `npm:<name>`. */
  config: DenoConfig;
  /** Its scripts, in the file's order. */
  scripts: PackageScript[];
}

/**
 * Read a member's `package.json`.
 *
 * @param path The file (absolute).
 * @param shown How to name it in messages (a path relative to the current folder).
 * @returns Its config (no tasks) and its scripts.
 * @throws {GatherError} `CONFIG_INVALID` when it does not parse. Like `deno task`, it takes
 * what it can of the rest: a script that is not a string, or a file that is not an object, is
 * left out.
 *
 * @example Usage
 * ```ts
 * import { readPackageJson } from "./package_json.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${dir}/package.json`,
 *   '{"name": "web", "scripts": {"test": "vitest"}, "dependencies": {"@s/core": "workspace:*"}}',
 * );
 * const { config, scripts } = readPackageJson(`${dir}/package.json`, "package.json");
 * assertEquals([config.name, config.tasks, config.importTargets], ["web", [], ["npm:@s/core"]]);
 * assertEquals(scripts, [{ name: "test", command: "vitest" }]);
 * ```
 */
export function readPackageJson(path: string, shown: string): PackageJson {
  const json = readConfigJson(path, shown);
  const raw = isObject(json) ? json : {};
  const config: DenoConfig = {
    path,
    dir: dirname(path),
    tasks: [],
    importTargets: dependencyNames(raw).map((name) => `npm:${name}`),
    settings: JSON.stringify({ ...raw, scripts: undefined }),
  };
  if (typeof raw["name"] === "string" && raw["name"] !== "") config.name = raw["name"];
  return { config, scripts: readScripts(raw["scripts"]) };
}

function readScripts(value: unknown): PackageScript[] {
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([name, command]) =>
    typeof command === "string" ? [{ name, command }] : []
  );
}

function dependencyNames(raw: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const field of ["dependencies", "devDependencies", "peerDependencies"]) {
    const map = raw[field];
    if (isObject(map)) { for (const name of Object.keys(map)) names.add(name); }
  }
  return [...names];
}
