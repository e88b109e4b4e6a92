// Types of @std/path (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version: the functions gather uses at start-up.

export function dirname(path: string | URL): string;
export function fromFileUrl(url: string | URL): string;
export function toFileUrl(path: string): URL;
export function isAbsolute(path: string): boolean;
export function join(path: string | URL, ...paths: string[]): string;
export function normalize(path: string | URL): string;
export function relative(from: string, to: string): string;
export function resolve(...pathSegments: string[]): string;
