/**
 * The remote cache's settings, from the command line and the environment:
 * `--remote-cache <url>` or `GATHER_REMOTE_CACHE_URL`, the token from
 * `GATHER_REMOTE_CACHE_TOKEN` only (a flag would show in `ps`), the team from
 * `GATHER_REMOTE_CACHE_TEAM`, the signature key from
 * `GATHER_REMOTE_CACHE_SIGNATURE_KEY`, `--remote-cache-timeout` and
 * `--remote-cache-read-only`. Off when no URL is set.
 *
 * @module
 */

import type { RemoteCacheConfig } from "./remote_client.ts";
import { parseDuration } from "../duration.ts";
import { GatherError } from "../errors.ts";

/** The remote cache's flags, as given. */
export interface RemoteCacheFlags {
  /** `--remote-cache`. */
  url?: string | undefined;
  /** `--remote-cache-timeout`. */
  timeout?: string | undefined;
  /** `--remote-cache-read-only`. */
  readOnly?: boolean;
  /** What the URL is called in messages. @default {"--remote-cache"} */
  name?: string;
}

/** The team artifacts are stored under when none is set. */
export const DEFAULT_TEAM = "gather";

/** The timeout of one request when none is given, in ms. */
export const DEFAULT_REMOTE_TIMEOUT_MS = 5_000;

/**
 * The remote cache's settings.
 *
 * @param flags The flags given.
 * @param env Reads an environment variable.
 * @returns The settings, or `undefined` when no URL is set.
 * @throws {GatherError} `BAD_OPTION` on a bad URL or timeout.
 *
 * @example Usage
 * ```ts
 * import { remoteCacheConfig } from "./remote_options.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const env = (name: string) => ({ GATHER_REMOTE_CACHE_TOKEN: "t0k3n" } as Record<string, string>)[name];
 * const config = remoteCacheConfig({ url: "http://127.0.0.1:3000/", timeout: "2s" }, env);
 * assertEquals(config, {
 *   url: "http://127.0.0.1:3000", token: "t0k3n", team: "gather", timeoutMs: 2000, readOnly: false,
 * });
 * assertEquals(remoteCacheConfig({}, () => undefined), undefined);
 * ```
 */
export function remoteCacheConfig(
  flags: RemoteCacheFlags,
  env: (name: string) => string | undefined,
): RemoteCacheConfig | undefined {
  if (flags.url === "") {
    throw bad(`Option ${flags.name ?? "--remote-cache"} needs a URL, e.g. http://cache.local:3000`);
  }
  const url = flags.url ?? (env("GATHER_REMOTE_CACHE_URL") || undefined);
  if (url === undefined) return undefined;
  const source = flags.url === undefined
    ? "GATHER_REMOTE_CACHE_URL"
    : (flags.name ?? "--remote-cache");
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw bad(
      `Invalid ${source} "${url}": expected an http:// or https:// URL, e.g. http://cache.local:3000`,
    );
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    throw bad(`Invalid ${source} "${url}": give the server's address without a query`);
  }
  let timeoutMs = DEFAULT_REMOTE_TIMEOUT_MS;
  if (flags.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(flags.timeout);
    } catch {
      timeoutMs = NaN;
    }
    if (!(timeoutMs > 0)) {
      throw bad(
        `Invalid --remote-cache-timeout "${flags.timeout}": expected a duration like 500ms or 10s`,
      );
    }
  }
  const config: RemoteCacheConfig = {
    url: url.replace(/\/+$/, ""),
    team: env("GATHER_REMOTE_CACHE_TEAM") || DEFAULT_TEAM,
    timeoutMs,
    readOnly: flags.readOnly === true,
  };
  const token = env("GATHER_REMOTE_CACHE_TOKEN");
  if (token) config.token = token;
  const signatureKey = env("GATHER_REMOTE_CACHE_SIGNATURE_KEY");
  if (signatureKey) config.signatureKey = signatureKey;
  return config;
}

function bad(message: string): GatherError {
  return new GatherError("BAD_OPTION", message);
}
