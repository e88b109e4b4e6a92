/**
 * The subprocess behind `ctx.offload(..., { isolate: "process" })`: reads a
 * request from its arguments, runs it, and writes the answer to a file.
 *
 * @module
 */

import { type OffloadRequest, runOffloadRequest } from "./offload_worker.ts";

if (import.meta.main) {
  const [requestJson, resultFile] = Deno.args;
  const request = JSON.parse(requestJson!) as OffloadRequest;
  const response = await runOffloadRequest(request);
  await Deno.writeTextFile(resultFile!, JSON.stringify(response));
}
