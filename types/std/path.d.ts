// Types of @std/path (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version: the functions gather uses.

export interface ParsedPath {
  root: string;
  dir: string;
  base: string;
  ext: string;
  name: string;
}
export interface GlobOptions {
  /** @default {true} */
  extended?: boolean;
  /** @default {true} */
  globstar?: boolean;
  /** @default {false} */
  caseInsensitive?: boolean;
}
export const SEPARATOR: string;
export function basename(path: string | URL, suffix?: string): string;
export function dirname(path: string | URL): string;
export function extname(path: string | URL): string;
export function fromFileUrl(url: string | URL): string;
export function toFileUrl(path: string): URL;
export function isAbsolute(path: string): boolean;
export function join(path: string | URL, ...paths: string[]): string;
export function normalize(path: string | URL): string;
export function relative(from: string, to: string): string;
export function resolve(...pathSegments: string[]): string;
export function parse(path: string): ParsedPath;
export function common(paths: string[]): string;
export function isGlob(str: string): boolean;
export function globToRegExp(glob: string, options?: GlobOptions): RegExp;
export function joinGlobs(globs: string[], options?: GlobOptions): string;
export function normalizeGlob(glob: string, options?: GlobOptions): string;
