/**
 * Name the job handles a task file or `run()` gives, turning them into
 * {@linkcode JobSpec}s with parsed options and dependencies by name.
 *
 * @module
 */

import { parseDuration } from "../duration.ts";
import { GatherError } from "../errors.ts";
import { isJob } from "../job.ts";
import { ALLOWED_NAMES, nameProblem, shownName } from "./job_name.ts";
import { parseService } from "./service.ts";
import type { Duration, Job, JobOptions, JobSpec } from "../types.ts";

/** The name given to each job handle. */
export interface JobNames {
  /**
   * The name of a handle.
   *
   * @param handle The job handle.
   * @returns Its name, or `undefined` for a handle that was not resolved.
   */
  get(handle: Job<unknown>): string | undefined;
}

/** The jobs of a task file or of a `run()` call, by name. */
export interface ResolvedJobs {
  /** Every job, by name, including unexported dependencies, in the order of their numbers. */
  specs: Map<string, JobSpec>;
  /** The name given to each handle. */
  names: JobNames;
}

const FUNCTION_NAME = /^[A-Za-z_$][\w$-]*$/;

/**
 * Name each job handle and resolve its options.
 *
 * A handle is named by its `name` option, else by the name it is given here
 * (the export name), else, for a dependency that is not given, by its
 * function's name.
 *
 * @param named The jobs with the names they were exported under, and where each was given when
 * that is not an export of that name (`item 0 of the array`), for the duplicate-name error.
 * @param source Where they come from, for error messages (a file path).
 * @param dir The folder their `inputs` and `outputs` globs are relative to. @default {Deno.cwd()}
 * @returns The specs by name and each handle's name.
 * @throws {GatherError} On two jobs with one name, a name with a control character, an
 * unnamed dependency, or a bad option.
 *
 * @example Usage
 * ```ts
 * import { resolveJobs } from "./resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const build = job(() => 1);
 * const test = job({ deps: [build] }, () => 2);
 * const { specs } = resolveJobs([["build", build], ["test", test]], "tasks.ts");
 * assertEquals(specs.get("test")?.deps, ["build"]);
 * ```
 */
export function resolveJobs(
  named: Iterable<readonly [name: string, handle: Job<unknown>, origin?: string]>,
  source: string,
  dir?: string,
): ResolvedJobs {
  // Jobs are numbered in the order they are named; each gets its spec at
  // once, its options parsed once all are named. `origins[id]` is where a
  // job's name came from, for the duplicate-name error: the export name, or
  // the number of the job it is a dependency of.
  const specs = new Map<string, JobSpec>();
  const ids = new Map<Job<unknown>, number>();
  const list: JobSpec[] = [];
  const labels: string[] = []; // the names, by number
  const origins: (string | number)[] = [];
  const describe = (origin: string | number) =>
    typeof origin === "string" ? origin : `a dependency of "${list[origin]!.name}"`;
  const claim = (handle: Job<unknown>, name: string, origin: string | number): number => {
    const problem = nameProblem(name);
    if (problem !== undefined) {
      throw new GatherError(
        "BAD_OPTION",
        `Cannot load ${source}: job "${
          shownName(name)
        }" has ${problem} in its name; rename it: ${ALLOWED_NAMES}`,
        { job: name },
      );
    }
    const id = list.length;
    const spec: JobSpec = {
      name,
      deps: NO_DEPS,
      id,
      depIds: NO_IDS,
      resolvedWith: list,
      retries: 0,
      retryDelayMs: 250,
      fn: handle.fn,
      handle,
    };
    // One lookup: a name already taken leaves the map's size as it was.
    const size = specs.size;
    specs.set(name, spec);
    if (specs.size === size) {
      const owner = list.find((other) => other.name === name)!;
      throw new GatherError(
        "DUPLICATE_JOB",
        `Cannot load ${source}: two jobs are named "${name}" (${describe(origins[owner.id]!)} and ${
          describe(origin)
        }); give one another name`,
        { job: name },
      );
    }
    ids.set(handle, id);
    list.push(spec);
    labels.push(name);
    origins.push(origin);
    return id;
  };
  for (const [exportName, handle, origin] of named) {
    if (!ids.has(handle)) {
      claim(handle, handle.options.name ?? exportName, origin ?? `export "${exportName}"`);
    }
  }
  // Name and number each job's dependencies, including those reachable only
  // through handles (not exported): last export first, depth first.
  const byName: JobSpec[] = []; // jobs with a dependency given by name
  const stack: number[] = [];
  for (let id = 0; id < list.length; id++) stack.push(id);
  while (stack.length > 0) {
    const spec = list[stack.pop()!]!;
    const deps = spec.handle.options.deps;
    if (deps === undefined || deps.length === 0) continue;
    // Copies of the right size, their handles then replaced by names and numbers.
    const names = deps.slice() as unknown[] as string[];
    const numbers = deps.slice() as unknown[] as number[];
    for (let d = 0; d < deps.length; d++) {
      const dep = deps[d];
      if (typeof dep === "string") {
        const problem = nameProblem(dep);
        if (problem !== undefined) {
          throw badOption(
            spec.name,
            source,
            `dependency "${shownName(dep)}" has ${problem}, which no job's name has`,
          );
        }
        numbers[d] = -1;
        if (byName.at(-1) !== spec) byName.push(spec);
        continue;
      }
      let depId = ids.get(dep!);
      if (depId === undefined) {
        depId = claim(dep as Job<unknown>, nameDependency(dep, spec.name, source), spec.id);
        stack.push(depId);
      }
      names[d] = labels[depId]!;
      numbers[d] = depId;
    }
    spec.deps = names;
    spec.depIds = numbers;
  }
  for (const spec of byName) {
    spec.depIds = spec.depIds.map((id, d) => id >= 0 ? id : specs.get(spec.deps[d]!)?.id ?? -1);
  }
  for (const spec of list) parseOptions(spec, source, dir);
  const names: JobNames = {
    get: (handle) => {
      const id = ids.get(handle);
      return id === undefined ? undefined : labels[id];
    },
  };
  return { specs, names };
}

/** The name of a dependency that was not exported: its `name` option, else its function's name. */
function nameDependency(dep: unknown, dependent: string, source: string): string {
  if (!isJob(dep)) {
    throw new GatherError(
      "TASK_FILE_INVALID",
      `Cannot schedule "${dependent}" in ${source}: a dependency is neither a job nor a name; pass job handles or strings in "deps"`,
      { job: dependent },
    );
  }
  const name = dep.options.name ?? (FUNCTION_NAME.test(dep.fn.name) ? dep.fn.name : undefined);
  if (name === undefined) {
    throw new GatherError(
      "UNNAMED_JOB",
      `Cannot schedule "${dependent}" in ${source}: one of its dependencies is not exported and has no name; export it or give it { name }`,
      { job: dependent },
    );
  }
  return name;
}

const NO_DEPS: string[] = Object.freeze([]) as unknown as string[];
const NO_IDS: number[] = Object.freeze([]) as unknown as number[];

/** Parse the options of a job's handle into its spec. */
function parseOptions(spec: JobSpec, source: string, dir: string | undefined): void {
  const { options } = spec.handle;
  const { name } = spec;
  if (options.retries !== undefined) spec.retries = options.retries;
  if (options.retryDelay !== undefined) {
    spec.retryDelayMs = duration(name, source, "retryDelay", options.retryDelay);
  }
  if (options.timeout !== undefined) {
    spec.timeoutMs = duration(name, source, "timeout", options.timeout);
  }
  if (options.description !== undefined) spec.description = options.description;
  if (options.pool !== undefined) spec.pool = options.pool;
  const inputs = strings(name, source, "inputs", options.inputs);
  const outputs = strings(name, source, "outputs", options.outputs);
  const env = strings(name, source, "env", options.env);
  const depfile = options.depfile;
  if (depfile !== undefined && (typeof depfile !== "string" || depfile === "")) {
    throw badOption(name, source, `option "depfile" must be a non-empty string (a file path)`);
  }
  if (options.discovers !== undefined && typeof options.discovers !== "boolean") {
    throw badOption(name, source, `option "discovers" must be true or false`);
  }
  const discovers = depfile !== undefined || options.discovers === true;
  if (options.cache !== undefined && typeof options.cache !== "boolean") {
    throw badOption(name, source, `option "cache" must be true or false`);
  }
  const service = parseService(options, (message) => badOption(name, source, message));
  // After the service's own checks, which know what a misplaced service option means.
  for (const key in options) {
    if (!JOB_OPTIONS.includes(key)) throw unknownOption(name, source, key);
  }
  if (service !== undefined) spec.service = service;
  if (options.local !== undefined && typeof options.local !== "boolean") {
    throw badOption(name, source, `option "local" must be true or false`);
  }
  if (options.local === true) spec.local = true;
  if (inputs === undefined && (outputs !== undefined || env !== undefined || discovers)) {
    throw badOption(
      name,
      source,
      `"outputs", "env", "depfile" and "discovers" take effect only with "inputs": add inputs: [...] (or inputs: [] for a job that reads no files)`,
    );
  }
  if (inputs === undefined) return;
  const files = { inputs, outputs: outputs ?? [], dir: dir ?? Deno.cwd() };
  spec.files = files;
  // A service is never cached: its inputs only tell watch mode when to restart it.
  if (options.cache !== false && service === undefined) {
    spec.cache = {
      ...files,
      env: env ?? [],
      ...(depfile ? { depfile } : {}),
      ...(discovers ? { discovers: true as const } : {}),
    };
  }
}

/** Every option of `job()` (the type makes this list complete): a misspelled one would otherwise be ignored. */
const JOB_OPTIONS: readonly string[] = Object.keys(
  {
    name: true,
    description: true,
    deps: true,
    pool: true,
    timeout: true,
    retries: true,
    retryDelay: true,
    inputs: true,
    outputs: true,
    env: true,
    depfile: true,
    discovers: true,
    cache: true,
    local: true,
    service: true,
  } satisfies Record<keyof JobOptions, true>,
);

function unknownOption(name: string, source: string, key: string): GatherError {
  return badOption(
    name,
    source,
    `unknown option "${key}"; job() takes ${JOB_OPTIONS.join(", ")}`,
  );
}

function strings(
  name: string,
  source: string,
  option: string,
  value: unknown,
): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item === "")) {
    throw badOption(name, source, `option "${option}" must be an array of non-empty strings`);
  }
  return Object.freeze([...value]);
}

function badOption(name: string, source: string, message: string): GatherError {
  return new GatherError("BAD_OPTION", `Cannot schedule "${name}" in ${source}: ${message}`, {
    job: name,
  });
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
