/**
 * A Deno project as `deno task` sees it: the nearest config found from a
 * folder, and, when that config is a workspace root or one of its members,
 * the root and every member, each with its package name and the members it
 * imports.
 *
 * @module
 */

import { dirname, join, relative, resolve } from "../deps/path.ts";
import { GatherError } from "../errors.ts";
import { isFile, isFolder } from "../file_kind.ts";
import { configIn, type DenoConfig, nearestConfig, readConfig } from "./deno_config.ts";
import { type PackageScript, readPackageJson } from "./package_json.ts";

/** A config and its place in the workspace. */
export interface Package {
  /** The config (for a member with only a package.json: its name and dependencies, no tasks). */
  config: DenoConfig;
  /** Its folder relative to the root, with `/`; `""` for the root. */
  path: string;
  /** `""` for the root; for a member, its package name, else its path. */
  label: string;
  /** Whether it is the root (or a config on its own). */
  isRoot: boolean;
  /** For a member with a package.json and no deno.json: its scripts, which gather does not run. */
  scripts?: readonly PackageScript[];
}

/** The configs a run can see. */
export interface Workspace {
  /** The workspace root, or the config on its own. */
  root: Package;
  /** The package the start folder is in. */
  current: Package;
  /** Whether the root declares members. */
  isWorkspace: boolean;
  /** The members, in the order the root lists them. */
  members(): Package[];
  /** The members a member imports (by `jsr:`/`npm:` name or path), read on first call. */
  importsOf(pkg: Package): Package[];
  /** A path as messages show it: relative to where gather started. */
  shown(path: string): string;
  /** What reading the workspace found to warn about (a member folder that does not exist), one line each. */
  warnings: readonly string[];
  /** Every folder the root's `workspace` names or matches, a member or not yet (no config, or missing). */
  memberFolders: readonly string[];
}

/**
 * Find the project from a folder, as `deno task` does: the nearest
 * `deno.json`/`deno.jsonc`; if it is a member of a workspace above it, that
 * workspace (a config that is not listed as a member stands alone). A
 * workspace's members are all read, as `deno task` reads them, so that a bad
 * member stops any run before it starts. A member with only a `package.json`
 * has no tasks (gather does not run package.json scripts); a member folder
 * that does not exist is skipped with a warning.
 *
 * @param start The folder to start from (absolute).
 * @param cwd Where gather started: paths in messages are relative to it.
 * @returns The workspace, or `undefined` when no config is found.
 * @throws {GatherError} `CONFIG_INVALID` for a config that does not parse or a bad member.
 *
 * @example Usage
 * ```ts
 * import { findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${dir}/packages/core`, { recursive: true });
 * await Deno.writeTextFile(`${dir}/deno.json`, '{"workspace": ["./packages/*", "./gone"]}');
 * await Deno.writeTextFile(`${dir}/packages/core/deno.json`, '{"name": "@s/core"}');
 * const ws = findWorkspace(`${dir}/packages/core`, dir)!;
 * assertEquals(ws.current.label, "@s/core");
 * assertEquals(ws.root.path, "");
 * assertEquals(ws.warnings.length, 1); // ./gone
 * ```
 */
export function findWorkspace(start: string, cwd: string): Workspace | undefined {
  const nearest = nearestConfig(start);
  if (nearest === undefined) return undefined;
  const shown = (path: string) => {
    const rel = relativeTo(cwd, path);
    return rel === "" ? "." : rel;
  };
  const config = readConfig(nearest, shown(nearest));
  if (config.workspace !== undefined) return workspaceOf(config, config, start, shown);
  for (let folder = dirname(config.dir);; folder = dirname(folder)) {
    const path = configIn(folder);
    if (path !== undefined) {
      const above = readConfig(path, shown(path));
      if (above.workspace !== undefined) {
        const workspace = workspaceOf(above, config, start, shown);
        // A config the workspace does not list stands alone, as deno task has it.
        if (!workspace.current.isRoot) return workspace;
        return workspaceOf(config, config, start, shown, workspace.warnings);
      }
    }
    if (dirname(folder) === folder) break;
  }
  return workspaceOf(config, config, start, shown);
}

function workspaceOf(
  rootConfig: DenoConfig,
  nearest: DenoConfig,
  start: string,
  shown: (path: string) => string,
  warned: readonly string[] = [],
): Workspace {
  const root: Package = { config: rootConfig, path: "", label: "", isRoot: true };
  const warnings = [...warned];
  const folders: string[] = [];
  const members = listMembers(rootConfig, shown, warnings, folders);
  const current = nearest !== rootConfig
    ? members.find((member) => member.config.dir === nearest.dir) ?? root
    // In the root's folder tree, a member with only a package.json is found by its folder.
    : members.filter((member) => member.scripts !== undefined && inside(start, member.config.dir))
      .sort((a, b) => b.path.length - a.path.length)[0] ?? root;
  let imports: Map<Package, Package[]> | undefined;
  return {
    root,
    current,
    isWorkspace: rootConfig.workspace !== undefined,
    members: () => members,
    importsOf: (pkg) => (imports ??= importGraph(members)).get(pkg) ?? [],
    shown,
    warnings,
    memberFolders: folders,
  };
}

/**
 * The config files a workspace's jobs come from, for watch mode: each
 * package's `deno.json` and `deno.jsonc` (the one it has, and the other,
 * whose coming would change what is read), a member's `package.json` where
 * that is its config, and the configs a folder the root's `workspace` names
 * or matches may get (a folder with none yet, or missing, is no member).
 *
 * @param ws The workspace.
 * @returns Absolute paths, existing or not, without duplicates.
 *
 * @example Usage
 * ```ts
 * import { configFiles, findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${dir}/b`);
 * await Deno.writeTextFile(`${dir}/deno.json`, '{"workspace": ["./b"]}');
 * await Deno.writeTextFile(`${dir}/b/package.json`, '{"name": "b"}');
 * assertEquals(configFiles(findWorkspace(dir, dir)!), [
 *   `${dir}/deno.json`,
 *   `${dir}/deno.jsonc`,
 *   `${dir}/b/deno.json`,
 *   `${dir}/b/deno.jsonc`,
 *   `${dir}/b/package.json`,
 * ]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function configFiles(ws: Workspace): string[] {
  const files = new Set<string>();
  for (const pkg of [ws.root, ws.current, ...ws.members()]) {
    files.add(child(pkg.config.dir, "deno.json"));
    files.add(child(pkg.config.dir, "deno.jsonc"));
    files.add(pkg.config.path);
  }
  // A folder the workspace names that is no member yet becomes one when a config comes.
  for (const folder of ws.memberFolders) {
    for (const name of ["deno.json", "deno.jsonc", "package.json"]) files.add(child(folder, name));
  }
  return [...files];
}

/**
 * The members' config files (absolute), in the order the root lists them;
 * `folders` receives every folder the patterns name or match, member or not.
 */
function memberFiles(
  root: DenoConfig,
  shown: (path: string) => string,
  warnings: string[],
  folders: string[],
): string[] {
  const found = new Map<string, string>(); // folder -> its config file
  const excluded = new Set<string>();
  const named = new Set<string>();
  for (const pattern of root.workspace ?? []) {
    const negated = pattern.startsWith("!");
    const body = negated ? pattern.slice(1) : pattern;
    if (!body.includes("*")) {
      const folder = resolve(root.dir, body);
      if (negated) {
        excluded.add(folder);
        continue;
      }
      named.add(folder);
      if (!isFolder(folder)) {
        warnings.push(
          `workspace member "${pattern}" of "${shown(root.path)}" not found (no folder "${
            shown(folder)
          }"): skipping it, as deno task does`,
        );
      } else {
        const file = memberConfigIn(folder);
        if (file === undefined) {
          throw new GatherError(
            "CONFIG_INVALID",
            `Cannot read "${
              shown(root.path)
            }": workspace member "${pattern}" has no deno.json or package.json; create one or remove it from "workspace"`,
          );
        }
        if (!found.has(folder)) found.set(folder, file);
      }
      continue;
    }
    for (const folder of expand(root.dir, body)) {
      if (negated) excluded.add(folder);
      else {
        named.add(folder);
        const file = memberConfigIn(folder);
        if (file !== undefined && !found.has(folder)) found.set(folder, file);
      }
    }
  }
  folders.push(...[...named].filter((folder) => !excluded.has(folder) && folder !== root.dir));
  return [...found].filter(([folder]) => !excluded.has(folder) && folder !== root.dir)
    .map(([, file]) => file);
}

/** A member folder's config: its deno.json or deno.jsonc, else its package.json. */
function memberConfigIn(folder: string): string | undefined {
  const packageJson = child(folder, "package.json");
  return configIn(folder) ?? (isFile(packageJson) ? packageJson : undefined);
}

function listMembers(
  root: DenoConfig,
  shown: (path: string) => string,
  warnings: string[],
  folders: string[],
): Package[] {
  const members = memberFiles(root, shown, warnings, folders).map((path): Package => {
    const isPackageJson = path.endsWith("/package.json");
    const { config, scripts } = isPackageJson
      ? readPackageJson(path, shown(path))
      : { config: readConfig(path, shown(path)), scripts: undefined };
    const rel = relativeTo(root.dir, config.dir);
    const member: Package = { config, path: rel, label: config.name ?? rel, isRoot: false };
    if (scripts !== undefined) member.scripts = scripts;
    return member;
  });
  const seen = new Map<string, Package>();
  for (const member of members) {
    const other = seen.get(member.label);
    if (other !== undefined) {
      throw new GatherError(
        "CONFIG_INVALID",
        `Cannot read "${
          shown(root.path)
        }": two workspace members are named "${member.label}" (${other.path} and ${member.path}); rename one`,
      );
    }
    seen.set(member.label, member);
  }
  return members;
}

/** Folders under `dir` matching a relative pattern whose segments may hold `*` and `?`. */
function expand(dir: string, pattern: string): string[] {
  let folders = [dir];
  for (const segment of pattern.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (!/[*?]/.test(segment)) {
      folders = folders.map((folder) => join(folder, segment));
      continue;
    }
    const regex = new RegExp(
      `^${segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`,
    );
    const next: string[] = [];
    for (const folder of folders) {
      try {
        const names = [...Deno.readDirSync(folder)]
          .filter((entry) => entry.isDirectory && regex.test(entry.name) && entry.name[0] !== ".")
          .map((entry) => entry.name)
          .sort();
        for (const name of names) next.push(child(folder, name));
      } catch {
        // no such folder: no members here
      }
    }
    folders = next;
  }
  return folders;
}

/** Which members each member imports: `jsr:`/`npm:` specifiers naming a member, or paths into one. */
function importGraph(members: Package[]): Map<Package, Package[]> {
  const byName = new Map<string, Package>();
  for (const member of members) if (member.config.name) byName.set(member.config.name, member);
  const graph = new Map<Package, Package[]>();
  for (const member of members) {
    const deps = new Set<Package>();
    for (const target of member.config.importTargets) {
      const name = target.match(/^(?:jsr|npm):\/?(@[^/@]+\/[^/@]+|[^/@]+)/)?.[1];
      const byPackage = name === undefined ? undefined : byName.get(name);
      const dep = byPackage ??
        (/^\.{1,2}\//.test(target)
          ? members.find((other) => inside(resolve(member.config.dir, target), other.config.dir))
          : undefined);
      if (dep !== undefined && dep !== member) deps.add(dep);
    }
    graph.set(member, [...deps]);
  }
  return graph;
}

/** `join()` for a name in a folder, without its cost (the folder is already normalized). */
function child(folder: string, name: string): string {
  return folder.endsWith("/") ? folder + name : `${folder}/${name}`;
}

/** `relative()`, without its cost for the common case, a path inside the folder: every member is read. */
function relativeTo(folder: string, path: string): string {
  return path.startsWith(`${folder}/`) ? path.slice(folder.length + 1) : relative(folder, path);
}

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder + "/");
}
