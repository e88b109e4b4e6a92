/**
 * Errors that gather raises for faults in a task file, the command line or a
 * job, each with a stable {@linkcode GatherErrorCode}.
 *
 * @module
 */

/** Stable codes of {@linkcode GatherError}; scripts may match on them. */
export type GatherErrorCode =
  | "TASK_FILE_NOT_FOUND"
  | "TASK_FILE_INVALID"
  | "NO_JOBS"
  | "DUPLICATE_JOB"
  | "UNNAMED_JOB"
  | "UNKNOWN_DEPENDENCY"
  | "UNKNOWN_JOB"
  | "CYCLE"
  | "BAD_OPTION"
  | "TIMEOUT"
  | "CANCELLED"
  | "COMMAND_FAILED"
  | "JOB_EXIT"
  | "NATS_UNREACHABLE"
  | "NATS_NO_JETSTREAM"
  | "NATS_LOST"
  | "WORKER_REFUSED"
  | "WORKER_LOST";

/** Options for {@linkcode GatherError}. */
export interface GatherErrorOptions extends ErrorOptions {
  /** The job the error is about, if any. */
  job?: string;
}

/**
 * An error caused by user input or by a job, with a stable `code`.
 *
 * @example Usage
 * ```ts
 * import { GatherError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new GatherError("CYCLE", 'Cannot schedule "a": cycle a -> b -> a');
 * assertEquals(error.code, "CYCLE");
 * ```
 */
export class GatherError extends Error {
  /** What kind of fault this is. */
  readonly code: GatherErrorCode;
  /** The job the error is about, if any. */
  readonly job: string | undefined;

  /**
   * Construct a new {@linkcode GatherError}.
   *
   * @param code The stable code of the fault.
   * @param message One line saying what could not be done and what to do.
   * @param options The cause and the job.
   */
  constructor(code: GatherErrorCode, message: string, options: GatherErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatherError";
    this.code = code;
    this.job = options.job;
  }
}

/**
 * Whether an error is a {@linkcode GatherError}, from any copy of this module.
 *
 * @param error The value to test.
 * @returns `true` if it is a gather error.
 *
 * @example Usage
 * ```ts
 * import { GatherError, isGatherError } from "./errors.ts";
 * import { assert } from "@std/assert";
 *
 * assert(isGatherError(new GatherError("NO_JOBS", "No jobs")));
 * ```
 */
export function isGatherError(error: unknown): error is GatherError {
  return error instanceof Error && error.name === "GatherError" && "code" in error;
}

/**
 * Turn any thrown value into an `Error`, keeping a non-Error value readable.
 *
 * @param value What was thrown.
 * @returns An Error describing it.
 *
 * @example Usage
 * ```ts
 * import { toError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(toError("boom").message, 'Non-Error value thrown: "boom"');
 * ```
 */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  let shown: string;
  try {
    shown = typeof value === "string" ? JSON.stringify(value) : Deno.inspect(value);
  } catch {
    shown = String(value);
  }
  return new Error(`Non-Error value thrown: ${shown}`, { cause: value });
}
