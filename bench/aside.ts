/**
 * Folders a bench section is done with, moved aside instead of deleted until
 * the section ends. This machine's disk is ext4 without a journal, where the
 * inode allocator skips inodes freed in the last few minutes while their
 * inode-table block is dirty (`recently_deleted()` in `fs/ext4/ialloc.c`):
 * creating 1,000 files right after deleting 1,000 took from 120 to 580 ms
 * in rounds of the same script, against 50-90 ms once the old files were
 * moved aside instead (measured, `perf` showing `recently_deleted` as the
 * hot spot). A section that deletes a run's outputs before the next run
 * would time that, not gather.
 *
 * @module
 */

import { join } from "./paths.ts";

/**
 * Where a section's old folders wait (on the same disk), removed by {@linkcode Aside.clear}.
 *
 * @example Usage
 * ```ts
 * import { Aside } from "./aside.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/out`);
 * const aside = new Aside(`${dir}/aside`);
 * await aside.move(`${dir}/out`);
 * await aside.move(`${dir}/missing`); // nothing there: nothing to do
 * assertEquals(await Deno.stat(`${dir}/out`).then(() => true, () => false), false);
 * await aside.clear();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Aside {
  #dir: string;
  #moved = 0;

  /**
   * Construct one.
   *
   * @param dir The folder the old ones go into (made when needed).
   */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Move a folder aside, if it is there.
   *
   * @param path The folder.
   */
  async move(path: string): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true });
    try {
      await Deno.rename(path, join(this.#dir, String(this.#moved++)));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  /** Delete everything moved aside. */
  async clear(): Promise<void> {
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
