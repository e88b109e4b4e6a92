/**
 * What watch mode watches, and what a change affects: each job's `inputs`
 * globs (parsed and walked by the cache's `glob.ts`), the files each cached
 * job discovered in its last run (its depfile's, `ctx.discovered()`'s; those
 * inside the project), the task file and its
 * local imports, the config files the jobs come from (a workspace's members'
 * too). Files a job declares as `outputs` are gather's own writes
 * and never count as edits; `.git/` and `.gather/` are never watched.
 *
 * @module
 */

import { GlobOutsideRootError, type ParsedGlob, parseGlob, Walker } from "../cache/glob.ts";
import { localModules } from "../cache/code.ts";
import { dirname, join, relative } from "../deps/path.ts";
import { GatherError } from "../errors.ts";
import type { JobSpec } from "../types.ts";
import { isFolder } from "../file_kind.ts";
import { ListedFolders, type ListingChanges } from "./listed_folders.ts";
import type { Listing } from "./listings.ts";

/** A folder to watch. */
export interface WatchRoot {
  /** Its absolute path. */
  path: string;
  /** Whether what is under its subfolders counts too. */
  recursive: boolean;
}

/** Where else a run's jobs come from, besides the task file and its imports. */
export interface WatchSources {
  /**
   * The config files the jobs come from (a workspace root's and its members'
   * deno.json, a member's package.json), absolute, existing or not: an edit,
   * or one coming or going, reloads like an edit of the task file.
   */
  configs?: readonly string[];
  /**
   * The folders the task file listed while it loaded: an entry coming or
   * going in one reloads it (see `listed_folders.ts`). Those under the jobs'
   * declared outputs, and the folders the outputs are written into, are not
   * watched.
   */
  listings?: readonly Listing[];
}

/** What a batch of changed paths affects. */
export interface Affected {
  /** Jobs whose inputs changed (not their dependents). */
  jobs: Set<string>;
  /** Files of the task file's module graph that changed (absolute): reload it. */
  modules: string[];
  /** The changed paths that count, relative to the root. */
  files: string[];
  /** Entries that came or went in folders the task file listed (absolute): reload it. */
  listings: ListingChanges;
}

interface JobGlobs {
  inputs: ParsedGlob[];
  excluded: ParsedGlob[];
  /** The files its inputs matched at the last look, relative to the root. */
  files: Set<string>;
  /** The files it discovered in the last run (a depfile's headers), relative to the root. */
  discovered: Set<string>;
}

const NEVER = /(^|\/)\.(git|gather)(\/|$)/;

/**
 * The watched files of a run.
 *
 * @example Usage
 * ```ts
 * import { WatchedFiles } from "./files.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const root = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${root}/src`);
 * await Deno.writeTextFile(`${root}/src/a.ts`, "");
 * await Deno.writeTextFile(`${root}/tasks.ts`, "");
 * const { specs } = resolveJobs([["build", job({ inputs: ["src/**\/*.ts"] }, () => {})]], "x", root);
 * const files = new WatchedFiles([...specs.values()], root, `file://${root}/tasks.ts`, "x");
 * assertEquals(files.affected([`${root}/src/a.ts`]).jobs, new Set(["build"]));
 * assertEquals(files.affected([`${root}/tasks.ts`]).modules, [`${root}/tasks.ts`]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class WatchedFiles {
  #root: string;
  #taskFile: string | undefined;
  #jobs = new Map<string, JobGlobs>();
  #outputs: ParsedGlob[] = [];
  #modules: Set<string>;
  /** Discovered files outside the root (absolute paths), watched as inputs. */
  #outside = new Set<string>();
  #configs: readonly string[];
  #listed: ListedFolders;
  #source: string;

  /**
   * Parse the jobs' globs and find the task file's modules.
   *
   * @param jobs The run's jobs.
   * @param root The project root (absolute, real).
   * @param taskFile The task file's URL; none for deno.json tasks (then deno.json is watched).
   * @param source The task file as the user named it, for messages.
   * @param sources Where else the jobs come from: the configs.
   * @throws {GatherError} When a glob leaves the project root.
   */
  constructor(
    jobs: readonly JobSpec[],
    root: string,
    taskFile: string | undefined,
    source: string,
    sources: WatchSources = {},
  ) {
    this.#root = root;
    this.#taskFile = taskFile;
    this.#configs = sources.configs ?? [];
    this.#source = source.replace(/^"(.*)"$/, "$1");
    const compiled = new Map<string, RegExp>();
    for (const spec of jobs) {
      // A deno.json task's files are its cache's inputs.
      const declared = spec.files ?? spec.cache;
      if (declared === undefined) continue;
      const parse = (glob: string) => {
        try {
          return parseGlob(glob, declared.dir, root, compiled);
        } catch (error) {
          if (!(error instanceof GlobOutsideRootError)) throw error;
          throw new GatherError(
            "BAD_OPTION",
            `Cannot watch "${spec.name}" in ${source}: ${error.message}; keep inputs inside the project (or pass --root)`,
            { job: spec.name },
          );
        }
      };
      const inputs = declared.inputs.map(parse);
      this.#jobs.set(spec.name, {
        inputs: inputs.filter((glob) => !glob.negated),
        excluded: inputs.filter((glob) => glob.negated),
        files: new Set(),
        discovered: new Set(),
      });
      this.#outputs.push(...declared.outputs.map(parse));
    }
    this.#modules = new Set(this.#findModules());
    // A listed folder the jobs write (a declared output) is theirs: never watched.
    const listings = (sources.listings ?? []).filter(({ folder }) => {
      const rel = relative(root, folder);
      return rel.startsWith("..") || !this.#outputs.some((glob) => matches(glob, rel));
    });
    this.#listed = new ListedFolders(listings, (path) => this.#written(path));
    this.refresh();
  }

  /** The project root (absolute, real). */
  get root(): string {
    return this.#root;
  }

  /** The task file's modules (absolute paths). */
  get modules(): ReadonlySet<string> {
    return this.#modules;
  }

  /** How many files are watched: the jobs' inputs and the task file's modules that exist. */
  get count(): number {
    const all = new Set<string>();
    for (const job of this.#jobs.values()) {
      for (const file of job.files) all.add(file);
      for (const file of job.discovered) all.add(file);
    }
    let modules = 0;
    for (const path of this.#modules) {
      if (!all.has(relative(this.#root, path)) && exists(path)) modules++;
    }
    return all.size + modules;
  }

  /** How many folders the task file listed are watched for entries coming and going. */
  get folders(): number {
    return this.#listed.folders.length;
  }

  /** Walk the globs again: the files each job's inputs match now. */
  refresh(): void {
    const walker = new Walker(this.#root);
    for (const job of this.#jobs.values()) {
      job.files = new Set(walker.expand([...job.inputs, ...job.excluded]).files);
    }
  }

  /**
   * The files jobs discovered in the run that just ended (the cache says
   * which): each is watched as its job's input until the next run says
   * otherwise, outside the project too (a header of a sibling folder,
   * `-I../common`).
   *
   * @param byJob Each job's discovered files, relative to the root (absolute: outside it).
   */
  discovered(byJob: ReadonlyMap<string, readonly string[]>): void {
    for (const [name, files] of byJob) {
      const job = this.#jobs.get(name);
      if (job === undefined) continue;
      job.discovered = new Set(
        files.map((file) => file.startsWith("/") ? relative(this.#root, file) : file)
          .filter((file) => !NEVER.test(file)),
      );
    }
    this.#outside = new Set();
    for (const job of this.#jobs.values()) {
      for (const file of job.discovered) {
        if (file.startsWith("../")) this.#outside.add(join(this.#root, file));
      }
    }
  }

  /** Look for the task file's imports again (after it changed). */
  refreshModules(): void {
    this.#modules = new Set(this.#findModules());
  }

  #findModules(): string[] {
    return [
      ...(this.#taskFile === undefined
        ? [join(this.#root, "deno.json"), join(this.#root, "deno.jsonc")]
        : localModules(this.#taskFile, this.#root)),
      ...this.#configs,
    ];
  }

  /**
   * Whether a changed path is never an edit: under `.git/` or `.gather/`, or
   * a job's declared output.
   *
   * @param path An absolute path.
   * @returns `true` to ignore it.
   */
  ignored(path: string): boolean {
    const rel = relative(this.#root, path);
    if (rel.startsWith("..")) return !this.#modules.has(path) && !this.#outside.has(path);
    if (NEVER.test(rel)) return !this.#modules.has(path);
    return this.#outputs.some((glob) => matches(glob, rel));
  }

  /**
   * Whether a changed path may matter: a module of the task file or a config
   * (or a folder on the way to one), an entry of a listed folder, or a path
   * a job's inputs may match (a file, or a folder on the way to one). Others
   * (a log written next to the task file, say) do not even delay a rerun.
   *
   * @param path An absolute path.
   * @returns `true` when it may matter.
   */
  relevant(path: string): boolean {
    if (this.#modules.has(path) || this.#listed.relevant(path)) return true;
    // A folder on the way to a module or config that is missing: once it comes, it is watched.
    const above = `${path}/`;
    for (const module of this.#modules) if (module.startsWith(above)) return true;
    if (this.ignored(path)) return false;
    const rel = relative(this.#root, path);
    for (const job of this.#jobs.values()) {
      if (
        job.files.has(rel) || job.discovered.has(rel) ||
        job.inputs.some((glob) => matches(glob, rel) || reaches(glob, rel))
      ) {
        return true;
      }
    }
    return false;
  }

  /**
   * What changed paths affect.
   *
   * @param paths Absolute paths that changed (files or folders, added, changed or removed).
   * @returns The jobs whose inputs changed, the modules that changed, the files that count.
   */
  affected(paths: Iterable<string>): Affected {
    const jobs = new Set<string>();
    const modules: string[] = [];
    const files: string[] = [];
    const changed = [...paths];
    const listings = this.#listed.changes(changed);
    // Whether each job's inputs match other files now than at the last look, walked once a batch.
    const walked = new Map<JobGlobs, boolean>();
    for (const path of changed) {
      if (this.#modules.has(path)) {
        modules.push(path);
        files.push(relative(this.#root, path));
        continue;
      }
      if (this.ignored(path)) continue;
      const rel = relative(this.#root, path);
      let counts = false;
      for (const [name, job] of this.#jobs) {
        if (this.#touches(job, rel, walked)) {
          jobs.add(name);
          counts = true;
        }
      }
      if (counts) files.push(rel);
    }
    return { jobs, modules, files, listings };
  }

  /**
   * What came and went in the listed folders since the task file listed them,
   * looking at all of them (when the watches are set: what came before sent no event).
   *
   * @returns The entries that came and went.
   */
  listingChanges(): ListingChanges {
    return this.#listed.changes(this.#listed.folders);
  }

  /**
   * Listing changes in a few words, for the reason of a reload.
   *
   * @param changes What came and went.
   * @returns `lib/new.c added to a folder tasks.ts lists`, and the like.
   */
  describeListings(changes: ListingChanges): string {
    return this.#listed.describe(changes, this.#root, this.#source);
  }

  /**
   * The folders to watch now: each glob's base folder (its subfolders too
   * when the glob reaches into them), the modules' folders; a folder that
   * does not exist yet is stood for by its nearest existing parent, watched
   * alone, so its creation is seen.
   *
   * @returns The folders, without duplicates.
   */
  roots(): WatchRoot[] {
    const wanted = new Map<string, boolean>();
    const want = (path: string, recursive: boolean) => {
      const at = nearestFolder(path);
      wanted.set(at, (wanted.get(at) ?? false) || (recursive && at === path));
    };
    for (const job of this.#jobs.values()) {
      for (const glob of job.inputs) {
        const after = glob.pattern.split("/").length -
          (glob.base ? glob.base.split("/").length : 0);
        const recursive = !glob.wild || glob.pattern.includes("**") || after > 1;
        want(glob.base ? join(this.#root, glob.base) : this.#root, recursive);
      }
      for (const file of job.discovered) want(dirname(join(this.#root, file)), false);
    }
    for (const path of this.#modules) want(dirname(path), false);
    for (const folder of this.#listed.folders) want(folder, false);
    const roots = [...wanted].map(([path, recursive]) => ({ path, recursive }));
    // A folder under another that is watched with its subfolders is watched already.
    return roots.filter((root) =>
      !roots.some((other) =>
        other !== root && other.recursive && root.path.startsWith(`${other.path}/`)
      )
    ).sort((a, b) => a.path.localeCompare(b.path));
  }

  /**
   * Every watched file with its size and modification time, for polling
   * where file events are unavailable.
   *
   * @returns A signature by absolute path.
   */
  snapshot(): Map<string, string> {
    this.refresh();
    const signatures = new Map<string, string>();
    const add = (path: string) => {
      try {
        const info = Deno.statSync(path);
        signatures.set(path, `${info.size}:${info.mtime?.getTime() ?? 0}:${info.ino ?? 0}`);
      } catch {
        // gone: its absence is the change
      }
    };
    for (const job of this.#jobs.values()) {
      for (const file of job.files) add(join(this.#root, file));
      for (const file of job.discovered) add(join(this.#root, file));
    }
    for (const path of this.#modules) add(path);
    this.#listed.snapshot(signatures);
    return signatures;
  }

  /**
   * Whether a path is written by the jobs: a declared output, or a folder
   * outputs are written into (`c/build` for `c/build/*.o`), made by a run.
   */
  #written(path: string): boolean {
    const rel = relative(this.#root, path);
    if (rel.startsWith("..")) return false;
    return this.#outputs.some((glob) => matches(glob, rel) || holds(glob, rel));
  }

  #touches(job: JobGlobs, rel: string, walked: Map<JobGlobs, boolean>): boolean {
    if (job.files.has(rel) || job.discovered.has(rel)) return true; // an input changed, or went
    for (const glob of job.inputs) {
      if (matches(glob, rel)) return !job.excluded.some((ex) => matches(ex, rel)); // a new one
    }
    // A folder on the way to inputs: created, removed, renamed, or only touched. Whether it
    // matters is whether the inputs are other files now.
    if (!job.inputs.some((glob) => reaches(glob, rel))) return false;
    let changed = walked.get(job);
    if (changed === undefined) {
      const now = new Walker(this.#root).expand([...job.inputs, ...job.excluded]).files;
      changed = now.length !== job.files.size || now.some((file) => !job.files.has(file));
      walked.set(job, changed);
    }
    return changed;
  }
}

/**
 * The folder to watch for a folder that may not exist yet: itself, else its
 * nearest existing parent, whose events show it coming.
 *
 * @param path An absolute folder path.
 * @returns The path, or its nearest existing parent.
 *
 * @example Usage
 * ```ts
 * import { nearestFolder } from "./files.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * assertEquals(nearestFolder(`${dir}/lib/deep`), dir);
 * assertEquals(nearestFolder(dir), dir);
 * await Deno.remove(dir);
 * ```
 */
export function nearestFolder(path: string): string {
  let at = path;
  while (!isFolder(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/** Whether a root-relative path matches a glob; a glob without a wildcard stands for a folder's files too. */
function matches(glob: ParsedGlob, rel: string): boolean {
  return glob.wild
    ? glob.regex.test(rel)
    : rel === glob.pattern || rel.startsWith(`${glob.pattern}/`);
}

/** Whether a root-relative folder holds what a glob matches: at or above its base, or (a wildcard's) below it. */
function holds(glob: ParsedGlob, rel: string): boolean {
  const base = glob.wild ? glob.base : glob.pattern;
  return base !== "" && rel !== "" &&
    (base === rel || base.startsWith(`${rel}/`) || (glob.wild && rel.startsWith(`${base}/`)));
}

/** Whether a root-relative folder is on a glob's way: at or above its base, or below it. */
function reaches(glob: ParsedGlob, rel: string): boolean {
  const base = glob.wild ? glob.base : glob.pattern;
  return rel === "" || base === "" || base === rel || base.startsWith(`${rel}/`) ||
    (glob.wild && rel.startsWith(`${base}/`));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
