/**
 * Whether the folders a task file listed while it loaded hold other entries
 * now. A name that came or went in one of them reloads the task file, so its
 * job list follows, as a plain rerun would; an entry whose content changed is
 * not a change of the listing (the jobs' inputs see that).
 *
 * What counts is the set of names compared with what the load saw, not the
 * events: a file written and removed again between two looks changes
 * nothing, and a reload cannot loop, since the next child's load sees the
 * names as they are (only a job that makes new names each run, which would
 * give a plain rerun other jobs each time too, reloads each run). Entries
 * that are gather's own writes never count: `.git/` and `.gather/`, and what
 * the caller skips (watch mode skips the jobs' declared outputs and the
 * folders they are written into, so a task file that lists `c/`, whose jobs
 * write `c/build/*.o`, is not reloaded when `c/build` comes; a listed folder
 * the jobs write into, missing when it was listed, counts as empty then).
 *
 * @module
 */

import { dirname } from "../deps/path.ts";
import type { Listing } from "./listings.ts";

/** Entries that came or went in listed folders (absolute paths). */
export interface ListingChanges {
  /** Entries that came (a listed folder that came is one too). */
  added: string[];
  /** Entries that went (a listed folder that went is one too). */
  removed: string[];
}

const NEVER = /(^|\/)\.(git|gather)(\/|$)/;

/**
 * The listed folders of a load, and what changed in them since.
 *
 * @example Usage
 * ```ts
 * import { ListedFolders } from "./listed_folders.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(`${dir}/a.c`, "");
 * const listed = new ListedFolders([{ folder: dir, names: new Set(["a.c"]) }]);
 * await Deno.rename(`${dir}/a.c`, `${dir}/b.c`);
 * await Deno.mkdir(`${dir}/.gather`); // gather's own: never counts
 * const changes = listed.changes([`${dir}/a.c`, `${dir}/b.c`]);
 * assertEquals(changes, { added: [`${dir}/b.c`], removed: [`${dir}/a.c`] });
 * assertEquals(listed.describe(changes, dir, "tasks.ts"), "a.c renamed to b.c in a folder tasks.ts lists");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ListedFolders {
  #folders = new Map<string, ReadonlySet<string> | undefined>();
  /** Listed folders the jobs make (they hold outputs): their own coming and going does not count. */
  #made = new Set<string>();
  /** Each listed folder and every folder above it: a change there may make one come or go. */
  #above = new Set<string>();
  #skip: (path: string) => boolean;

  /**
   * Keep the listings that may change.
   *
   * @param listings What the load listed (a folder under `.git/` or `.gather/` is left out).
   * @param skip Whether a path is never a change (a declared output, a folder outputs go into);
   *   for a listed folder itself, whether its coming or going is not one (only its entries count).
   */
  constructor(listings: readonly Listing[], skip: (path: string) => boolean = () => false) {
    this.#skip = (path) => NEVER.test(path) || skip(path);
    for (const { folder, names } of listings) {
      if (NEVER.test(folder)) continue;
      if (skip(folder)) this.#made.add(folder);
      this.#folders.set(folder, this.#kept(folder, names));
      for (let at = folder; !this.#above.has(at); at = dirname(at)) this.#above.add(at);
    }
  }

  /** The listed folders watched (absolute; some may not exist). */
  get folders(): string[] {
    return [...this.#folders.keys()];
  }

  /**
   * Whether a changed path may change a listing: an entry of a listed
   * folder, or a listed folder itself or one above it (gone, or come).
   *
   * @param path An absolute path.
   * @returns `true` when it may.
   */
  relevant(path: string): boolean {
    if (this.#folders.size === 0) return false;
    if (this.#folders.has(dirname(path)) && !this.#skip(path)) return true;
    return this.#above.has(path);
  }

  /**
   * The entries that came or went, since the load, in the folders changed paths touch.
   *
   * @param paths Absolute paths that changed; a listed folder's own path looks at it whatever changed.
   * @returns What came and went (empty when the listings are what the load saw).
   */
  changes(paths: Iterable<string>): ListingChanges {
    const touched = new Set<string>();
    for (const path of paths) {
      if (!this.relevant(path)) continue;
      const parent = dirname(path);
      if (this.#folders.has(parent)) touched.add(parent);
      if (!this.#above.has(path)) continue;
      for (const folder of this.#folders.keys()) if (isAtOrAbove(path, folder)) touched.add(folder);
    }
    const added: string[] = [];
    const removed: string[] = [];
    for (const folder of [...touched].sort()) {
      const then = this.#folders.get(folder);
      const now = this.#read(folder);
      if (then === undefined && now === undefined) continue;
      if (then === undefined) added.push(folder);
      if (now === undefined) removed.push(folder);
      for (const name of [...(now ?? [])].sort()) {
        if (!then?.has(name)) added.push(`${folder}/${name}`);
      }
      for (const name of [...(then ?? [])].sort()) {
        if (!now?.has(name)) removed.push(`${folder}/${name}`);
      }
    }
    return { added, removed };
  }

  /**
   * Add each listed folder and its entries to a polling snapshot, so that a
   * name that comes or goes shows as a change.
   *
   * @param signatures The snapshot, by absolute path; entries already in it keep their signature.
   */
  snapshot(signatures: Map<string, string>): void {
    for (const folder of this.#folders.keys()) {
      const names = this.#read(folder);
      if (names === undefined) continue;
      if (!signatures.has(folder)) signatures.set(folder, "listed folder");
      for (const name of names) {
        const path = `${folder}/${name}`;
        if (!signatures.has(path)) signatures.set(path, "listed");
      }
    }
  }

  /**
   * A change in a few words.
   *
   * @param changes What came and went.
   * @param root What paths are shown relative to.
   * @param source The task file, as the user named it.
   * @returns `lib/new.c added to a folder tasks.ts lists`, `… removed from …`, `… renamed to … in …`,
   *   `3 entries added to folders tasks.ts lists: lib/a.c, src/b.c, src/c.c`.
   */
  describe(changes: ListingChanges, root: string, source: string): string {
    const show = (path: string) => path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
    const { added, removed } = changes;
    const [first] = added.length > 0 ? added : removed;
    if (added.length + removed.length === 1 && first !== undefined) {
      if (this.#folders.has(first)) {
        return `${show(first)} ${
          added.length > 0 ? "created" : "removed"
        }, a folder ${source} lists`;
      }
      return added.length > 0
        ? `${show(first)} added to a folder ${source} lists`
        : `${show(first)} removed from a folder ${source} lists`;
    }
    if (
      added.length === 1 && removed.length === 1 && dirname(added[0]!) === dirname(removed[0]!)
    ) {
      return `${show(removed[0]!)} renamed to ${show(added[0]!)} in a folder ${source} lists`;
    }
    const all = [...added, ...removed];
    const shown = all.slice(0, 3).map(show).join(", ") + (all.length > 3 ? ", …" : "");
    const where = new Set(all.map(dirname)).size === 1 ? "a folder" : "folders";
    const what = removed.length === 0
      ? `${entries(added.length)} added to ${where}`
      : added.length === 0
      ? `${entries(removed.length)} removed from ${where}`
      : `${entries(added.length)} added and ${removed.length} removed in ${where}`;
    return `${what} ${source} lists: ${shown}`;
  }

  #read(folder: string): Set<string> | undefined {
    let names: string[] | undefined;
    try {
      names = Array.from(Deno.readDirSync(folder), (entry) => entry.name);
    } catch {
      // gone, or not a folder now
    }
    return this.#kept(folder, names);
  }

  /** The names that count; a folder the jobs make counts as empty when it is missing. */
  #kept(folder: string, names: Iterable<string> | undefined): Set<string> | undefined {
    if (names === undefined) return this.#made.has(folder) ? new Set() : undefined;
    return new Set([...names].filter((name) => !this.#skip(`${folder}/${name}`)));
  }
}

function entries(count: number): string {
  return `${count} ${count === 1 ? "entry" : "entries"}`;
}

/**
 * Whether `path` is `folder` or one of the folders above it: an event there
 * (a folder removed, renamed or made) may change what `folder` holds.
 *
 * @param path The path of an event.
 * @param folder A watched or listed folder.
 * @returns `true` when `path` is `folder` or holds it.
 *
 * @example Usage
 * ```ts
 * import { isAtOrAbove } from "./listed_folders.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isAtOrAbove("/p/lib", "/p/lib/deep"), true);
 * assertEquals(isAtOrAbove("/p/lib", "/p/lib"), true);
 * assertEquals(isAtOrAbove("/p/li", "/p/lib"), false);
 * ```
 */
export function isAtOrAbove(path: string, folder: string): boolean {
  return folder === path || folder.startsWith(`${path}/`);
}
