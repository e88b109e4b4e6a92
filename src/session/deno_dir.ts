/**
 * Deno's cache directory, where the emit cache keeps each local module's
 * JavaScript with a source map: stall sites are mapped back to TypeScript
 * lines with it, by the CLI and `run()` alike.
 *
 * @module
 */

/**
 * Where Deno's cache directory is: `DENO_DIR`, else the platform's cache
 * folder under `HOME`.
 *
 * @param env Reads an environment variable; `undefined` when it is unset or may not be read.
 * @returns The directory, or `undefined` when the environment does not tell.
 *
 * @example Usage
 * ```ts
 * import { denoDir } from "./deno_dir.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(denoDir((name) => name === "DENO_DIR" ? "/cache/deno" : undefined), "/cache/deno");
 * assertEquals(denoDir(() => undefined), undefined);
 * ```
 */
export function denoDir(env: (name: string) => string | undefined): string | undefined {
  const explicit = env("DENO_DIR");
  if (explicit) return explicit;
  const home = env("HOME");
  if (!home) return undefined;
  if (Deno.build.os === "darwin") return `${home}/Library/Caches/deno`;
  return `${env("XDG_CACHE_HOME") ?? `${home}/.cache`}/deno`;
}

/**
 * An environment variable, if the program may already read it: a library
 * must not make Deno prompt for a permission.
 *
 * @param name The variable.
 * @returns Its value, or `undefined` when it is unset or not granted.
 *
 * @example Usage
 * ```ts
 * import { grantedEnv } from "./deno_dir.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(grantedEnv("GATHER_SURELY_UNSET_VARIABLE"), undefined);
 * ```
 */
export function grantedEnv(name: string): string | undefined {
  try {
    const { state } = Deno.permissions.querySync({ name: "env", variable: name });
    return state === "granted" ? Deno.env.get(name) : undefined;
  } catch {
    return undefined;
  }
}
