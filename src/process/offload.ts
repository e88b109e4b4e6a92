/**
 * Run blocking or CPU-heavy work off the event loop: in a Web Worker (the
 * default, about 20 ms to start and answer, measured) or in a subprocess
 * (`isolate: "process"`, about 30 ms, but stoppable mid-computation).
 *
 * @module
 */

import { runCommand, type RunCommandOptions } from "./command.ts";
import type { OffloadRequest, OffloadResponse } from "./offload_worker.ts";

/** Options of {@linkcode offload}. */
export interface OffloadOptions {
  /** Aborting it terminates the worker or kills the process. */
  signal?: AbortSignal;
  /**
   * `worker`: a Web Worker, cheap to start; cancellation terminates it, but a
   * worker inside a synchronous loop keeps running until the loop yields or
   * gather exits. `process`: a `deno` subprocess, killed at once on
   * cancellation. @default {"worker"}
   */
  isolate?: "worker" | "process";
  /** Settings for the `process` isolate. */
  process?: Pick<RunCommandOptions, "forceSignal" | "graceMs" | "registry" | "onLine" | "spawner">;
}

/**
 * Call `exportName` of the module at `moduleUrl` with `args`, off the event loop.
 *
 * @typeParam T The function's result.
 * @param moduleUrl The module's absolute URL, e.g. `new URL("./work.ts", import.meta.url)`.
 * @param exportName The exported function to call.
 * @param args Structured-cloneable (worker) or JSON (process) arguments.
 * @param options Cancellation and isolation.
 * @returns What the function returned.
 * @throws {TypeError} If `moduleUrl` is not absolute.
 *
 * @example Usage
 * ```ts
 * import { offload } from "./offload.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const ms = await offload<number>(new URL("../duration.ts", import.meta.url), "parseDuration", ["1m"]);
 * assertEquals(ms, 60_000);
 * ```
 */
export function offload<T>(
  moduleUrl: string | URL,
  exportName: string,
  args: unknown[] = [],
  options: OffloadOptions = {},
): Promise<T> {
  let url: string;
  try {
    url = new URL(moduleUrl).href;
  } catch {
    throw new TypeError(
      `Cannot offload "${exportName}": "${moduleUrl}" is not an absolute URL; use new URL("./file.ts", import.meta.url)`,
    );
  }
  const request: OffloadRequest = { url, exportName, args };
  return options.isolate === "process"
    ? inProcess<T>(request, options)
    : inWorker<T>(request, options.signal);
}

function inWorker<T>(request: OffloadRequest, signal: AbortSignal | undefined): Promise<T> {
  signal?.throwIfAborted();
  const worker = new Worker(new URL("./offload_worker.ts", import.meta.url), { type: "module" });
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener("abort", onAbort);
      worker.terminate();
    };
    const onAbort = () => {
      done();
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<OffloadResponse>) => {
      done();
      const response = event.data;
      response.ok ? resolve(response.value as T) : reject(revive(response.error));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      done();
      reject(new Error(`Offloaded "${request.exportName}" crashed: ${event.message}`));
    };
    worker.postMessage(request);
  });
}

async function inProcess<T>(request: OffloadRequest, options: OffloadOptions): Promise<T> {
  const resultFile = await Deno.makeTempFile({ prefix: "gather-offload-" });
  try {
    await runCommand(
      [
        Deno.execPath(),
        "run",
        "-A",
        new URL("./offload_child.ts", import.meta.url).href,
        JSON.stringify(request),
        resultFile,
      ],
      {
        ...options.process,
        ...(options.signal ? { signal: options.signal } : {}),
        display: `offload ${request.exportName}`,
      },
    );
    const response = JSON.parse(await Deno.readTextFile(resultFile)) as OffloadResponse;
    if (!response.ok) throw revive(response.error);
    return response.value as T;
  } finally {
    await Deno.remove(resultFile).catch(() => {});
  }
}

function revive(info: { name: string; message: string; stack?: string }): Error {
  const error = new Error(info.message);
  error.name = info.name;
  if (info.stack) error.stack = info.stack;
  return error;
}
