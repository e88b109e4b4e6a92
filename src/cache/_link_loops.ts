/**
 * The guard that keeps a walk that follows symbolic links from going round
 * for ever: a link to a folder is not followed when its target holds a
 * folder the walk came through to reach it (`a/up -> ..`, `x/l -> ../y`
 * beside `y/l -> ../x`, a link to `/`). As `find -L` does, by real paths:
 * each folder on the way is known by where it really is.
 *
 * @module
 */

import { join } from "../deps/path.ts";

/**
 * Finds the links that lead round, for one walk's root. Real paths are
 * asked for only where a link to a folder is met.
 *
 * @example Usage
 * ```ts
 * import { LinkLoops } from "./_link_loops.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/data/x`, { recursive: true });
 * await Deno.symlink("..", `${root}/data/up`);
 * await Deno.symlink("x", `${root}/data/down`);
 * const loops = new LinkLoops(root);
 * assertEquals([loops.leadsBack("data", "up"), loops.leadsBack("data", "down")], [true, false]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class LinkLoops {
  #root: string;
  /**
   * The real folders a folder is reached through, by its path from the root:
   * the deepest real folder before each link on the way, then its own. A
   * folder on the way is an ancestor of one of them.
   */
  #chains = new Map<string, string[]>();

  /**
   * Guard walks from a root.
   *
   * @param root The folder walks start from.
   */
  constructor(root: string) {
    this.#root = root;
  }

  /**
   * Whether following the link `name` in `folder` would lead round: its
   * target holds a folder the walk came through to reach it. A link that
   * cannot be resolved is not followed either.
   *
   * @param folder The folder that holds the link, relative to the root.
   * @param name The link's name.
   * @returns `true` when it must not be followed.
   */
  leadsBack(folder: string, name: string): boolean {
    let target: string;
    let chain: string[];
    try {
      target = Deno.realPathSync(join(this.#root, folder, name));
      chain = this.#chain(folder);
    } catch {
      return true; // gone meanwhile, or unreadable
    }
    const inside = target === "/" ? "/" : `${target}/`;
    if (chain.some((real) => real === target || real.startsWith(inside))) return true;
    this.#chains.set(folder ? `${folder}/${name}` : name, [...chain, target]);
    return false;
  }

  /** The real folders a folder is reached through (see {@linkcode LinkLoops.#chains}). */
  #chain(folder: string): string[] {
    let chain = this.#chains.get(folder);
    if (chain) return chain;
    const real = Deno.realPathSync(folder ? join(this.#root, folder) : this.#root);
    if (folder === "") chain = [real];
    else {
      const slash = folder.lastIndexOf("/");
      const above = this.#chain(slash < 0 ? "" : folder.slice(0, slash));
      const last = above[above.length - 1]!;
      // A real subfolder deepens the last real folder; a link (met on a glob's base) adds one.
      chain = real === `${last === "/" ? "" : last}/${folder.slice(slash + 1)}`
        ? [...above.slice(0, -1), real]
        : [...above, real];
    }
    this.#chains.set(folder, chain);
    return chain;
  }
}
