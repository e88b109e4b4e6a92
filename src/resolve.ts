/**
 * Name the job handles a task file or `run()` gives, turning them into
 * {@linkcode JobSpec}s with parsed options and dependencies by name.
 *
 * @module
 */

import { type Duration, parseDuration } from "./duration.ts";
import { GatherError } from "./errors.ts";
import { isJob, type Job, type JobFn, type Pool } from "./job.ts";

/** A job with its name and options resolved, ready for the graph. */
export interface JobSpec {
  /** The job's unique name. */
  name: string;
  /** One line shown by `--list`. */
  description?: string;
  /** Names of the jobs it depends on. */
  deps: string[];
  /** The named concurrency limit it joins. */
  pool?: Pool;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs?: number;
  /** How many retries after the first attempt. */
  retries: number;
  /** The first backoff delay between attempts, in milliseconds. */
  retryDelayMs: number;
  /** The work. */
  fn: JobFn<unknown>;
  /** The handle it came from. */
  handle: Job<unknown>;
}

/** The jobs of a task file or of a `run()` call, by name. */
export interface ResolvedJobs {
  /** Every job, by name, including unexported dependencies. */
  specs: Map<string, JobSpec>;
  /** The name given to each handle. */
  names: Map<Job<unknown>, string>;
}

const FUNCTION_NAME = /^[A-Za-z_$][\w$-]*$/;

/**
 * Name each job handle and resolve its options.
 *
 * A handle is named by its `name` option, else by the name it is given here
 * (the export name), else, for a dependency that is not given, by its
 * function's name.
 *
 * @param named The jobs with the names they were exported under.
 * @param source Where they come from, for error messages (a file path).
 * @returns The specs by name and each handle's name.
 * @throws {GatherError} On two jobs with one name, an unnamed dependency, or a bad option.
 *
 * @example Usage
 * ```ts
 * import { resolveJobs } from "./resolve.ts";
 * import { job } from "./job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const build = job(() => 1);
 * const test = job({ deps: [build] }, () => 2);
 * const { specs } = resolveJobs([["build", build], ["test", test]], "tasks.ts");
 * assertEquals(specs.get("test")?.deps, ["build"]);
 * ```
 */
export function resolveJobs(
  named: Iterable<readonly [string, Job<unknown>]>,
  source: string,
): ResolvedJobs {
  const names = new Map<Job<unknown>, string>();
  const owners = new Map<string, Job<unknown>>();
  // Where each name came from, for the duplicate-name error: an export name, or a label.
  const origins = new Map<string, string>();
  const describe = (origin: string) =>
    origin.startsWith("\0") ? origin.slice(1) : `export "${origin}"`;
  const claim = (handle: Job<unknown>, name: string, origin: string) => {
    const owner = owners.get(name);
    if (owner !== undefined && owner !== handle) {
      throw new GatherError(
        "DUPLICATE_JOB",
        `Cannot load ${source}: two jobs are named "${name}" (${describe(origins.get(name)!)} and ${
          describe(origin)
        }); give one another name`,
        { job: name },
      );
    }
    owners.set(name, handle);
    origins.set(name, origin);
    names.set(handle, name);
  };
  for (const [exportName, handle] of named) {
    if (names.has(handle)) continue;
    claim(handle, handle.options.name ?? exportName, exportName);
  }
  // Name dependencies reachable only through handles (not exported).
  const stack = [...names.keys()];
  while (stack.length > 0) {
    const handle = stack.pop()!;
    for (const dep of handle.options.deps ?? []) {
      if (typeof dep === "string" || names.has(dep)) continue;
      if (!isJob(dep)) {
        throw new GatherError(
          "TASK_FILE_INVALID",
          `Cannot schedule "${
            names.get(handle)
          }" in ${source}: a dependency is neither a job nor a name; pass job handles or strings in "deps"`,
          { job: names.get(handle)! },
        );
      }
      const name = dep.options.name ?? (FUNCTION_NAME.test(dep.fn.name) ? dep.fn.name : undefined);
      if (name === undefined) {
        throw new GatherError(
          "UNNAMED_JOB",
          `Cannot schedule "${
            names.get(handle)
          }" in ${source}: one of its dependencies is not exported and has no name; export it or give it { name }`,
          { job: names.get(handle)! },
        );
      }
      claim(dep, name, `\0a dependency of "${names.get(handle)}"`);
      stack.push(dep);
    }
  }
  const specs = new Map<string, JobSpec>();
  for (const [handle, name] of names) specs.set(name, toSpec(handle, name, names, source));
  return { specs, names };
}

const NO_DEPS: string[] = Object.freeze([]) as unknown as string[];

function toSpec(
  handle: Job<unknown>,
  name: string,
  names: Map<Job<unknown>, string>,
  source: string,
): JobSpec {
  const { options } = handle;
  const spec: JobSpec = {
    name,
    deps: options.deps === undefined || options.deps.length === 0
      ? NO_DEPS
      : options.deps.map((dep) => typeof dep === "string" ? dep : names.get(dep)!),
    retries: options.retries ?? 0,
    retryDelayMs: options.retryDelay === undefined
      ? 250
      : duration(name, source, "retryDelay", options.retryDelay),
    fn: handle.fn,
    handle,
  };
  if (options.timeout !== undefined) {
    spec.timeoutMs = duration(name, source, "timeout", options.timeout);
  }
  if (options.description !== undefined) spec.description = options.description;
  if (options.pool !== undefined) spec.pool = options.pool;
  return spec;
}

function duration(name: string, source: string, option: string, value: Duration): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new GatherError(
      "BAD_OPTION",
      `Cannot schedule "${name}" in ${source}: option "${option}": ${(error as Error).message}`,
      { job: name, cause: error },
    );
  }
}
