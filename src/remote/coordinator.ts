/**
 * Setting up the coordinator of a distributed run (`gather --nats <url>`):
 * connect, open the run on the work queue, and put the remote runner in
 * place of the in-process one, inside the cache. Loaded only with `--nats`.
 *
 * @module
 */

import { lazyHasher } from "../cache/hash.ts";
import { fromFileUrl, relative } from "../deps/path.ts";
import type { JobRunner } from "../engine/runner.ts";
import type { EventSink } from "../events.ts";
import type { QueueOptions } from "./dispatcher.ts";
import { connectDispatcher } from "./nats.ts";
import { type KeySource, RemoteRunner } from "./runner.ts";

/** How the coordinator runs. */
export interface CoordinatorOptions {
  /** The NATS server, `nats://host:port`. */
  url: string;
  /** The queue's timing. */
  queue: QueueOptions;
  /** The project root (absolute). */
  root: string;
  /** The task file's URL (`file:`). */
  taskFile: string;
  /** The shared cache the workers use. */
  cache: { url: string; team: string };
  /** `--force`. */
  force: boolean;
  /** How long a cancelled job gets to stop, in ms. */
  graceMs: number;
  /** The run's default timeout per attempt, in ms. */
  timeoutMs?: number | undefined;
}

/** The coordinator's runner, and how to let go of its connection. */
export interface Coordinator {
  /** Runs jobs on workers, or on `local`. */
  runner: JobRunner;
  /** Close the connection (after the run). */
  close(): Promise<void>;
}

/**
 * Connect to the NATS server and open a run.
 *
 * @param options The server, the queue's timing, the task file and the cache.
 * @param local Runs the jobs that stay on the coordinator.
 * @param emit Where the workers' events go.
 * @param keys The cache in front of the runner.
 * @returns The runner and a way to close.
 * @throws {GatherError} When the server cannot be reached or has no JetStream.
 *
 * @example Usage
 * ```ts ignore
 * const { runner, close } = await startCoordinator(options, inProcess, emit, plan.cache);
 * ```
 */
export async function startCoordinator(
  options: CoordinatorOptions,
  local: JobRunner,
  emit: EventSink,
  keys: KeySource | undefined,
): Promise<Coordinator> {
  const dispatcher = await connectDispatcher(options.url);
  try {
    const run = `${Date.now().toString(36)}-${Deno.pid}-${Math.random().toString(36).slice(2, 6)}`;
    const path = fromFileUrl(options.taskFile);
    const hash = (await lazyHasher()()).sha256(await Deno.readFile(path));
    const runner = new RemoteRunner({
      local,
      emit,
      keys,
      run,
      task: { file: relative(options.root, path), hash },
      cwd: relative(options.root, Deno.cwd()),
      cache: options.cache,
      force: options.force,
      graceMs: options.graceMs,
      timeoutMs: options.timeoutMs,
      queue: options.queue,
    });
    runner.attach(
      await dispatcher.openRun(run, runner.handlers, options.queue),
      dispatcher.lost,
    );
    return { runner, close: () => dispatcher.close() };
  } catch (error) {
    await dispatcher.close();
    throw error;
  }
}
