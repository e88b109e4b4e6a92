/**
 * Two writes in one second, for tests of the cache's racy-file checks: Deno
 * gives `ctime` in whole seconds, so a same-size overwrite that keeps the
 * mtime, in the second of the write before, leaves the file's stat as it was.
 *
 * @module
 */

/** The mtime `touch -d 2024-01-01` gives. */
export const OLD_MTIME: Date = new Date("2024-01-01T00:00:00Z");

/**
 * How many times {@linkcode inOneSecond} tries before it gives up: on a
 * machine loaded by the other test files, a second can pass between two
 * writes several times in a row (CI saw 8).
 */
const ATTEMPTS = 25;

/**
 * A file's change time.
 *
 * @param path The file.
 * @returns Its ctime in ms (whole seconds here).
 */
export function ctimeOf(path: string): number {
  return Deno.statSync(path).ctime?.getTime() ?? 0;
}

/**
 * Wait for the start of the next second, so that what follows has most of a second.
 *
 * @returns When the second has begun.
 */
export function nextSecond(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1000 - Date.now() % 1000));
}

/**
 * Write a file, then put its mtime back to {@linkcode OLD_MTIME}, as `echo … > f; touch -d 2024-01-01 f` does.
 *
 * @param path The file.
 * @param text What it holds.
 */
export async function writeKeepingOldMtime(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.utime(path, OLD_MTIME, OLD_MTIME);
}

/**
 * Try `attempt`, each time from the start of a second, until the writes to a
 * file it makes before and after it calls `between` fall in one second (by
 * the file's ctime then and at the end); return what it found that time.
 *
 * @param file The file written.
 * @param attempt Writes the file, calls `between`, writes it again.
 * @returns What the attempt that fitted returned.
 * @throws {Error} When none fitted.
 */
export async function inOneSecond<T>(
  file: string,
  attempt: (between: () => void) => Promise<T>,
): Promise<T> {
  for (let i = 0; i < ATTEMPTS; i++) {
    await nextSecond();
    let first = NaN;
    const found = await attempt(() => first = ctimeOf(file));
    if (ctimeOf(file) === first) return found;
  }
  throw new Error(`no two writes fell in one second in ${ATTEMPTS} attempts: a loaded machine?`);
}
