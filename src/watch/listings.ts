/**
 * The folders a task file lists while it loads. A task file that makes one
 * job per file of a folder (`Deno.readDirSync("lib")` at top level) has a job
 * list that follows the folder's entries: watch mode must reload it when an
 * entry comes or goes, as a plain rerun would see. While the watch child
 * loads the jobs, `Deno.readDir` and `Deno.readDirSync` are wrapped to record
 * each folder listed and the names it held; `@std/fs`'s `walk`, `walkSync`
 * and `expandGlob` list folders through them (looked up at each call), so
 * each folder they list is recorded too. The originals are put back once the
 * load ends; a wrapper the task file kept a reference to only delegates then.
 *
 * @module
 */

import { fromFileUrl, resolve } from "../deps/path.ts";

/** A folder listed while the jobs loaded, and what it held then. */
export interface Listing {
  /** Its absolute path (real, when it exists). */
  folder: string;
  /** The names of its entries; `undefined` when it could not be listed (it did not exist). */
  names: ReadonlySet<string> | undefined;
}

/**
 * Records the folders listed between `start()` and `stop()`.
 *
 * @example Usage
 * ```ts
 * import { ListingRecorder } from "./listings.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(`${dir}/a.c`, "");
 * const recorder = new ListingRecorder();
 * recorder.start();
 * const names = [...Deno.readDirSync(dir)].map((entry) => entry.name);
 * const listings = recorder.stop();
 * assertEquals(names, ["a.c"]);
 * assertEquals(listings, [{ folder: dir, names: new Set(["a.c"]) }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ListingRecorder {
  #listings = new Map<string, Set<string> | undefined>();
  /** Folders listed with `Deno.readDir` whose listing was not read to its end. */
  #unfinished = new Set<string>();
  #active = false;
  #restore: (() => void) | undefined;

  /** Wrap `Deno.readDir` and `Deno.readDirSync`; they record until `stop()`. */
  start(): void {
    if (this.#restore !== undefined) return;
    const { readDir, readDirSync } = Deno;
    this.#active = true;
    Deno.readDirSync = (path: string | URL): IteratorObject<Deno.DirEntry> => {
      const folder = this.#active ? place(path) : undefined;
      if (folder === undefined) return readDirSync(path);
      let entries: Deno.DirEntry[];
      try {
        entries = [...readDirSync(path)];
      } catch (error) {
        this.#record(folder, undefined);
        throw error;
      }
      this.#record(folder, new Set(entries.map((entry) => entry.name)));
      return entries.values();
    };
    Deno.readDir = (path: string | URL): AsyncIterable<Deno.DirEntry> => {
      const folder = this.#active ? place(path) : undefined;
      if (folder === undefined) return readDir(path);
      this.#unfinished.add(folder);
      const record = (names: Set<string> | undefined) => {
        if (!this.#active) return;
        this.#unfinished.delete(folder);
        this.#record(folder, names);
      };
      return (async function* () {
        const names = new Set<string>();
        try {
          for await (const entry of readDir(path)) {
            names.add(entry.name);
            yield entry;
          }
        } catch (error) {
          record(undefined);
          throw error;
        }
        record(names);
      })();
    };
    this.#restore = () => {
      Deno.readDir = readDir;
      Deno.readDirSync = readDirSync;
    };
  }

  /**
   * Put the originals back.
   *
   * @returns Each folder listed, with its entries as the listing saw them
   *   (read now for a listing that was left before its end).
   */
  stop(): Listing[] {
    this.#active = false;
    this.#restore?.();
    this.#restore = undefined;
    for (const folder of this.#unfinished) {
      if (this.#listings.has(folder)) continue;
      try {
        this.#listings.set(folder, new Set(Array.from(Deno.readDirSync(folder), (e) => e.name)));
      } catch {
        this.#listings.set(folder, undefined);
      }
    }
    this.#unfinished.clear();
    return [...this.#listings].map(([folder, names]) => ({ folder, names }));
  }

  /** The first complete listing of a folder is what the task file saw first: keep it. */
  #record(folder: string, names: Set<string> | undefined): void {
    if (!this.#listings.has(folder)) this.#listings.set(folder, names);
  }
}

/** A listed folder's absolute, real path; `undefined` for a path Deno would refuse anyway. */
function place(path: string | URL): string | undefined {
  let absolute: string;
  try {
    absolute = typeof path === "string" ? resolve(path) : fromFileUrl(path);
  } catch {
    return undefined;
  }
  try {
    return Deno.realPathSync(absolute);
  } catch {
    return absolute; // missing: its coming is watched for through its nearest parent
  }
}
