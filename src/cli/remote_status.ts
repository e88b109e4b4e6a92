/**
 * `gather cache status --remote`: ask the remote cache server whether it is
 * there, enabled, and takes the token, and say plainly what is wrong.
 *
 * @module
 */

import { RemoteCacheClient, type RemoteCacheConfig } from "../cache/remote_client.ts";
import { RemoteCacheError } from "../cache/remote_client.ts";

/** What the check found. */
export interface RemoteStatus {
  /** Lines to print. */
  lines: string[];
  /** Whether the remote cache can be used as configured. */
  ok: boolean;
}

/** A key no artifact has: asking for it checks the token (and how the server answers a miss) without fetching anything. */
const PROBE = "0".repeat(64);

/**
 * Check a remote cache.
 *
 * @param config The remote cache's settings, or `undefined` when none is set.
 * @returns The lines to print, and whether all is well.
 *
 * @example Usage
 * ```ts
 * import { checkRemote } from "./remote_status.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { ok, lines } = await checkRemote(undefined);
 * assertEquals(ok, false);
 * assertEquals(lines[0], "remote cache: not set (give --remote-cache <url> or GATHER_REMOTE_CACHE_URL)");
 * ```
 */
export async function checkRemote(config: RemoteCacheConfig | undefined): Promise<RemoteStatus> {
  if (config === undefined) {
    return {
      ok: false,
      lines: ["remote cache: not set (give --remote-cache <url> or GATHER_REMOTE_CACHE_URL)"],
    };
  }
  const param = config.team.startsWith("team_") ? "teamId" : "slug";
  const lines = [`remote cache: ${config.url} (team "${config.team}", sent as ${param})`];
  const client = new RemoteCacheClient(config);
  try {
    const status = await client.status();
    if (status !== "enabled") {
      lines.push(`  problem: the server says its cache is ${status}`);
      return { ok: false, lines };
    }
    lines.push("  server: reachable, cache enabled");
  } catch (error) {
    lines.push(`  problem: ${serverProblem(error, config)}`);
    return { ok: false, lines };
  }
  try {
    await client.get(PROBE); // a GET, not a HEAD: a refusal comes with the server's reason
    lines.push(config.token ? "  token: accepted" : "  token: none needed");
  } catch (error) {
    lines.push(`  problem: ${tokenProblem(error, config)}`);
    return { ok: false, lines };
  }
  const keyless = config.signatureKey === undefined;
  lines.push(
    keyless && client.wantsTags
      ? "  signing: off here, and the server keeps only signed artifacts: artifacts are read without verifying their signatures (no GATHER_REMOTE_CACHE_SIGNATURE_KEY here), and this machine's own uploads are never served back by this server, so it makes none"
      : keyless
      ? "  signing: off (anyone who can write to the server can plant a result: set GATHER_REMOTE_CACHE_SIGNATURE_KEY)"
      : client.wantsTags
      ? "  signing: on, and the server keeps signatures (artifacts without a valid x-artifact-tag are refused)"
      : "  signing: on (artifacts without a valid x-artifact-tag are refused; the server must set TURBO_REMOTE_CACHE_SIGNATURE_KEY to keep tags)",
  );
  lines.push(
    `  uploads: ${
      config.readOnly
        ? "off (--remote-cache-read-only)"
        : keyless && client.wantsTags
        ? "off (this machine signs none)"
        : "on"
    }`,
  );
  return { ok: true, lines };
}

function serverProblem(error: unknown, config: RemoteCacheConfig): string {
  if (!(error instanceof RemoteCacheError)) return String((error as Error)?.message ?? error);
  switch (error.kind) {
    case "unreachable":
      return `cannot connect to ${config.url} (${error.message}): is the server running, and is the URL right?`;
    case "timeout":
      return `${config.url} gave ${error.message}: is it overloaded? (--remote-cache-timeout)`;
    default:
      return `the status request failed (${error.message}): is ${config.url} a Turborepo remote cache server?`;
  }
}

function tokenProblem(error: unknown, config: RemoteCacheConfig): string {
  if (!(error instanceof RemoteCacheError)) return String((error as Error)?.message ?? error);
  if (error.kind === "auth") {
    return config.token
      ? `the token was refused (${error.message}): check GATHER_REMOTE_CACHE_TOKEN`
      : `the server needs a token (${error.message}): set GATHER_REMOTE_CACHE_TOKEN`;
  }
  if (error.kind === "rejected") {
    return config.token
      ? `the server refused an artifact request (${error.message}): check GATHER_REMOTE_CACHE_TEAM`
      : `the server refused an artifact request (${error.message}): set GATHER_REMOTE_CACHE_TOKEN`;
  }
  return `an artifact request failed (${error.message})`;
}
