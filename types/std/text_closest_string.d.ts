// Types of @std/text/closest-string and levenshtein-distance (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

export interface ClosestStringOptions {
  /** @default {false} */
  caseSensitive?: boolean;
  compareFn?: (a: string, b: string) => number;
}
export function closestString(
  givenWord: string,
  possibleWords: ReadonlyArray<string>,
  options?: ClosestStringOptions,
): string;
export function levenshteinDistance(str1: string, str2: string): number;
