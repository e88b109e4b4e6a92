/**
 * deno.json tasks as jobs. Each task a run reaches becomes a {@linkcode JobSpec}
 * whose function runs its command with Deno's task shell; its `dependencies`
 * become deps (a name resolves in its own config, then in the workspace
 * root's, as `deno task` resolves it; `<member>#<task>` names another
 * member's task); its `files`, `output` and `env` become its cache inputs,
 * outputs and env. A task's job is named `<task>` in the root (or a config
 * on its own) and `<member>#<task>` in a member.
 *
 * @module
 */

import { GatherError } from "../errors.ts";
import { join, relative, resolve } from "../deps/path.ts";
import type { Job, JobSpec, Pool } from "../types.ts";
import type { DenoTaskDef } from "./deno_config.ts";
import { applyGatherKey } from "./_gather_key.ts";
import { taskFunction, type TaskRun } from "./deno_task_job.ts";
import type { JobNames } from "./resolve.ts";
import { didYouMean } from "../suggest.ts";
import { memberTaskProblem } from "./unknown_task.ts";
import type { Package, Workspace } from "./workspace.ts";

/** How tasks run. */
export interface DenoTasksOptions {
  /** The Deno executable: the task shell, and the `deno` of every command. */
  deno: string;
  /** Environment added to every task (`INIT_CWD` when it is not set). */
  env: Record<string, string>;
  /** `--cwd`: every task runs here instead of in its config's folder. */
  cwd?: string;
}

/** A task in its package. */
export interface PackageTask {
  /** The package. */
  pkg: Package;
  /** The task. */
  def: DenoTaskDef;
}

interface Made {
  pkg: Package;
  def: DenoTaskDef;
  args: readonly string[];
  cwd: string;
}

/**
 * Turns the tasks of a workspace into job specs, as a run reaches them.
 *
 * @example Usage
 * ```ts
 * import { DenoTasks } from "./deno_tasks.ts";
 * import { findWorkspace } from "./workspace.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(
 *   `${dir}/deno.json`,
 *   JSON.stringify({ tasks: { build: "echo b", test: { command: "echo t", dependencies: ["build"] } } }),
 * );
 * const tasks = new DenoTasks(findWorkspace(dir, dir)!, { deno: Deno.execPath(), env: {} });
 * const test = tasks.find(tasks.workspace.root, "test")!;
 * tasks.add(test, []);
 * assertEquals([...tasks.specs().keys()], ["test", "build"]);
 * assertEquals(tasks.specs().get("test")?.deps, ["build"]);
 * ```
 */
export class DenoTasks {
  /** The workspace the tasks come from. */
  readonly workspace: Workspace;
  #options: DenoTasksOptions;
  #specs = new Map<string, JobSpec>();
  #list: JobSpec[] = [];
  #made = new Map<string, Made>();
  /** Each job's dependencies that only order it (the same task of the members it imports). */
  #ordered = new Map<string, Set<string>>();
  #pools = new Map<string, Pool>();
  #finished = false;

  /**
   * Make the loader of a workspace's tasks.
   *
   * @param workspace The configs.
   * @param options The Deno executable, extra environment and `--cwd`.
   */
  constructor(workspace: Workspace, options: DenoTasksOptions) {
    this.workspace = workspace;
    this.#options = options;
  }

  /**
   * The job name of a package's task.
   *
   * @param pkg The package.
   * @param task The task's name.
   * @returns `<task>` in the root, `<member>#<task>` in a member.
   */
  jobName(pkg: Package, task: string): string {
    return pkg.isRoot ? task : `${pkg.label}#${task}`;
  }

  /**
   * A task by name as seen from a package: its own, else the root's; else,
   * for `<member>#<task>` or `<path>#<task>`, that member's. A task whose own
   * name holds a `#` (`lint#fix`) is found by that name first, as
   * `deno task` finds it.
   *
   * @param from The package the name is used in.
   * @param name The task's name.
   * @returns The task, or `undefined`.
   */
  find(from: Package, name: string): PackageTask | undefined {
    for (const pkg of from.isRoot ? [from] : [from, this.workspace.root]) {
      const def = pkg.config.tasks.find((task) => task.name === name);
      if (def) return { pkg, def };
    }
    // `@s/web#lint#fix` is the member's `lint#fix`: try each `#` as the separator.
    for (let hash = name.indexOf("#"); hash > 0; hash = name.indexOf("#", hash + 1)) {
      const pkg = this.package(name.slice(0, hash));
      const def = pkg?.config.tasks.find((task) => task.name === name.slice(hash + 1));
      if (pkg && def) return { pkg, def };
    }
    return undefined;
  }

  /**
   * A package by its label, name or path (`./packages/core` or `packages/core`).
   *
   * @param ref How it is named.
   * @returns The package, or `undefined`.
   */
  package(ref: string): Package | undefined {
    const { root } = this.workspace;
    if (ref === "." || ref === "//" || ref === root.config.name) return root;
    const path = ref.replace(/^\.\//, "").replace(/\/$/, "");
    return this.workspace.members().find((member) =>
      member.label === ref || member.config.name === ref || member.path === path
    );
  }

  /**
   * Add a task's job and, depth first, the jobs of its dependencies.
   *
   * @param task The task.
   * @param args The arguments appended to its command.
   * @returns Its spec.
   * @throws {GatherError} `UNKNOWN_DEPENDENCY` for a dependency that names no task.
   */
  add(task: PackageTask, args: readonly string[]): JobSpec {
    const { pkg, def } = task;
    const name = this.jobName(pkg, def.name);
    const existing = this.#specs.get(name);
    if (existing !== undefined) return existing;
    const cwd = this.#options.cwd ?? pkg.config.dir;
    const run: TaskRun = {
      task: def.name,
      command: def.command,
      args,
      cwd,
      deno: this.#options.deno,
      env: this.#options.env,
    };
    const fn = taskFunction(run);
    const handle: Job<unknown> = Object.freeze({
      kind: "gather:job",
      fn,
      options: Object.freeze({
        name,
        ...(def.description ? { description: def.description } : {}),
      }),
    });
    const spec: JobSpec = {
      name,
      deps: [],
      id: this.#list.length,
      depIds: [],
      resolvedWith: this.#list,
      retries: def.gather?.retries ?? 0,
      retryDelayMs: 250,
      fn,
      handle,
    };
    if (def.description !== undefined) spec.description = def.description;
    if (def.command !== undefined) spec.command = def.command;
    if (def.gather !== undefined) {
      applyGatherKey(
        spec,
        def.gather,
        `"${name}" in "${this.workspace.shown(pkg.config.path)}"`,
        this.#pools,
      );
    }
    this.#specs.set(name, spec);
    this.#list.push(spec);
    this.#made.set(name, { pkg, def, args, cwd });
    const deps = new Set<string>();
    for (const ref of [...def.dependencies, ...(def.gather?.dependencies ?? [])]) {
      const found = this.find(pkg, ref);
      if (found === undefined) {
        const known = [...pkg.config.tasks, ...(pkg.isRoot ? [] : this.workspace.root.config.tasks)]
          .map((other) => other.name);
        throw new GatherError(
          "UNKNOWN_DEPENDENCY",
          `Cannot schedule "${name}" in "${
            this.workspace.shown(pkg.config.path)
          }": dependency "${ref}" is not a task${
            memberTaskProblem(this, ref) ?? didYouMean(ref, known)
          }`,
          { job: name },
        );
      }
      deps.add(this.add(found, []).name);
    }
    spec.deps = [...deps];
    return spec;
  }

  /**
   * Make one job wait for another (a member's task for the same task of a
   * member it imports). The wait orders the run: it is not a dependency of
   * the job's cache key (a dependency it already has stays one).
   *
   * @param job The job that waits.
   * @param dep The job it waits for.
   */
  order(job: string, dep: string): void {
    const spec = this.#specs.get(job)!;
    if (spec.deps.includes(dep)) return;
    spec.deps = [...spec.deps, dep];
    const ordered = this.#ordered.get(job);
    if (ordered === undefined) this.#ordered.set(job, new Set([dep]));
    else ordered.add(dep);
  }

  /**
   * Every job added, by name, with its dependency numbers and its cache
   * settings decided (a task is cached when it has `files` and every task it
   * depends on or waits for is cached: a task that always runs could change
   * what the others read, as `deno task` has it). A member's task's inputs
   * also hold the `files` and `output` of the same task in the members it
   * imports, directly or not, whether or not the run has them: what it may
   * read of them is in its key whichever command brought it into the run.
   *
   * @returns The specs.
   */
  specs(): Map<string, JobSpec> {
    if (!this.#finished) this.#finish();
    return this.#specs;
  }

  /**
   * The name of each job handle.
   *
   * @returns The names.
   */
  names(): JobNames {
    const byHandle = new Map(this.#list.map((spec) => [spec.handle, spec.name]));
    return { get: (handle) => byHandle.get(handle) };
  }

  #finish(): void {
    this.#finished = true;
    const ids = new Map(this.#list.map((spec) => [spec.name, spec.id]));
    for (const spec of this.#list) spec.depIds = spec.deps.map((dep) => ids.get(dep) ?? -1);
    const cacheable = new Map<string, boolean>();
    const decide = (name: string): boolean => {
      const known = cacheable.get(name);
      if (known !== undefined) return known;
      cacheable.set(name, false); // a cycle is refused later; meanwhile, not cached
      const made = this.#made.get(name)!;
      const spec = this.#specs.get(name)!;
      const own = made.def.files !== undefined && made.def.gather?.cache !== false;
      const all = spec.deps.map(decide).every(Boolean) && own;
      cacheable.set(name, all);
      return all;
    };
    const lock = lockfile(this.workspace.root.config.dir);
    for (const spec of this.#list) {
      if (!decide(spec.name)) continue;
      const { pkg, def, args, cwd } = this.#made.get(spec.name)!;
      const root = this.workspace.root.config;
      const inputs = [...new Set([...def.files!, ...this.#importedFiles(pkg, def.name, cwd)])];
      // The lockfile pins what the command's imports resolve to: an input of every cached task.
      if (lock !== undefined) inputs.push(relative(cwd, lock));
      const ordered = this.#ordered.get(spec.name);
      spec.cache = {
        inputs,
        outputs: def.output ?? [],
        env: def.env ?? [],
        dir: cwd,
        // What the job does: its command, args and folder, and the settings of its config and
        // of the root (imports, compilerOptions, lint, fmt, ...), which change what deno does.
        code: JSON.stringify([
          "deno-task",
          def.command ?? null,
          args,
          relative(root.dir, cwd),
          pkg.config.settings,
          pkg.isRoot ? null : root.settings,
        ]),
        fromConfig: true,
        // What --explain names when the code changed (the arguments after the task's name, say).
        codeParts: {
          "task command": JSON.stringify(def.command ?? null),
          "arguments": JSON.stringify(args),
          "task folder": relative(root.dir, cwd),
          "deno.json settings": JSON.stringify([
            pkg.config.settings,
            pkg.isRoot ? null : root.settings,
          ]),
        },
        ...(ordered === undefined ? {} : { orderOnly: [...ordered] }),
      };
    }
  }

  /**
   * The `files` and `output` of a task in every member a member imports,
   * directly or through others, that has a task of that name, relative to
   * `cwd`: the files `-r` orders the member's task after, for every run. A
   * glob that excludes (`!`) is left out: the key sees more, never less.
   */
  #importedFiles(pkg: Package, task: string, cwd: string): string[] {
    if (pkg.isRoot) return [];
    const globs: string[] = [];
    const seen = new Set<Package>([pkg]);
    const queue = [...this.workspace.importsOf(pkg)];
    while (queue.length > 0) {
      const member = queue.shift()!;
      if (seen.has(member)) continue;
      seen.add(member);
      queue.push(...this.workspace.importsOf(member));
      const def = member.config.tasks.find((one) => one.name === task);
      const from = this.#options.cwd ?? member.config.dir;
      for (const glob of [...def?.files ?? [], ...def?.output ?? []]) {
        if (!glob.startsWith("!")) globs.push(relative(cwd, resolve(from, glob)) || ".");
      }
    }
    return globs;
  }
}

/** The workspace's `deno.lock`, if it has one. */
function lockfile(dir: string): string | undefined {
  const path = join(dir, "deno.lock");
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}
