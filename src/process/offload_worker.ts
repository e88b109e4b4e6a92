/**
 * The Web Worker behind `ctx.offload`: imports a module, calls one of its
 * exports with the given arguments, and posts back the result or the error.
 *
 * @module
 */

/** A request to run `exportName` of `url` with `args`. */
export interface OffloadRequest {
  /** The module's absolute URL. */
  url: string;
  /** The export to call. */
  exportName: string;
  /** Structured-cloneable arguments. */
  args: unknown[];
}

/** The worker's answer. */
export type OffloadResponse =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; message: string; stack?: string } };

/**
 * Run a request and describe its outcome.
 *
 * @param request What to call.
 * @returns The result or the error, as cloneable data.
 *
 * @example Usage
 * ```ts
 * import { runOffloadRequest } from "./offload_worker.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const url = new URL("../duration.ts", import.meta.url).href;
 * const response = await runOffloadRequest({ url, exportName: "parseDuration", args: ["2s"] });
 * assertEquals(response, { ok: true, value: 2000 });
 * ```
 */
export async function runOffloadRequest(request: OffloadRequest): Promise<OffloadResponse> {
  try {
    const module = await import(request.url);
    const fn = module[request.exportName];
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot offload "${request.exportName}": ${request.url} exports no such function`,
      );
    }
    return { ok: true, value: await fn(...request.args) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return {
      ok: false,
      error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
    };
  }
}

/** The part of a worker's global scope this module uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<OffloadRequest>) => void) | null;
  postMessage(message: OffloadResponse): void;
}

const scope = globalThis as unknown as Partial<WorkerScope>;
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  scope.onmessage = async (event) => scope.postMessage!(await runOffloadRequest(event.data));
}
