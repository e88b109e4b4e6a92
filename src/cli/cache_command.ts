/**
 * `gather cache status [--remote] | clean | prune --max-size <size>`: look
 * after the result cache of the project in the current folder.
 *
 * @module
 */

import { cacheStats, cleanCache } from "../cache/maintenance.ts";
import { pruneCache, type Pruned } from "../cache/prune.ts";
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
  const maxBytes = parseSize(maxSize);
  print(pruneReport(await pruneCache(dir, maxBytes), maxBytes, dir));
  return 0;
}

/** What pruning did, in one line: what went, what is left, and why anything is left over the size. */
function pruneReport(pruned: Pruned, maxBytes: number, dir: string): string {
  const { removedEntries, entriesLeft, freed, bytes, bookkeeping, inFlight } = pruned;
  const of = bookkeeping > 0 ? ` (${formatBytes(bookkeeping)} of it the stat index and memos)` : "";
  const holds = `${entries(entriesLeft)}, ${formatBytes(bytes)}${of}`;
  if (freed === 0) {
    return `cache: nothing removed: ${dir} holds ${holds}, within ${formatBytes(maxBytes)}\n`;
  }
  const left = `left in ${dir}: ${holds}`;
  const notes = [
    pruned.bookkeepingRemoved
      ? "the stat index and memos went too, to fit (the next run makes them again)"
      : "",
    inFlight > 0
      ? `${
        formatBytes(inFlight)
      } of blobs written in the last minute that no entry names stay (a run may be storing them)`
      : "",
  ].filter(Boolean);
  const why = notes.length > 0 ? `; ${notes.join("; ")}` : "";
  return `cache: removed ${entries(removedEntries)} (${formatBytes(freed)}); ${left}${why}\n`;
}

function entries(count: number): string {
  return `${count} ${count === 1 ? "entry" : "entries"}`;
}

function bad(message: string): GatherError {
  return new GatherError("BAD_OPTION", message);
}
