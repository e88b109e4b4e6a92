/**
 * "Did you mean" hints for a name that was not found: the closest known name,
 * only when it is close (a typo, not any name at all).
 *
 * @module
 */

import { closestString, levenshteinDistance } from "./deps/text_closest_string.ts";

/**
 * ` (did you mean "x"?)` for the known name closest to `name`, when it is a
 * likely typo of it: at most 2 edits apart, or a third of the name's length
 * for a long name. Nothing when no name is that close, and never the name
 * itself (a name that was not found where it was looked up is no typo).
 *
 * @param name The name that was not found.
 * @param known The names there are.
 * @param exclude A name never to suggest (the job that asked: depending on itself would be a cycle).
 * @returns The hint, with a leading space, or `""`.
 *
 * @example Usage
 * ```ts
 * import { didYouMean } from "./suggest.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(didYouMean("tset", ["test", "build"]), ' (did you mean "test"?)');
 * assertEquals(didYouMean("biuld", ["build", "lint"]), ' (did you mean "build"?)');
 * assertEquals(didYouMean("chek", ["good", "broken"]), ""); // nothing close
 * assertEquals(didYouMean("tset", []), "");
 * assertEquals(didYouMean("a2", ["a"], "a"), ""); // never the job that asked
 * assertEquals(didYouMean("lint#fix", ["lint#fix"]), ""); // never the name itself
 * ```
 */
export function didYouMean(name: string, known: Iterable<string>, exclude?: string): string {
  const found = closest(name, known, exclude);
  return found === undefined ? "" : ` (did you mean "${found}"?)`;
}

/**
 * The known name closest to `name` when it is a likely typo of it (as
 * {@linkcode didYouMean} decides), for a hint that shows it differently.
 *
 * @param name The name that was not found.
 * @param known The names there are.
 * @param exclude A name never to suggest.
 * @returns The name, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { closest } from "./suggest.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(closest("tset", ["test", "build"]), "test");
 * assertEquals(closest("nope", ["test", "build"]), undefined);
 * ```
 */
export function closest(
  name: string,
  known: Iterable<string>,
  exclude?: string,
): string | undefined {
  const candidates = [...known].filter((candidate) => candidate !== exclude && candidate !== name);
  if (candidates.length === 0) return undefined;
  const found = closestString(name, candidates);
  const edits = levenshteinDistance(name.toLowerCase(), found.toLowerCase());
  return edits <= Math.max(2, Math.floor(name.length / 3)) ? found : undefined;
}
