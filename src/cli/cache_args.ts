/**
 * The command line of `gather cache`: its command and options, checked, with
 * one clear line for each mistake (an unknown command, an option that is not
 * the cache's, a negative size).
 *
 * @module
 */

import { parseArgs } from "../deps/cli_parse_args.ts";
import { GatherError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";
import { nearestConfig, readConfig } from "../load/deno_config.ts";

/** The cache commands. */
export const CACHE_COMMANDS: readonly string[] = ["status", "clean", "prune"];

const STRINGS = ["cache-dir", "root", "max-size", "remote-cache", "remote-cache-timeout"];
const BOOLEANS = ["remote", "remote-cache-read-only", "help", "debug"];
const USAGE = "gather cache status | clean | prune --max-size <size>";

/** A cache command line, read. */
export interface CacheArgs {
  /** `status`, `clean` or `prune`; `help` for `--help`. */
  command: "status" | "clean" | "prune" | "help";
  /** The value of a string option, if given. */
  text(name: string): string | undefined;
  /** Whether a switch is on. */
  on(name: string): boolean;
}

/**
 * Read the command line of `gather cache`. The cache's options may come after
 * the command (`gather cache status --remote`) or before `cache`
 * (`gather --cache-dir /tmp/c cache status`).
 *
 * @param after The words after `cache`.
 * @param before The words before `cache` (options).
 * @param cwd Where a deno.json task named `cache` would be found, for the hint to run it.
 * @returns The command and its options.
 * @throws {GatherError} `BAD_OPTION`, one line naming what is wrong and what to do.
 *
 * @example Usage
 * ```ts
 * import { parseCacheArgs } from "./cache_args.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const args = parseCacheArgs(["prune", "--max-size", "1GB"], ["--cache-dir", "/tmp/c"]);
 * assertEquals([args.command, args.text("max-size"), args.text("cache-dir")], ["prune", "1GB", "/tmp/c"]);
 * assertThrows(() => parseCacheArgs(["bogus"]), Error, 'Unknown cache command "bogus"');
 * ```
 */
export function parseCacheArgs(
  after: readonly string[],
  before: readonly string[] = [],
  cwd: string = Deno.cwd(),
): CacheArgs {
  const hint = () => taskHint(before, after, cwd);
  const unknown: string[] = [];
  const flags = parse([...after, ...before], unknown);
  // The command is the first word after `cache`: a word before it is an unknown option's value.
  const words = parse(after, [])._.map(String);
  const on = (name: string) => flags[name] === true;
  const text = (name: string) => {
    const value = flags[name];
    if (Array.isArray(value)) throw bad(`Option --${name} was given more than once`);
    return typeof value === "string" ? value : undefined;
  };
  if (on("help")) return { command: "help", text, on };
  const [command, ...rest] = words;
  if (command === undefined) {
    // A bare `gather cache` may mean a job of that name, which only the deno.json check can see.
    const job = ` (a job named "cache" runs with ${
      ["gather", ...before, "--", "cache"].join(" ")
    })`;
    throw bad(`gather cache needs a command: ${USAGE}${hint() || job}`);
  }
  if (!CACHE_COMMANDS.includes(command)) {
    throw bad(
      `Unknown cache command "${command}"${
        didYouMean(command, CACHE_COMMANDS)
      }: use ${USAGE}${hint()}`,
    );
  }
  if (rest.length > 0) {
    throw bad(`Unexpected "${rest[0]}" after gather cache ${command}: use ${USAGE}${hint()}`);
  }
  if (unknown.length > 0) {
    throw bad(
      `Unknown option ${unknown[0]} for gather cache: its options are --${
        STRINGS.join(", --")
      }, --remote and --remote-cache-read-only${hint()}`,
    );
  }
  return { command: command as CacheArgs["command"], text, on };
}

/** Parse cache options, collecting the options that are not the cache's. */
function parse(
  args: readonly string[],
  unknown: string[],
): Record<string, unknown> & { _: unknown[] } {
  return parseArgs(negativeSizes(args), {
    string: STRINGS,
    boolean: BOOLEANS,
    alias: { h: "help" },
    unknown: (arg) => {
      if (!arg.startsWith("-") || arg === "-") return true;
      unknown.push(arg.split("=")[0]!);
      return false;
    },
  }) as Record<string, unknown> & { _: unknown[] };
}

/**
 * `--max-size -1` would read `-1` as an option of its own: join it, so the
 * size's own check names it.
 */
function negativeSizes(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (args[i] === "--max-size" && next !== undefined && /^-\d/.test(next)) {
      out.push(`--max-size=${next}`);
      i++;
    } else out.push(args[i]!);
  }
  return out;
}

/** When the nearest deno.json has a task named `cache`: how to run it instead. */
function taskHint(before: readonly string[], after: readonly string[], cwd: string): string {
  try {
    const config = nearestConfig(cwd);
    if (config === undefined) return "";
    if (!readConfig(config, config).tasks.some((task) => task.name === "cache")) return "";
  } catch {
    return ""; // a config that does not read: no hint
  }
  const line = ["gather", ...before, "--", "cache", ...after].join(" ");
  return `; to run the task named "cache" instead: ${line}`;
}

function bad(message: string): GatherError {
  return new GatherError("BAD_OPTION", message);
}
