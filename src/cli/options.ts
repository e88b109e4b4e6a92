/**
 * The command line, parsed and validated into {@linkcode CliOptions}. Pure:
 * the arguments and environment are given, nothing is read or printed here.
 *
 * @module
 */

import { parseArgs } from "../deps/cli_parse_args.ts";
import { parseDuration } from "../duration.ts";
import { GatherError } from "../errors.ts";
import type { OutputMode } from "../reporters/reporter.ts";
import type { ReporterChoice } from "../reporters/select.ts";
import type { FailurePolicy } from "../types.ts";
import type { RemoteCacheConfig } from "../cache/remote_client.ts";
import { remoteCacheConfig } from "../cache/remote_options.ts";

/** What the user asked for. */
export type CliMode = "run" | "list" | "graph" | "dry-run" | "help" | "version";

/** The parsed command line. */
export interface CliOptions {
  /** What to do. */
  mode: CliMode;
  /** The task file. */
  file: string;
  /** Whether `-f` named the task file (else `tasks.ts`, if there is one). */
  fileGiven: boolean;
  /** The jobs named on the command line. */
  targets: string[];
  /**
   * The words after the first job name, as given: a deno.json task's
   * arguments (`gather test --filter x` passes `--filter x` on, as `deno task` does).
   */
  taskArgs: string[];
  /**
   * The command line read the task-file way, where every word after the
   * options names a job and options may follow job names; `undefined` when
   * nothing follows the first job name.
   */
  asJobList?: () => CliOptions;
  /** deno.json tasks: run the task in every workspace member that has it (`-r`). */
  recursive: boolean;
  /** deno.json tasks: the workspace members to run in (`--filter`). */
  filter?: string;
  /** deno.json tasks: the members whose files changed since this git ref (`--changed-since`). */
  changedSince?: string;
  /** Look for the task file or deno.json here, and run deno.json tasks here (`--cwd`). */
  cwd?: string;
  /** The global concurrency limit. */
  concurrency: number;
  /** The failure policy. */
  onFailure: FailurePolicy;
  /** Default per-job timeout in ms. */
  timeoutMs?: number;
  /** Grace period for cancelled jobs in ms. */
  graceMs: number;
  /** The reporter. */
  reporter: ReporterChoice;
  /** Print only failures and the summary. */
  quiet: boolean;
  /** Show stacks for errors. */
  debug: boolean;
  /** Watch for event-loop stalls (`--no-diagnostics` turns it off). */
  diagnostics: boolean;
  /** Report stalls longer than this, in ms. */
  stallThresholdMs: number;
  /** Diagnostics fail the run. */
  strict: boolean;
  /** Weight the critical path by durations remembered in `.gather/history.json`. */
  history: boolean;
  /** Plain reporter: print each job's lines together when it ends. */
  group: boolean;
  /** Whose output the human reporters print: `full`, `errors` (the default with `-q`), `none`. */
  output: OutputMode;
  /** Write the final report as JSON to this file. */
  summaryFile?: string;
  /** Where per-job log folders go; absent with `--no-logs`. */
  logDir?: string;
  /** Overwrite a `--summary` file that is not a previous summary (`--force-summary`). */
  forceSummary: boolean;
  /** The result cache: `--no-cache`, `--force`, `--explain`, `--cache-dir`, `--root`. */
  cache: CacheOptions;
  /** `--watch`: run, then rerun what changed, until Ctrl-C. */
  watch?: WatchFlags;
  /** A distributed run (`--nats`): its jobs go to workers through this NATS server. */
  nats?: NatsOptions;
}

/** How `--watch` was asked for. */
export interface WatchFlags {
  /** Wait this long after the last change before rerunning, in ms (`--watch-debounce`). */
  debounceMs: number;
}

/** How a distributed run reaches its workers. */
export interface NatsOptions {
  /** The NATS server (`--nats`, `$GATHER_NATS_URL`), `nats://host:port`. */
  url: string;
  /** A job whose worker is silent this long goes to another worker (`--worker-timeout`), in ms. */
  ackWaitMs: number;
}

/** How the command line asks to use the cache. */
export interface CacheOptions {
  /** Read and write the cache (`--no-cache` turns both off). */
  enabled: boolean;
  /** Run every selected job, and store the results (`--force`). */
  force: boolean;
  /** Say why each job that runs is not a hit (`--explain`). */
  explain: boolean;
  /** The cache folder (`--cache-dir`, `$GATHER_CACHE_DIR`); default `.gather/cache` in the project root. */
  dir?: string;
  /** The project root (`--root`); default: the folder of the nearest deno.json, else the task file's. */
  root?: string;
  /** The remote cache (`--remote-cache`, `GATHER_REMOTE_CACHE_*`); absent when off. */
  remote?: RemoteCacheConfig;
}

/** Where per-job logs go unless `--log-dir` says otherwise. */
export const DEFAULT_LOG_DIR = ".gather/logs";

/** The cache commands' part of the help (`gather cache --help` prints it alone). */
export const CACHE_HELP = `Cache commands:
  gather cache status        entries, size and the last run's hit ratio
  gather cache status --remote   check the remote cache server and the token
  gather cache clean         empty the cache
  gather cache prune --max-size <size>
                             drop the least recently used entries (e.g. 1GB)
  their options: --cache-dir <dir>, --root <dir>, --remote-cache <url>,
  --remote-cache-timeout <d>, --remote-cache-read-only (status --remote)
  a job or task named "cache" runs with: gather -- cache [args...]
`;

/** The help text. */
export const HELP = `gather: run async jobs with dependencies, concurrently

Usage: gather [options] [job...]
       gather [options] <deno.json task> [args...]

Runs the named jobs (default: the task file's default export, else every
exported job) and everything they depend on. Without a task file, runs the
tasks of the nearest deno.json as deno task does (no task named: lists them);
the words after a task's name are its arguments.

Options:
  -f, --file <path>          task file (default: ./tasks.ts)
  -r, --recursive            deno.json: run the task in every workspace
                             member that has it
      --filter <pattern>     deno.json: only the members whose name or path
                             matches (implies -r); "<pattern>..." adds the
                             members that depend on them
      --changed-since <ref>  deno.json: only the members whose files changed
                             since a git ref, and the members that depend on
                             them (implies -r)
      --cwd <dir>            find the task file or deno.json from <dir>, and
                             run tasks there
  -j, --concurrency <n>      jobs at once (default: number of CPUs, or
                             $GATHER_JOBS)
  -k, --keep-going           run everything that does not depend on a failure
      --on-failure <policy>  abort (default): cancel running jobs
                             finish: start nothing new, let running jobs end
                             continue: same as --keep-going
      --timeout <duration>   default per-job timeout, e.g. 30s, 2m
      --grace <duration>     time cancelled jobs get to stop (default: 5s)
  -l, --list                 list jobs with descriptions and deps
      --graph                print the selected jobs as a Graphviz dot graph
  -n, --dry-run              print the order jobs would start in, run nothing
      --reporter <name>      auto (default), tty, plain or json
  -q, --quiet                print only failures and the summary (implies
                             --output errors)
      --output <which>       whose output to print: full (default: every
                             job's), errors (failed jobs' only) or none
      --group                plain reporter: print each job's output whole
                             when it ends
      --summary <file.json>  write the final report (timings, critical path)
                             as JSON
      --force-summary        let --summary overwrite a file that is not a
                             previous summary
      --log-dir <dir>        per-job logs go to <dir>/<run>/<job>.log
                             (default: .gather/logs)
      --no-logs              write no per-job logs
      --stall-threshold <d>  report event-loop stalls longer than this
                             (default: 100ms)
      --no-diagnostics       do not watch for stalls
      --strict               diagnostics fail the run (exit 1)
      --no-history           do not read or write .gather/history.json (job
                             durations)
      --force                run every selected job, even cached ones, and
                             store the results
      --no-cache             neither read nor write the result cache
      --explain              say why each job that runs is not a cache hit
      --cache-dir <dir>      the cache folder (default: .gather/cache in the
                             project root, or $GATHER_CACHE_DIR)
      --root <dir>           the project root (default: the folder of the
                             nearest deno.json)
      --remote-cache <url>   share the cache through a Turborepo Remote Cache
                             API server (or $GATHER_REMOTE_CACHE_URL; token
                             from $GATHER_REMOTE_CACHE_TOKEN)
      --remote-cache-timeout <d>  give up on a remote cache request after
                             this (default: 5s)
      --remote-cache-read-only    download from the remote cache, never
                             upload
  -w, --watch                run, then watch the jobs' inputs and the task
                             file, and rerun what a change affects, until
                             Ctrl-C
      --watch-debounce <d>   wait this long after the last change (default:
                             100ms)
      --nats <url>           run the jobs on workers through this NATS server
                             (or $GATHER_NATS_URL; needs --remote-cache)
      --worker-timeout <d>   give a silent worker's job to another after
                             this (default: 30s)
      --debug                print stack traces for errors
  -h, --help                 show this help
  -V, --version              print the version

Workers (a distributed run):
  gather worker --nats <url> [-j N] [--name <name>]
                             run jobs of coordinators (gather --nats <url>)
                             in this checkout

${CACHE_HELP}
Exit codes: 0 all ok, 1 a job failed (or output could not be written),
n a deno.json task's command failed first (its own code), 2 bad usage or
task file, 70 internal error (please report it), 130 interrupted (SIGINT),
141 output closed (nobody reading), 143 terminated (SIGTERM), 128+n
stopped by another signal n.
`;

const STRINGS = [
  "file",
  "concurrency",
  "timeout",
  "grace",
  "reporter",
  "on-failure",
  "summary",
  "log-dir",
  "stall-threshold",
  "cache-dir",
  "root",
  "remote-cache",
  "remote-cache-timeout",
  "output",
  "filter",
  "changed-since",
  "cwd",
  "watch-debounce",
  "nats",
  "worker-timeout",
] as const;
const BOOLEANS = [
  "keep-going",
  "list",
  "graph",
  "dry-run",
  "quiet",
  "group",
  "no-logs",
  "no-diagnostics",
  "strict",
  "force-summary",
  "no-history",
  "force",
  "no-cache",
  "explain",
  "remote-cache-read-only",
  "help",
  "version",
  "debug",
  "recursive",
  "watch",
] as const;
const DURATIONS = ["timeout", "grace", "stall-threshold", "watch-debounce"] as const;
const ALIASES = {
  f: "file",
  j: "concurrency",
  k: "keep-going",
  l: "list",
  n: "dry-run",
  q: "quiet",
  r: "recursive",
  h: "help",
  V: "version",
  w: "watch",
};

/**
 * Parse the command line.
 *
 * @param args The arguments, without the program name.
 * @param env Reads an environment variable (for `GATHER_JOBS`).
 * @param cpus The number of CPUs, the default concurrency.
 * @returns The options.
 * @throws {GatherError} `BAD_OPTION` naming the flag and the bad value.
 *
 * @example Usage
 * ```ts
 * import { parseCli } from "./options.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const options = parseCli(["-j", "4", "-k", "test"], () => undefined, 2);
 * assertEquals(options.concurrency, 4);
 * assertEquals(options.onFailure, "continue");
 * assertEquals(options.targets, ["test"]);
 * ```
 */
export function parseCli(
  args: string[],
  env: (name: string) => string | undefined,
  cpus: number,
): CliOptions {
  const at = firstJobName(args);
  if (at < 0) return parseFlags(args, env, cpus);
  const options = parseFlags(args.slice(0, at).filter((arg) => arg !== "--"), env, cpus);
  options.targets = [args[at]!];
  options.taskArgs = args.slice(at + 1);
  if (options.taskArgs.length > 0) options.asJobList = () => parseFlags(args, env, cpus);
  return options;
}

/**
 * Where gather's `cache` command is: `cache` as the first word, not after
 * `--` (`gather -- cache` names a job or task called `cache`), and not with
 * `--help` or `--version` before it; -1 when the command line is not one.
 *
 * @param args The arguments, without the program name.
 * @returns The index of the word `cache`, or -1.
 *
 * @example Usage
 * ```ts
 * import { cacheCommandAt } from "./options.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(cacheCommandAt(["cache", "status"]), 0);
 * assertEquals(cacheCommandAt(["--cache-dir", "/tmp/c", "cache", "clean"]), 2);
 * assertEquals(cacheCommandAt(["--", "cache", "status"]), -1); // the task named cache
 * assertEquals(cacheCommandAt(["build", "cache"]), -1);
 * ```
 */
export function cacheCommandAt(args: readonly string[]): number {
  const at = firstJobName(args, ["--max-size"]);
  if (at < 0 || args[at] !== "cache" || args[at - 1] === "--") return -1;
  const asksForHelp = args.slice(0, at).some((arg) =>
    ["-h", "--help", "-V", "--version"].includes(arg)
  );
  return asksForHelp ? -1 : at;
}

/**
 * Where the first job name is: the first word that is neither an option nor
 * an option's value; -1 when there is none.
 */
function firstJobName(args: readonly string[], alsoValued: readonly string[] = []): number {
  const valued = new Set<string>([...STRINGS.map((name) => `--${name}`), ...alsoValued]);
  for (const [short, long] of Object.entries(ALIASES)) {
    if ((STRINGS as readonly string[]).includes(long)) valued.add(`-${short}`);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return i + 1 < args.length ? i + 1 : -1;
    if (!arg.startsWith("-") || arg === "-") return i;
    if (valued.has(arg)) i++; // its value is the next word
  }
  return -1;
}

function parseFlags(
  args: string[],
  env: (name: string) => string | undefined,
  cpus: number,
): CliOptions {
  args = switchValues(args);
  // A negative value would be read as an option of its own ("Unknown option -5s"): name it.
  args.forEach((arg, i) => {
    const next = args[i + 1] ?? "";
    if (!/^-\d/.test(next)) return;
    if (arg === "-j" || arg === "--concurrency") {
      throw bad(`Invalid --concurrency "${next}": expected a whole number of jobs >= 1, e.g. -j 4`);
    }
    if (DURATIONS.some((name) => arg === `--${name}`)) {
      throw bad(
        `Invalid ${arg} "${next}": a duration cannot be negative; use one like 500ms, 10s or 2m`,
      );
    }
  });
  const unknown: string[] = [];
  const flags = parseArgs(args, {
    string: STRINGS,
    boolean: BOOLEANS,
    alias: ALIASES,
    unknown: (arg) => {
      if (arg.startsWith("-") && arg !== "-") {
        unknown.push(arg);
        return false;
      }
      return true;
    },
  });
  if (unknown.length > 0) {
    throw bad(`Unknown option ${unknown[0]!.split("=")[0]}: see gather --help`);
  }
  const text = (name: string): string | undefined => {
    const value = flags[name];
    if (Array.isArray(value)) throw bad(`Option --${name} was given more than once`);
    return value === undefined ? undefined : String(value);
  };
  const modes: CliMode[] = [];
  if (flags["help"]) modes.push("help");
  if (flags["version"]) modes.push("version");
  if (flags["list"]) modes.push("list");
  if (flags["graph"]) modes.push("graph");
  if (flags["dry-run"]) modes.push("dry-run");
  if (modes.length > 1 && !modes.includes("help") && !modes.includes("version")) {
    throw bad(`Options ${modes.map((m) => `--${m}`).join(" and ")} cannot be combined: pick one`);
  }
  const options: CliOptions = {
    mode: modes[0] ?? "run",
    file: text("file") ?? "tasks.ts",
    fileGiven: text("file") !== undefined,
    targets: flags._.map(String),
    taskArgs: [],
    recursive: flags["recursive"] === true,
    concurrency: concurrency(text("concurrency"), env("GATHER_JOBS"), cpus),
    onFailure: failurePolicy(text("on-failure"), flags["keep-going"] === true),
    graceMs: duration("grace", text("grace")) ?? 5_000,
    reporter: reporter(text("reporter")),
    quiet: flags["quiet"] === true,
    output: outputMode(text("output"), flags["quiet"] === true),
    debug: flags["debug"] === true,
    group: flags["group"] === true,
    diagnostics: flags["no-diagnostics"] !== true,
    stallThresholdMs: duration("stall-threshold", text("stall-threshold")) ?? 100,
    strict: flags["strict"] === true,
    history: flags["no-history"] !== true,
    forceSummary: flags["force-summary"] === true,
    cache: {
      enabled: flags["no-cache"] !== true,
      force: flags["force"] === true,
      explain: flags["explain"] === true,
    },
  };
  if (flags["no-cache"] && (flags["force"] || flags["explain"])) {
    throw bad(
      `Options --no-cache and --${flags["force"] ? "force" : "explain"} disagree: pick one`,
    );
  }
  const cacheDir = text("cache-dir") ?? (env("GATHER_CACHE_DIR") || undefined);
  if (cacheDir === "") throw bad("Option --cache-dir needs a path, e.g. --cache-dir .gather/cache");
  if (cacheDir !== undefined) options.cache.dir = cacheDir;
  const root = text("root");
  if (root === "") throw bad("Option --root needs a folder, e.g. --root .");
  if (root !== undefined) options.cache.root = root;
  const remote = remoteCacheConfig({
    url: text("remote-cache"),
    timeout: text("remote-cache-timeout"),
    readOnly: flags["remote-cache-read-only"] === true,
  }, env);
  if (remote !== undefined) options.cache.remote = remote;
  const nats = natsOptions(text("nats"), text("worker-timeout"), env, options.cache);
  if (nats !== undefined) options.nats = nats;
  if (options.stallThresholdMs < 20) {
    throw bad(
      `Invalid --stall-threshold "${
        text("stall-threshold")
      }": use 20ms or more (timer jitter alone reaches ~10ms)`,
    );
  }
  const summaryFile = text("summary");
  if (summaryFile === "") throw bad("Option --summary needs a path, e.g. --summary report.json");
  if (summaryFile !== undefined) options.summaryFile = summaryFile;
  const logDir = text("log-dir");
  if (logDir === "") throw bad("Option --log-dir needs a path, e.g. --log-dir .gather/logs");
  if (logDir !== undefined && flags["no-logs"]) {
    throw bad("Options --log-dir and --no-logs disagree: pick one");
  }
  if (!flags["no-logs"]) options.logDir = logDir ?? DEFAULT_LOG_DIR;
  if (options.file === "") throw bad("Option --file needs a path, e.g. -f tasks.ts");
  for (
    const [name, example] of [["filter", "@scope/core"], ["changed-since", "origin/main"], [
      "cwd",
      "packages/core",
    ]] as const
  ) {
    const value = text(name);
    if (value === "") throw bad(`Option --${name} needs a value, e.g. --${name} ${example}`);
  }
  const filter = text("filter");
  if (filter !== undefined) options.filter = filter;
  const changedSince = text("changed-since");
  if (changedSince !== undefined) options.changedSince = changedSince;
  const cwd = text("cwd");
  if (cwd !== undefined) options.cwd = cwd;
  const timeoutMs = duration("timeout", text("timeout"));
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  const debounceMs = duration("watch-debounce", text("watch-debounce"));
  if (flags["watch"]) {
    if (options.mode !== "run" && options.mode !== "help" && options.mode !== "version") {
      throw bad(`Options --watch and --${options.mode} cannot be combined: pick one`);
    }
    if (text("nats") !== undefined) {
      throw bad("Options --watch and --nats cannot be combined: watch mode runs on this machine");
    }
    delete options.nats; // $GATHER_NATS_URL alone: watch mode runs here
    options.watch = { debounceMs: debounceMs ?? 100 };
  } else if (debounceMs !== undefined) {
    throw bad("Option --watch-debounce goes with --watch: add --watch");
  }
  return options;
}

/**
 * Switches given a value, `--strict=false`, `--no-logs=true` or `-k=true`:
 * `=true` is the switch, `=false` its absence (for `--no-X` too); any other
 * value is refused, rather than read as "on".
 */
function switchValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const match = /^(--[^=]+|-[A-Za-z]+)=(.*)$/s.exec(arg);
    const flag = match?.[1];
    const long = flag === undefined
      ? undefined
      : flag.startsWith("--")
      ? flag.slice(2)
      : (ALIASES as Record<string, string>)[flag.slice(-1)];
    if (!match || long === undefined || !(BOOLEANS as readonly string[]).includes(long)) {
      out.push(arg);
      continue;
    }
    const value = match[2];
    if (value === "true") out.push(flag!);
    else if (value !== "false") {
      throw bad(`Invalid ${flag}=${value}: a switch takes no value, or =true or =false`);
    } else if (!flag!.startsWith("--") && flag!.length > 2) out.push(flag!.slice(0, -1)); // -kq=false: -k
  }
  return out;
}

function concurrency(flag: string | undefined, fromEnv: string | undefined, cpus: number): number {
  const [value, source] = flag !== undefined
    ? [flag, "--concurrency"]
    : fromEnv !== undefined && fromEnv !== ""
    ? [fromEnv, "GATHER_JOBS"]
    : [String(cpus), "the CPU count"];
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1) {
    throw bad(`Invalid ${source} "${value}": expected a whole number of jobs >= 1, e.g. -j 4`);
  }
  return n;
}

/** `--nats`, checked: a distributed run needs the shared cache its outputs travel through. */
function natsOptions(
  flag: string | undefined,
  workerTimeout: string | undefined,
  env: (name: string) => string | undefined,
  cache: CacheOptions,
): NatsOptions | undefined {
  const given = flag ?? (env("GATHER_NATS_URL") || undefined);
  if (given === undefined) {
    if (workerTimeout !== undefined) throw bad("Option --worker-timeout needs --nats <url>");
    return undefined;
  }
  const url = natsUrl(given, flag === undefined ? "GATHER_NATS_URL" : "--nats");
  if (!cache.enabled) {
    throw bad(
      "Options --nats and --no-cache disagree: a distributed run's outputs travel through the cache",
    );
  }
  if (cache.remote === undefined) {
    throw bad(
      "Option --nats needs a shared cache for the jobs' outputs: add --remote-cache <url> (or set GATHER_REMOTE_CACHE_URL), the same for the workers",
    );
  }
  if (cache.remote.readOnly) {
    throw bad(
      "Options --nats and --remote-cache-read-only disagree: workers' outputs come back through the cache",
    );
  }
  const ackWaitMs = duration("worker-timeout", workerTimeout) ?? 30_000;
  if (ackWaitMs < 1_000) {
    throw bad(
      `Invalid --worker-timeout "${workerTimeout}": use 1s or more (workers say they are alive a few times within it)`,
    );
  }
  return { url, ackWaitMs };
}

/**
 * A NATS server's address: `nats://host:port`, or `host:port`.
 *
 * @param value The address given.
 * @param source Where it was given, for the message.
 * @returns The URL.
 * @throws {GatherError} On anything else.
 *
 * @example Usage
 * ```ts
 * import { natsUrl } from "./options.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(natsUrl("127.0.0.1:4222", "--nats"), "nats://127.0.0.1:4222");
 * ```
 */
export function natsUrl(value: string, source: string): string {
  const url = /^[a-z]+:\/\//.test(value) ? value : `nats://${value}`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !["nats:", "tls:"].includes(parsed.protocol) || !parsed.hostname) {
    throw bad(`Invalid ${source} "${value}": expected a NATS server, e.g. nats://127.0.0.1:4222`);
  }
  return url.replace(/\/+$/, "");
}

function failurePolicy(flag: string | undefined, keepGoing: boolean): FailurePolicy {
  if (flag === undefined) return keepGoing ? "continue" : "abort";
  if (flag !== "abort" && flag !== "finish" && flag !== "continue") {
    throw bad(`Invalid --on-failure "${flag}": expected abort, finish or continue`);
  }
  if (keepGoing && flag !== "continue") {
    throw bad(`Options --keep-going and --on-failure ${flag} disagree: pick one`);
  }
  return flag;
}

function reporter(flag: string | undefined): ReporterChoice {
  const value = flag ?? "auto";
  if (value !== "auto" && value !== "tty" && value !== "plain" && value !== "json") {
    throw bad(`Invalid --reporter "${value}": expected auto, tty, plain or json`);
  }
  return value;
}

function outputMode(flag: string | undefined, quiet: boolean): OutputMode {
  if (flag === undefined) return quiet ? "errors" : "full";
  if (flag !== "full" && flag !== "errors" && flag !== "none") {
    throw bad(`Invalid --output "${flag}": expected full, errors or none`);
  }
  if (quiet && flag === "full") {
    throw bad("Options --quiet and --output full disagree: -q prints only failures; pick one");
  }
  return flag;
}

function duration(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch {
    throw bad(`Invalid --${name} "${value}": expected a duration like 500ms, 10s or 2m`);
  }
}

function bad(message: string): GatherError {
  return new GatherError("BAD_OPTION", message);
}
