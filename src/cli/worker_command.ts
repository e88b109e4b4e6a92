/**
 * `gather worker --nats <url> [-j N] [--name <name>]`: serve distributed
 * runs from this checkout until stopped (Ctrl-C gives the running jobs back
 * to the queue) or until the NATS server goes away (its jobs are stopped,
 * exit 1). Loaded only for this command; the NATS client with it.
 *
 * @module
 */

import process from "node:process";
import { projectRoot } from "../cache/root.ts";
import { parseArgs } from "../deps/cli_parse_args.ts";
import { captureConsole } from "../diagnostics/console_capture.ts";
import { Diagnostics } from "../diagnostics/diagnostics.ts";
import { join, resolve } from "../deps/path.ts";
import { JobScope } from "../engine/scope.ts";
import { GatherError } from "../errors.ts";
import { createSpawner } from "../process/spawn.ts";
import type { Shutdown } from "../session/signals.ts";
import { signalExitCode } from "../session/signals.ts";
import { EXIT } from "./exit_codes.ts";
import { DEFAULT_REMOTE_TIMEOUT_MS, remoteCacheConfig } from "../cache/remote_options.ts";
import { natsUrl } from "./options.ts";
import { lazy } from "../lazy.ts";

/** The worker's help. */
export const WORKER_HELP = `gather worker: run the jobs of distributed runs (gather --nats <url>)

Usage: gather worker --nats <url> [options]

Run it in a checkout of the coordinator's commit. It takes jobs from the
NATS server's work queue, runs them as a local run would, and shares their
outputs through the remote cache the coordinator names.

Options:
      --nats <url>           the NATS server (or $GATHER_NATS_URL), e.g.
                             nats://10.0.0.5:4222
  -j, --concurrency <n>      jobs at once (default: number of CPUs, or
                             $GATHER_JOBS)
      --name <name>          the worker's name in the coordinator's output
                             (default: host:pid)
      --root <dir>           the project root (default: the folder of the
                             nearest deno.json)
      --cache-dir <dir>      the local cache folder (default: .gather/cache in
                             the project root)
      --remote-cache <url>   this machine's address of the shared cache, when
                             it differs from the coordinator's (token from
                             $GATHER_REMOTE_CACHE_TOKEN)
      --remote-cache-timeout <d>  give up on a remote cache request after
                             this (default: 5s)
  -h, --help                 show this help
`;

/** What the worker command needs from the process. */
export interface WorkerCommandEnv {
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** Writes a line to stderr. */
  print: (line: string) => void;
  /** Writes to stdout (the help). */
  out: (text: string) => void;
  /** The signals that stop the worker. */
  shutdown: Shutdown;
  /** Deno's cache directory. */
  denoDir: string | undefined;
  /** The number of CPUs. */
  cpus: number;
}

/**
 * Run a worker until it is stopped.
 *
 * @param args The arguments after `worker`.
 * @param env The process around it.
 * @returns The exit code: 130/143 when stopped by a signal, 1 when the server went away.
 * @throws {GatherError} `BAD_OPTION` on bad options; `NATS_UNREACHABLE` when the server cannot be reached.
 *
 * @example Usage
 * ```ts ignore
 * const code = await runWorkerCommand(["--nats", "nats://127.0.0.1:4222"], env);
 * ```
 */
export async function runWorkerCommand(
  args: readonly string[],
  env: WorkerCommandEnv,
): Promise<number> {
  const flags = parseArgs([...args], {
    string: [
      "nats",
      "concurrency",
      "name",
      "root",
      "cache-dir",
      "remote-cache",
      "remote-cache-timeout",
    ],
    boolean: ["help"],
    alias: { j: "concurrency", h: "help" },
    unknown: (arg) => {
      if (arg.startsWith("-")) throw bad(`Unknown option ${arg.split("=")[0]} for gather worker`);
      throw bad(`gather worker takes no jobs (got "${arg}"): the coordinator sends them`);
    },
  });
  const text = (name: string): string | undefined => {
    const value = flags[name];
    if (Array.isArray(value)) throw bad(`Option --${name} was given more than once`);
    return value === undefined || value === false ? undefined : String(value);
  };
  if (flags["help"]) {
    env.out(WORKER_HELP);
    return EXIT.ok;
  }
  const given = text("nats") ?? (env.env("GATHER_NATS_URL") || undefined);
  if (given === undefined) {
    throw bad(
      "gather worker needs --nats <url> (or GATHER_NATS_URL): the coordinator's NATS server",
    );
  }
  const url = natsUrl(given, text("nats") === undefined ? "GATHER_NATS_URL" : "--nats");
  const slotsText = text("concurrency") ?? (env.env("GATHER_JOBS") || String(env.cpus));
  const slots = Number(slotsText);
  if (!Number.isInteger(slots) || slots < 1) {
    throw bad(
      `Invalid --concurrency "${slotsText}": expected a whole number of jobs >= 1, e.g. -j 4`,
    );
  }
  const name = text("name") || `${Deno.hostname()}:${Deno.pid}`;
  const rootFlag = text("root");
  const root = Deno.realPathSync(rootFlag ? resolve(rootFlag) : projectRoot(Deno.cwd()));
  const cacheDirFlag = text("cache-dir") || env.env("GATHER_CACHE_DIR") || undefined;
  const cacheDir = cacheDirFlag ? resolve(cacheDirFlag) : join(root, ".gather", "cache");
  // Its own settings (token, key, an address of its own); the coordinator names the server and team.
  const own = remoteCacheConfig({
    url: text("remote-cache") ?? "http://coordinator.invalid",
    timeout: text("remote-cache-timeout"),
  }, env.env)!;
  const ownUrl = text("remote-cache") ?? (env.env("GATHER_REMOTE_CACHE_URL") || undefined);
  const { connectWorker } = await lazy<typeof import("../remote/nats_worker.ts")>(
    new URL("../remote/nats_worker.ts", import.meta.url),
  );
  const { Worker } = await lazy<typeof import("../remote/worker.ts")>(
    new URL("../remote/worker.ts", import.meta.url),
  );
  const link = await connectWorker(url, name);
  if (ownUrl !== undefined) {
    // Every job it runs is uploaded: a cache server it cannot use (down, no token, the token
    // refused) would fail them all. Said once, at start-up, as `gather cache status --remote` says it.
    const { checkRemote } = await lazy<typeof import("./remote_status.ts")>(
      new URL("./remote_status.ts", import.meta.url),
    );
    const status = await checkRemote({
      ...own,
      url: ownUrl,
      timeoutMs: own.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS,
      readOnly: false,
    });
    if (!status.ok) {
      const problem = status.lines.find((line) => line.trim().startsWith("problem:"))?.trim()
        .replace(/^problem: /, "") ?? status.lines.join(" ");
      await link.close();
      throw bad(
        `gather worker cannot use the remote cache ${ownUrl}: ${problem} (check it with gather cache status --remote)`,
      );
    }
  }

  const scope = new JobScope();
  const spawner = createSpawner({ adoptOrphans: true });
  const worker = new Worker({
    link,
    slots,
    worker: name,
    root,
    cacheDir,
    scope,
    spawner,
    forceSignal: env.shutdown.force.signal,
    denoDir: env.denoDir,
    remote: (message) => ({
      ...own,
      url: ownUrl ?? message.cache.url,
      team: message.cache.team,
      timeoutMs: own.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS,
      readOnly: false,
    }),
    print: (line) => env.print(`${name} │ ${line}`),
  });
  const capture = captureConsole(
    { console, stdout: Deno.stdout, stderr: Deno.stderr, process },
    scope,
    (event) => worker.emit(event),
    (text) => env.print(text),
  );
  // A promise a job never awaited that rejects is reported (to its coordinator), never fatal here.
  const diagnostics = new Diagnostics({
    emit: (event) => worker.emit(event),
    scope,
    fnOf: () => undefined,
    stalls: false,
    timers: globalThis,
  });
  await diagnostics.start();
  env.print(`${name} │ serving ${url} with ${slots} slot${slots === 1 ? "" : "s"} in ${root}`);
  let lost: Error | undefined;
  try {
    lost = await worker.serve(env.shutdown.interrupt.signal, env.shutdown.force.signal);
  } finally {
    await diagnostics.stop();
    capture.restore();
    await spawner.close();
  }
  if (lost !== undefined) {
    env.print(`${name} │ ${lost.message}: stopped its jobs`);
    return EXIT.failed;
  }
  return signalExitCode(env.shutdown.stoppedBy ?? "SIGINT");
}

function bad(message: string): GatherError {
  return new GatherError("BAD_OPTION", message);
}
