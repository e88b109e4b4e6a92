/**
 * Which packages of a workspace a recursive run covers: all of them (`-r`),
 * those a `--filter` names (by package name or folder name as
 * `deno task --filter` matches them, or by path glob; `<pattern>...` adds the
 * members that depend on them), and those whose files changed since a git ref
 * (`--changed-since`, with the members that depend on them).
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import { describePackage } from "./unknown_task.ts";
import type { Package, Workspace } from "./workspace.ts";

/** How the packages are picked. */
export interface MemberSelection {
  /** `--filter`: a name, folder or path pattern, `...` at the end for dependents too. */
  filter?: string;
  /** `--changed-since`: a git ref. */
  changedSince?: string;
}

/** Runs git in a folder; returns its exit code and output. */
export type GitRunner = (
  args: string[],
  cwd: string,
) => Promise<{ code: number; stdout: string; stderr: string }>;

/**
 * The packages a recursive run covers, root first, then members in the
 * order the root lists them.
 *
 * @param ws The workspace.
 * @param selection The filter and the git ref.
 * @param git How git is run. @default {the `git` on PATH}
 * @returns The packages (empty when nothing changed since the ref).
 * @throws {GatherError} `UNKNOWN_MEMBER` for a filter that matches nothing;
 * `BAD_OPTION` for a ref git does not know, or a folder outside a git repository.
 *
 * @example Usage
 * ```ts
 * import { selectPackages } from "./member_filter.ts";
 * import { findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(`${dir}/deno.json`, '{"workspace": ["./a", "./b"]}');
 * for (const name of ["a", "b"]) {
 *   await Deno.mkdir(`${dir}/${name}`);
 *   await Deno.writeTextFile(`${dir}/${name}/deno.json`, JSON.stringify({ name: `@s/${name}` }));
 * }
 * const ws = findWorkspace(dir, dir)!;
 * const picked = await selectPackages(ws, { filter: "@s/b" });
 * assertEquals(picked.map((pkg) => pkg.label), ["@s/b"]);
 * ```
 */
export async function selectPackages(
  ws: Workspace,
  selection: MemberSelection,
  git: GitRunner = runGit,
): Promise<Package[]> {
  const all = [ws.root, ...ws.members()];
  let picked = new Set(all);
  if (selection.filter !== undefined) {
    const dependents = selection.filter.endsWith("...");
    const pattern = dependents ? selection.filter.slice(0, -3) : selection.filter;
    const matched = all.filter(filterMatcher(pattern));
    if (matched.length === 0) {
      throw new GatherError(
        "UNKNOWN_MEMBER",
        `--filter "${selection.filter}" matches no workspace package; packages: ${
          all.map(describePackage).join(", ")
        }`,
      );
    }
    picked = new Set(dependents ? withDependents(ws, matched) : matched);
  }
  if (selection.changedSince !== undefined) {
    const changed = await changedPackages(ws, selection.changedSince, git);
    const affected = new Set(withDependents(ws, changed));
    picked = new Set([...picked].filter((pkg) => affected.has(pkg)));
  }
  return all.filter((pkg) => picked.has(pkg));
}

/**
 * How a filter matches: with a `/`, a path glob against the member's folder
 * (`*` within a folder name, `**` across folders); otherwise as
 * `deno task --filter`: anywhere in the package name or the folder's name,
 * `*` for anything (the root matches only by its name).
 */
function filterMatcher(pattern: string): (pkg: Package) => boolean {
  if (pattern.includes("/") && !pattern.startsWith("@")) {
    const path = pattern.replace(/^\.\//, "").replace(/\/$/, "");
    const regex = new RegExp(
      `^${
        path.split("**").map((part) =>
          part.split("*").map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")
        ).join(".*")
      }$`,
    );
    return (pkg) => regex.test(pkg.isRoot ? "." : pkg.path);
  }
  const regex = new RegExp(
    pattern.split("*").map((piece) => piece.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*"),
  );
  return (pkg) =>
    (pkg.config.name !== undefined && regex.test(pkg.config.name)) ||
    (!pkg.isRoot && regex.test(pkg.path.split("/").at(-1) ?? ""));
}

/** The packages and, transitively, the members that import them. */
function withDependents(ws: Workspace, start: Package[]): Package[] {
  const result = new Set(start);
  let grew = true;
  while (grew) {
    grew = false;
    for (const member of ws.members()) {
      if (result.has(member)) continue;
      if (ws.importsOf(member).some((dep) => result.has(dep))) {
        result.add(member);
        grew = true;
      }
    }
  }
  return [...result];
}

const ROOT_FILES = new Set(["deno.json", "deno.jsonc", "deno.lock", "package.json"]);

/** The packages holding a file that changed since the ref (every one when the root's config did). */
async function changedPackages(ws: Workspace, ref: string, git: GitRunner): Promise<Package[]> {
  const dir = ws.root.config.dir;
  const where = await git(["rev-parse", "--show-toplevel"], dir);
  if (where.code !== 0) {
    throw new GatherError(
      "BAD_OPTION",
      `--changed-since "${ref}": ${
        ws.shown(dir) === "." ? "this folder" : `"${ws.shown(dir)}"`
      } is not in a git repository (${firstLine(where.stderr)})`,
    );
  }
  const known = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], dir);
  if (known.code !== 0) {
    throw new GatherError(
      "BAD_OPTION",
      `--changed-since "${ref}": git knows no commit by that name; give a branch, tag or commit, e.g. --changed-since origin/main`,
    );
  }
  const diff = await git(["diff", "--name-only", "--relative", ref, "--", "."], dir);
  const untracked = await git(["ls-files", "--others", "--exclude-standard"], dir);
  if (diff.code !== 0 || untracked.code !== 0) {
    throw new GatherError(
      "BAD_OPTION",
      `--changed-since "${ref}": git diff failed (${firstLine(diff.stderr || untracked.stderr)})`,
    );
  }
  const files = `${diff.stdout}\n${untracked.stdout}`.split("\n").filter(Boolean);
  const members = [...ws.members()].sort((a, b) => b.path.length - a.path.length);
  const changed = new Set<Package>();
  for (const file of files) {
    if (ROOT_FILES.has(file)) return [ws.root, ...ws.members()];
    changed.add(members.find((member) => file.startsWith(`${member.path}/`)) ?? ws.root);
  }
  return [...changed];
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

async function runGit(args: string[], cwd: string) {
  try {
    const output = await new Deno.Command("git", {
      args,
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return {
      code: output.code,
      stdout: text.decode(output.stdout),
      stderr: text.decode(output.stderr),
    };
  } catch (error) {
    throw new GatherError(
      "BAD_OPTION",
      `--changed-since needs git, which could not be run: ${(error as Error).message}`,
    );
  }
}
