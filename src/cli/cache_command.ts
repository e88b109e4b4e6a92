/**
 * `gather cache status [--remote] | clean | prune --max-size <size>`: look
 * after the result cache of the project in the current folder.
 *
 * @module
 */

import { cacheStats, cleanCache, pruneCache } from "../cache/maintenance.ts";
import { projectRoot } from "../cache/root.ts";
import { join, resolve } from "../deps/path.ts";
import { GatherError } from "../errors.ts";
import { formatBytes, parseSize } from "./size.ts";
import { remoteCacheConfig } from "../cache/remote_options.ts";
import { checkRemote } from "./remote_status.ts";
import { parseCacheArgs } from "./cache_args.ts";
import { CACHE_HELP } from "./options.ts";

export { CACHE_COMMANDS } from "./cache_args.ts";

/**
 * Run a cache command.
 *
 * @param args The arguments after `cache`.
 * @param env Reads an environment variable (`GATHER_CACHE_DIR`, `GATHER_REMOTE_CACHE_*`).
 * @param print Writes to stdout.
 * @param before The options before `cache` (`gather --cache-dir /tmp/c cache status`).
 * @returns The exit code: 1 when `status --remote` finds a problem.
 * @throws {GatherError} `BAD_OPTION` on a bad command, option or size.
 *
 * @example Usage
 * ```ts
 * import { runCacheCommand } from "./cache_command.ts";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * let out = "";
 * const code = await runCacheCommand(["status", "--cache-dir", dir], () => undefined, (t) => out += t);
 * assertEquals(code, 0);
 * assertStringIncludes(out, "entries: 0");
 * ```
 */
export async function runCacheCommand(
  args: readonly string[],
  env: (name: string) => string | undefined,
  print: (text: string) => void,
  before: readonly string[] = [],
): Promise<number> {
  const flags = parseCacheArgs(args, before);
  const command = flags.command;
  if (command === "help") {
    print(CACHE_HELP);
    return 0;
  }
  const text = flags.text;
  const root = text("root") ?? projectRoot(Deno.cwd());
  const dir = resolve(
    text("cache-dir") ?? (env("GATHER_CACHE_DIR") || join(root, ".gather", "cache")),
  );
  if (command === "status") {
    const stats = await cacheStats(dir);
    const lines = [`cache: ${dir}`, `entries: ${stats.entries}, size: ${formatBytes(stats.bytes)}`];
    if (stats.lastRun) {
      const { hits, misses, remote } = stats.lastRun;
      const ratio = hits + misses === 0
        ? "no cached jobs"
        : `${(100 * hits / (hits + misses)).toFixed(1)} % hits`;
      const fromRemote = remote ? ` (${remote} remote)` : "";
      const missed = `${misses} miss${misses === 1 ? "" : "es"}`;
      lines.push(
        `last run: ${hits} hit${hits === 1 ? "" : "s"}${fromRemote}, ${missed} (${ratio})`,
      );
    }
    print(lines.join("\n") + "\n");
    if (!flags.on("remote")) return 0;
    const remote = await checkRemote(remoteCacheConfig({
      url: text("remote-cache"),
      timeout: text("remote-cache-timeout"),
      readOnly: flags.on("remote-cache-read-only"),
    }, env));
    print(remote.lines.join("\n") + "\n");
    return remote.ok ? 0 : 1;
  }
  if (command === "clean") {
    const bytes = await cleanCache(dir);
    print(`cache: removed ${formatBytes(bytes)} from ${dir}\n`);
    return 0;
  }
  const maxSize = text("max-size");
  if (maxSize === undefined) {
    throw bad("gather cache prune needs --max-size <size>, e.g. --max-size 1GB");
  }
  const { removedEntries, bytes } = await pruneCache(dir, parseSize(maxSize));
  print(`cache: removed ${removedEntries} entries, ${formatBytes(bytes)} left in ${dir}\n`);
  return 0;
}

function bad(message: string): GatherError {
  return new GatherError("BAD_OPTION", message);
}
