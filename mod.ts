/**
 * gather: declare async jobs with dependencies and concurrency limits, and run
 * them on a gathering scheduler.
 *
 * A task file is a module that exports jobs; the `gather` CLI runs it:
 *
 * ```ts
 * import { job, pool } from "./mod.ts";
 *
 * const net = pool("net", 2); // at most 2 jobs of this pool run at once
 *
 * export const fetchIndex = job({ pool: net, timeout: "10s", retries: 2 }, async (ctx) => {
 *   ctx.log("fetching");
 *   return ["index.html"];
 * });
 *
 * export const build = job({ deps: [fetchIndex] }, async (ctx) => {
 *   const names = ctx.result(fetchIndex); // typed: string[]
 *   await ctx.sh`echo building ${names}`; // an array becomes one argument per item
 * });
 *
 * export default build;
 * ```
 *
 * Programs can embed the scheduler with {@linkcode run}.
 *
 * @module
 */

export { denoTask, isJob, isPool, job, pool } from "./src/job.ts";
export type {
  CacheStatus,
  CommandResult,
  DenoTaskOptions,
  Duration,
  ExecOptions,
  FailurePolicy,
  Job,
  JobContext,
  JobFn,
  JobOffloadOptions,
  JobOptions,
  JobRef,
  JobReport,
  JobStatus,
  LineProbe,
  MapOptions,
  Pool,
  PortProbe,
  ReadyProbe,
  RunStatus,
  ServiceOptions,
  ShellValue,
  UrlProbe,
} from "./src/types.ts";
export { Queue, QueueClosedError } from "./src/engine/queue.ts";
export type { QueueWaitOptions } from "./src/engine/queue.ts";
export { parseDuration } from "./src/duration.ts";
export { GatherError, isGatherError } from "./src/errors.ts";
export type { CauseInfo, GatherErrorCode, GatherErrorOptions } from "./src/errors.ts";
export { run } from "./src/session/run.ts";
export type {
  JobSelection,
  RunCacheOptions,
  RunDiagnosticsOptions,
  RunOptions,
  RunRemoteCacheOptions,
  RunReport,
} from "./src/session/run.ts";
export type {
  CacheUploadEvent,
  DiagnosticEvent,
  DiagnosticKind,
  ErrorInfo,
  EventSink,
  GatherEvent,
  JobCacheEvent,
  JobCounts,
  JobEndEvent,
  JobLogEvent,
  JobPartialEvent,
  JobProgressEvent,
  JobQueuedEvent,
  JobReadyEvent,
  JobRetryEvent,
  JobStartEvent,
  JobWorkerEvent,
  RunCancelEvent,
  RunEndEvent,
  RunJob,
  RunStartEvent,
  RunSummaryInfo,
  TimedJobInfo,
  WarningEvent,
  WatchChangeEvent,
  WatchWaitEvent,
} from "./src/events.ts";
