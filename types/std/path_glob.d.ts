// Types of @std/path's glob functions (deno-std@1.4.0 ships JavaScript only), from the
// documented signatures of the JSR package of the same version.

export interface GlobOptions {
  /** @default {true} */
  extended?: boolean;
  /** @default {true} */
  globstar?: boolean;
  /** @default {false} */
  caseInsensitive?: boolean;
}
export function isGlob(str: string): boolean;
export function globToRegExp(glob: string, options?: GlobOptions): RegExp;
