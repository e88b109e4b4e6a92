/**
 * When a file's stat cannot vouch for its content (git's "racily clean"
 * files): a second write soon after the first need not change anything
 * `stat` says. Deno gives `ctime` in whole seconds, and `touch -d` or
 * `cp -p` put back an old `mtime`, so a same-size overwrite within the
 * second leaves size, times and inode as they were. A stat taken at a
 * moment when the file's last change (by either time) was not safely
 * older is therefore not trusted: the file is read again.
 *
 * @module
 */

/**
 * How much older than the moment a stat was taken the file's last change
 * must be for that stat to vouch for its content, in ms: a second for a time
 * kept in whole seconds, and as much again for a file system clock behind
 * the system's (the kernel stamps files with a coarse clock) or coarser.
 */
export const RACY_MS = 2000;

/**
 * Whether a stat cannot vouch for a file's content: the file changed, by its
 * modification or its change time, too close to `since` (a moment at or
 * before the stat was taken) for a later write to be sure to change the
 * stat. A time in the future is racy too.
 *
 * @param mtime The file's modification time, in ms (0 when unknown).
 * @param ctime The file's change time, in ms (0 when unknown).
 * @param since A moment at or before the stat was taken, in ms.
 * @returns `true` when the file must be read again.
 *
 * @example Usage
 * ```ts
 * import { isRacy } from "./_racy.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const now = Date.now();
 * assertEquals(isRacy(now - 60_000, now - 60_000, now), false);
 * // `touch -d 2024-01-01` after a write: an old mtime, a fresh ctime
 * assertEquals(isRacy(Date.UTC(2024, 0, 1), Math.floor(now / 1000) * 1000, now), true);
 * ```
 */
export function isRacy(mtime: number, ctime: number, since: number): boolean {
  // Written so that a time that is not a number (a damaged index) is racy too.
  return !(mtime + RACY_MS <= since && ctime + RACY_MS <= since);
}
