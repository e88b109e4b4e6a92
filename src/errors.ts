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
  | "CONFIG_INVALID"
  | "UNKNOWN_TASK"
  | "UNKNOWN_MEMBER"
  | "NOT_READY"
  | "SERVICE_EXITED"
  | "NATS_UNREACHABLE"
  | "NATS_NO_JETSTREAM"
  | "NATS_LOST"
  | "WORKER_REFUSED"
  | "WORKER_LOST";

/** Options for {@linkcode GatherError}. */
export interface GatherErrorOptions extends ErrorOptions {
  /** The job the error is about, if any. */
  job?: string;
  /** A failed command's exit code. */
  exitCode?: number;
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
  /** A failed command's exit code, when the error is about one. */
  readonly exitCode: number | undefined;

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
    this.exitCode = options.exitCode;
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
 * Turn any thrown value into an `Error` whose `name`, `message` and `stack`
 * can be read, keeping a non-Error value readable. It never throws, whatever
 * was thrown: `null`, a `Symbol`, a revoked proxy, an object whose
 * `toString` throws, a cyclic object, or an `Error` whose `message` getter
 * throws (that one is wrapped in a new `Error`, the original kept as `cause`).
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
 * const sneaky = new Error("hidden");
 * Object.defineProperty(sneaky, "message", { get() { throw new Error("no"); } });
 * assertEquals(toError(sneaky).message, 'An error was thrown whose message cannot be read: reading it threw Error: no');
 * ```
 */
export function toError(value: unknown): Error {
  if (!isError(value)) return new Error(`Non-Error value thrown: ${show(value)}`, { cause: value });
  for (const key of ["name", "message", "stack"] as const) {
    let part: unknown;
    try {
      part = value[key];
    } catch (thrown) {
      return new Error(
        `An error was thrown whose ${key} cannot be read: reading it threw ${brief(thrown)}`,
        { cause: value },
      );
    }
    if (typeof part !== "string" && !(key === "stack" && part === undefined)) {
      return new Error(
        `An error was thrown whose ${key} is not a string but ${show(part)}`,
        { cause: value },
      );
    }
  }
  return value;
}

/** One link of an error's `cause` chain: its name and message. */
export interface CauseInfo {
  /** The cause's name (`TypeError`); for a cause that is not an Error, its type (`string`, `object`). */
  name: string;
  /** Its message; a cause that is not an Error, shown (a string as it is). */
  message: string;
}

/** The most links of an error's `cause` chain followed. */
export const MAX_CAUSES = 5;

/**
 * An error's `cause` chain, outermost first: as many as
 * {@linkcode MAX_CAUSES}, stopping at a cause seen before. It never throws,
 * whatever the causes are (see {@linkcode toError}).
 *
 * @param error The error.
 * @returns Its causes; empty when it has none.
 *
 * @example Usage
 * ```ts
 * import { causesOf } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new Error("fetch failed", { cause: new TypeError("connection refused", { cause: 111 }) });
 * assertEquals(causesOf(error), [
 *   { name: "TypeError", message: "connection refused" },
 *   { name: "number", message: "111" },
 * ]);
 * ```
 */
export function causesOf(error: Error): CauseInfo[] {
  const causes: CauseInfo[] = [];
  const seen = new Set<unknown>([error]);
  let current: unknown = error;
  while (causes.length < MAX_CAUSES && isError(current)) {
    let cause: unknown;
    try {
      cause = (current as { cause?: unknown }).cause;
    } catch {
      break; // a getter that throws: no cause to tell
    }
    if (cause === undefined || seen.has(cause)) break;
    seen.add(cause);
    if (isError(cause)) {
      const readable = toError(cause);
      causes.push({ name: readable.name, message: readable.message });
      current = readable; // a wrapper of an unreadable cause has that cause, already seen
    } else {
      const type = cause === null ? "null" : typeof cause;
      causes.push({ name: type, message: typeof cause === "string" ? cause : show(cause) });
      break;
    }
  }
  return causes;
}

/** The longest description of a thrown value kept in a message. */
const SHOWN_CHARS = 500;

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a revoked proxy
  }
}

/** One line for an error thrown while reading another: its name and message, or the value shown. */
function brief(thrown: unknown): string {
  try {
    if (thrown instanceof Error) {
      const { name, message } = thrown;
      if (typeof name === "string" && typeof message === "string") return `${name}: ${message}`;
    }
  } catch {
    // shown below
  }
  return show(thrown);
}

/** A thrown value, shown on one line, whatever it is. */
function show(value: unknown): string {
  let shown: string | undefined;
  try {
    shown = typeof value === "string"
      ? JSON.stringify(value)
      : Deno.inspect(value, { depth: 2, breakLength: Infinity, compact: true });
  } catch (inspecting) {
    try {
      shown = String(value);
    } catch {
      let why = "";
      try {
        why = inspecting instanceof Error ? ` (${String(inspecting.message)})` : "";
      } catch {
        // no reason to give
      }
      shown = `a value of type ${typeof value} that cannot be shown${why}`;
    }
  }
  shown = shown.replace(/\s*\n\s*/g, " ");
  return shown.length > SHOWN_CHARS ? `${shown.slice(0, SHOWN_CHARS)}…` : shown;
}
