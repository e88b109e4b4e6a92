/**
 * Symbolic links among a job's outputs: saved as links (the text of their
 * target), never followed, and restored as links. A link is stored only when
 * its target is relative and stays inside the project root, as seen from the
 * link's folder (`out/latest -> v2`, `bin/tool -> ../lib/tool.js`), by its
 * path and where it really is (a folder on its way may be a link): an
 * absolute target, or one that leaves the root, would make a restore plant a
 * way out of the project (and would not mean the same on another machine),
 * so the job is not cached. The same checks refuse such a link in an entry
 * from anywhere (a damaged local cache, a hostile remote artifact), and so
 * does an output under a link: restoring it would write through the link.
 *
 * @module
 */

import { dirname, normalize } from "../deps/path.ts";

/** One symbolic link among an entry's outputs. */
export interface OutputLink {
  /** Its path, relative to the project root. */
  path: string;
  /** What it points to, as the link holds it (relative to the link's folder). */
  target: string;
}

/** An output link the cache will not store, or an entry's links it will not restore. */
export class UnsafeLinkError extends Error {
  /**
   * Construct it.
   *
   * @param message What is wrong, naming the link.
   */
  constructor(message: string) {
    super(message);
    this.name = "UnsafeLinkError";
  }
}

/**
 * Why a link's target may not be stored or restored, if it may not.
 *
 * @param path The link's path, relative to the project root.
 * @param target What it points to.
 * @returns The reason, or `undefined` when the target is relative and stays inside the root.
 *
 * @example Usage
 * ```ts
 * import { linkTargetProblem } from "./links.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(linkTargetProblem("out/link.txt", "target.txt"), undefined);
 * assertEquals(linkTargetProblem("out/bin/tool", "../../lib/tool.js"), undefined);
 * assertEquals(linkTargetProblem("out/node", "/usr/bin/node"), "its target is an absolute path");
 * assertEquals(linkTargetProblem("out/up", "../../.."), "its target leaves the project root");
 * ```
 */
export function linkTargetProblem(path: string, target: string): string | undefined {
  if (typeof target !== "string" || target === "" || target.includes("\0")) {
    return "its target is not a path";
  }
  if (target.startsWith("/") || /^[A-Za-z]:/.test(target) || target.includes("\\")) {
    return "its target is an absolute path";
  }
  const reached = normalize(`${dirname(path)}/${target}`);
  if (reached === ".." || reached.startsWith("../") || reached.startsWith("/")) {
    return "its target leaves the project root";
  }
  return undefined;
}

/**
 * Check an entry's links against each other and its files: every target
 * stays inside the root, no path is listed twice, and no output lies under
 * a link (restoring it would write through the link).
 *
 * @param files The paths of the entry's output files.
 * @param links The entry's links.
 * @throws {UnsafeLinkError} On the first problem, naming the link.
 *
 * @example Usage
 * ```ts
 * import { checkLinks } from "./links.ts";
 * import { assertThrows } from "@std/assert";
 *
 * checkLinks(["out/v2/a.txt"], [{ path: "out/latest", target: "v2" }]);
 * assertThrows(() => checkLinks(["out/latest/a.txt"], [{ path: "out/latest", target: "v2" }]));
 * assertThrows(() => checkLinks([], [{ path: "out/etc", target: "/etc" }]));
 * ```
 */
export function checkLinks(files: readonly string[], links: readonly OutputLink[]): void {
  if (links.length === 0) return;
  const linked = new Set<string>();
  for (const link of links) {
    const problem = linkTargetProblem(link.path, link.target);
    if (problem !== undefined) {
      throw new UnsafeLinkError(
        `output ${JSON.stringify(link.path)} is a symbolic link to ${
          JSON.stringify(link.target)
        }: ${problem}`,
      );
    }
    if (linked.has(link.path)) {
      throw new UnsafeLinkError(`output ${JSON.stringify(link.path)} is listed twice`);
    }
    linked.add(link.path);
  }
  for (const path of files) {
    if (linked.has(path)) {
      throw new UnsafeLinkError(`output ${JSON.stringify(path)} is listed twice`);
    }
  }
  for (const path of [...files, ...linked]) {
    for (let slash = path.indexOf("/"); slash >= 0; slash = path.indexOf("/", slash + 1)) {
      const folder = path.slice(0, slash);
      if (linked.has(folder)) {
        throw new UnsafeLinkError(
          `output ${JSON.stringify(path)} is under ${
            JSON.stringify(folder)
          }, a symbolic link that is also an output`,
        );
      }
    }
  }
}

/**
 * Why a link, in the folder it really is in, would lead out of the project,
 * if it would: a folder on its way may be a link to a shallower folder,
 * where `..` goes further up than its path says.
 *
 * @param realRoot The project root, with links resolved.
 * @param realFolder The link's folder, with links resolved.
 * @param link The link.
 * @returns The reason, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { realTargetProblem } from "./links.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const link = { path: "a/b/c/l", target: "../../../y" }; // a/b/c is a link to x
 * assertEquals(realTargetProblem("/p", "/p/a/b/c", link), undefined);
 * assertEquals(typeof realTargetProblem("/p", "/p/x", link), "string");
 * ```
 */
export function realTargetProblem(
  realRoot: string,
  realFolder: string,
  link: OutputLink,
): string | undefined {
  const reached = normalize(`${realFolder}/${link.target}`);
  if (reached === realRoot || reached.startsWith(realRoot === "/" ? "/" : `${realRoot}/`)) {
    return undefined;
  }
  return `output ${JSON.stringify(link.path)} is a symbolic link to ${
    JSON.stringify(link.target)
  }: its target leaves the project root (a folder on its way is a link)`;
}

/**
 * Read an output link as the cache stores it.
 *
 * @param absolute The link's absolute path.
 * @param path Its path, relative to the project root.
 * @param realRoot The project root, with links resolved.
 * @returns The link.
 * @throws {UnsafeLinkError} When its target is absolute or leaves the root.
 *
 * @example Usage
 * ```ts
 * import { readOutputLink } from "./links.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.symlink("target.txt", `${dir}/link.txt`);
 * assertEquals(readOutputLink(`${dir}/link.txt`, "out/link.txt", await Deno.realPath(dir)), {
 *   path: "out/link.txt",
 *   target: "target.txt",
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readOutputLink(absolute: string, path: string, realRoot: string): OutputLink {
  const link = { path, target: Deno.readLinkSync(absolute) };
  checkLinks([], [link]);
  const problem = realTargetProblem(realRoot, Deno.realPathSync(dirname(absolute)), link);
  if (problem !== undefined) throw new UnsafeLinkError(problem);
  return link;
}
