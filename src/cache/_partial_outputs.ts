/**
 * What a cancelled job was writing: the files under its declared outputs that
 * changed since it started. A link step cancelled by fail-fast leaves a
 * truncated binary; make removes the target of an interrupted rule, and so
 * does gather, for the outputs a job declares.
 *
 * @module
 */

import { join } from "../deps/path.ts";
import { matchesGlobs, type ParsedGlob, Walker } from "./glob.ts";

/** Files changed this long before a job's start still count as its own: file times are coarse. */
const CLOCK_SLACK_MS = 50;

/**
 * Remove the files under `outputs` that changed since `startedAt`, except
 * those another job of the run also declares as outputs (they may be its).
 *
 * @param root The project root (absolute).
 * @param outputs The cancelled job's output globs.
 * @param startedAt When it started (ms since the epoch).
 * @param others The other cached jobs' output globs.
 * @returns The paths removed, relative to the root.
 *
 * @example Usage
 * ```ts
 * import { removePartialOutputs } from "./_partial_outputs.ts";
 * import { parseGlob } from "./glob.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const root = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(`${root}/old.o`, "from before");
 * await Deno.utime(`${root}/old.o`, 1, 1);
 * const startedAt = Date.now();
 * await Deno.writeTextFile(`${root}/app`, "half a bin");
 * await Deno.writeTextFile(`${root}/theirs.txt`, "another job's output");
 * const others = [[parseGlob("theirs.txt", root, root)]];
 * const removed = removePartialOutputs(root, [parseGlob("*", root, root)], startedAt, others);
 * assertEquals(removed, ["app"]);
 * assertEquals(await Deno.readTextFile(`${root}/old.o`), "from before");
 * assertEquals(await Deno.readTextFile(`${root}/theirs.txt`), "another job's output");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function removePartialOutputs(
  root: string,
  outputs: readonly ParsedGlob[],
  startedAt: number,
  others: readonly (readonly ParsedGlob[])[],
): string[] {
  if (outputs.length === 0) return [];
  const { files } = new Walker(root, undefined, "keep").expand(outputs);
  const removed: string[] = [];
  for (const path of files) {
    if (others.some((globs) => matchesGlobs(path, globs))) continue;
    const absolute = join(root, path);
    try {
      const info = Deno.lstatSync(absolute);
      const changed = Math.max(info.mtime?.getTime() ?? 0, info.ctime?.getTime() ?? 0);
      if (changed < startedAt - CLOCK_SLACK_MS) continue;
      Deno.removeSync(absolute);
      removed.push(path);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}
