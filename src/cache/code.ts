/**
 * What a task file's jobs' code depends on beyond their own functions: the
 * task file's code outside the job functions, the local modules it imports,
 * and the files it reaches by a relative literal URL
 * (`new URL("./work.ts", import.meta.url)`, what `ctx.offload` takes), each
 * with its own imports. One hash for the run, part of every key; each cached job's own
 * function text is keyed on its own. Every job's function, cached or not, is
 * left out, unless another cached job's code, or the code outside the jobs,
 * names it (and so may call it): then it counts as code outside the jobs. So
 * an edit inside one job's function reruns that job (and its dependents), and
 * an edit anywhere else in the task file, or in a local module it imports, or
 * in a job's function other code names, reruns every job it declares: an
 * over-approximation that never misses a change the code could read. Comments
 * and the layout of the code do not count, where they can be told for certain
 * (see `_code_text.ts`): editing a comment or reformatting reruns nothing.
 *
 * The task file's text outside the job functions is read from Deno's emitted
 * JavaScript (the functions' `toString()` is a slice of it); without it, the
 * whole source counts. gather's own modules, and remote and npm modules, are
 * not hashed: they are pinned by their specifiers, which are in the text. A
 * specifier computed at run time (`` import(`./plugins/${name}.ts`) ``) cannot
 * be seen: such files belong in the job's `inputs`.
 *
 * @module
 */

import { parse as parseJsonc } from "../deps/jsonc.ts";
import { dirname, fromFileUrl, join, relative } from "../deps/path.ts";
import { isFolder, readTextFileOnly } from "../file_kind.ts";
import { writeAtomic } from "./atomic.ts";
import type { Hasher, HasherSource } from "./hash.ts";
import { comparableCode } from "./_code_text.ts";
import { isScript, moduleRefs, resolveLocal } from "./_module_refs.ts";
import { isRacy } from "./_racy.ts";

/** Options of {@linkcode codeContext}. */
export interface CodeContextOptions {
  /** The task file's URL. */
  taskFile: string;
  /** The source text of each job function the task file declares. */
  jobTexts: readonly string[];
  /** The name (`fn.name`, maybe empty) of each, by position: named by other code, it stays in the context. */
  jobNames?: readonly string[];
  /** The function of each job that is not cached: left out of the context unless code in it names it. */
  uncachedJobs?: readonly UncachedJob[];
  /** The project root: module paths are keyed relative to it. */
  root: string;
  /** Deno's cache directory, where the emitted JavaScript is. */
  denoDir?: string | undefined;
  /** Modules under this folder are gather's own and are not hashed. */
  ownRoot?: string;
}

/** A job function that is not cached: its source text and its name (`fn.name`, maybe empty). */
export interface UncachedJob {
  /** The function's source text. */
  text: string;
  /** The function's name: what other code would call it by. */
  name: string;
}

/** The code context of a run. */
export interface CodeContext {
  /** One hash for all of it. */
  hash: string;
  /** Each module's hash, by path relative to the root (the task file's is its text outside the jobs). */
  modules: Record<string, string>;
  /** The hash of each job function's text, by the text's position in `jobTexts`. */
  codes: string[];
  /** Every file read to compute it (absolute paths): unchanged files, unchanged context. */
  read?: string[];
}

const GATHER_ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** A file a module names: imported, or reached by a relative URL (a worker's module, a data file). */
interface Named {
  url: string;
  byUrl: boolean;
}

/**
 * Hash what the jobs of a task file depend on outside their own functions.
 *
 * @param options The task file, its job functions and where things are.
 * @returns The context's hash and its parts.
 *
 * @example Usage
 * ```ts
 * import { codeContext } from "./code.ts";
 * import { lazyHasher } from "./hash.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/flags.ts`, "export const FLAGS = ['-O2'];\n");
 * await Deno.writeTextFile(`${root}/tasks.ts`, "import { FLAGS } from './flags.ts';\n");
 * const taskFile = `file://${root}/tasks.ts`;
 * const hasher = await lazyHasher()();
 * const before = codeContext({ taskFile, jobTexts: [], root }, hasher);
 * assertEquals(Object.keys(before.modules).sort(), ["flags.ts", "tasks.ts"]);
 * await Deno.writeTextFile(`${root}/flags.ts`, "export const FLAGS = ['-O3'];\n");
 * assertNotEquals(codeContext({ taskFile, jobTexts: [], root }, hasher).hash, before.hash);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function codeContext(options: CodeContextOptions, hasher: Hasher): CodeContext {
  const sha256 = hasher.sha256;
  const ownRoot = options.ownRoot ?? GATHER_ROOT;
  const modules: Record<string, string> = {};
  const read: string[] = [];
  const config = projectConfig(options.root, read, hasher);
  if (config.hash) modules["<import map and lock>"] = config.hash;
  const seen = new Set<string>();
  const stack: Named[] = [{ url: options.taskFile, byUrl: false }];
  while (stack.length > 0) {
    const { url, byUrl } = stack.pop()!;
    if (seen.has(url) || !url.startsWith("file:")) continue;
    seen.add(url);
    const path = fromFileUrl(url);
    if (path.startsWith(ownRoot) || (byUrl && isFolder(path))) continue;
    read.push(path);
    if (byUrl && !isScript(path)) {
      modules[keyOf(path, options.root)] = dataHash(path, hasher);
      continue;
    }
    let source: string;
    try {
      source = Deno.readTextFileSync(path);
    } catch {
      modules[keyOf(path, options.root)] = "missing";
      continue;
    }
    modules[keyOf(path, options.root)] = url === options.taskFile
      ? outsideJobs(path, source, options, read, hasher)
      : sha256(isScript(path) ? comparableCode(source) : source);
    stack.push(...namedBy(source, url, config.imports, options.root));
  }
  const hash = sha256(JSON.stringify(Object.entries(modules).sort()));
  return {
    hash,
    modules,
    codes: options.jobTexts.map((text) => sha256(comparableCode(text))),
    read,
  };
}

/**
 * The local modules a task file is made of: itself, the local modules it
 * imports (followed through relative imports and the project's import map),
 * and the project's `deno.json`/`deno.jsonc`. What watch mode watches to know
 * when to load the task file again. gather's own modules are left out.
 *
 * @param taskFile The task file's URL.
 * @param root The project root.
 * @returns Absolute paths, the task file first.
 *
 * @example Usage
 * ```ts
 * import { localModules } from "./code.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const root = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.writeTextFile(`${root}/flags.ts`, "export const FLAGS = ['-O2'];\n");
 * await Deno.writeTextFile(`${root}/tasks.ts`, "import { FLAGS } from './flags.ts';\n");
 * const modules = localModules(`file://${root}/tasks.ts`, root);
 * assertEquals(modules.slice(0, 2), [`${root}/tasks.ts`, `${root}/flags.ts`]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function localModules(taskFile: string, root: string): string[] {
  const found: string[] = [];
  let imports: Record<string, string> = {};
  for (const name of ["deno.json", "deno.jsonc"]) {
    try {
      const config = parseJsonc(Deno.readTextFileSync(join(root, name))) as {
        imports?: Record<string, string>;
      };
      imports = config.imports ?? {};
      break;
    } catch {
      // no such file
    }
  }
  const seen = new Set<string>();
  const queue: Named[] = [{ url: taskFile, byUrl: false }];
  while (queue.length > 0) {
    const { url, byUrl } = queue.shift()!;
    if (seen.has(url) || !url.startsWith("file:")) continue;
    seen.add(url);
    const path = fromFileUrl(url);
    // gather's own modules are not the project's (its tasks/ examples are).
    if (
      url !== taskFile && (path.startsWith(`${GATHER_ROOT}src/`) || path === `${GATHER_ROOT}mod.ts`)
    ) {
      continue;
    }
    if (byUrl && isFolder(path)) continue;
    found.push(path);
    if (byUrl && !isScript(path)) continue; // a data file: watched, not read for imports
    let source: string;
    try {
      source = Deno.readTextFileSync(path);
    } catch {
      continue; // missing now: still watched, so its return is noticed
    }
    queue.push(...namedBy(source, url, imports, root));
  }
  found.push(join(root, "deno.json"), join(root, "deno.jsonc"));
  return found;
}

/**
 * {@linkcode codeContext}, remembered in a file: when none of the files it
 * read has changed (by their stat), the remembered context is used, and the
 * task file is neither read nor scanned again.
 *
 * @param memoPath Where the context is remembered.
 * @param options What {@linkcode codeContext} takes.
 * @param hasher Hashes, when the context must be computed.
 * @returns The context.
 */
export async function rememberedCodeContext(
  memoPath: string,
  options: CodeContextOptions,
  hasher: HasherSource,
): Promise<CodeContext> {
  const jobs = [
    ...options.jobTexts.map((text, i) => `${options.jobNames?.[i] ?? ""}\u0001${text}`),
    ...(options.uncachedJobs ?? []).map((job) => `${job.name}\u0001${job.text}`),
  ].join("\u0000");
  try {
    const memo = JSON.parse(readTextFileOnly(memoPath));
    if (
      memo?.version === 2 && memo.jobs === jobs && memo.taskFile === options.taskFile &&
      Array.isArray(memo.codes) && memo.codes.length === options.jobTexts.length
    ) {
      const unchanged = Object.entries(memo.stats as Record<string, string>).every(([path, stat]) =>
        statOf(path, memo.savedAt) === stat
      );
      if (unchanged) return { hash: memo.hash, modules: memo.modules, codes: memo.codes };
    }
  } catch {
    // none yet, or damaged: compute it
  }
  const hashing = await hasher();
  const readFrom = Date.now(); // before any file is read: a stat taken after vouches for nothing later
  const context = codeContext(options, hashing);
  const stats: Record<string, string> = {};
  for (const path of context.read ?? []) stats[path] = statOf(path, readFrom);
  try {
    writeAtomic(
      memoPath,
      JSON.stringify({
        version: 2,
        savedAt: Date.now(),
        taskFile: options.taskFile,
        jobs,
        stats,
        hash: context.hash,
        modules: context.modules,
        codes: context.codes,
      }),
    );
  } catch {
    // remembering is an optimisation
  }
  return context;
}

/**
 * A file's stat as a string; one that cannot vouch for the file's content
 * after `since` ({@linkcode isRacy}) is never equal.
 */
function statOf(path: string, since: number): string {
  try {
    const info = Deno.statSync(path);
    const mtime = info.mtime?.getTime() ?? 0;
    const ctime = info.ctime?.getTime() ?? 0;
    if (isRacy(mtime, ctime, since)) return `racy:${crypto.randomUUID()}`;
    return `${info.size}:${mtime}:${ctime}:${info.ino ?? 0}`;
  } catch {
    return "missing";
  }
}

/**
 * The hash of a task file's code outside its job functions. A job's function,
 * cached or not, stays in it when another cached job's code, or the code left
 * outside, names it (asked again until nothing more stays).
 */
function outsideJobs(
  path: string,
  source: string,
  options: CodeContextOptions,
  read: string[],
  hasher: Hasher,
): string {
  const emitted = emittedJavaScript(path, source, options.denoDir, read);
  if (emitted === undefined) return hasher.sha256(comparableCode(source));
  const cached = [...new Set(options.jobTexts)];
  const jobs = [
    ...options.jobTexts.map((text, i) => ({ text, name: options.jobNames?.[i] ?? "" })),
    ...(options.uncachedJobs ?? []),
  ];
  // A function's own text names it (`function render`): only another cached job's code counts.
  let cut = without(
    jobs,
    jobs.filter((job) => cached.some((text) => text !== job.text && names(text, job.name))),
  );
  while (true) {
    const outside = withoutJobs(emitted, cut.map((job) => job.text));
    const named = cut.filter((job) => names(outside, job.name));
    if (named.length === 0) return hasher.sha256(comparableCode(outside));
    cut = without(cut, named);
  }
}

/** The jobs whose text is none of the kept ones' (the same text under another job stays too). */
function without<T extends { text: string }>(jobs: readonly T[], kept: readonly T[]): T[] {
  const texts = new Set(kept.map((job) => job.text));
  return jobs.filter((job) => !texts.has(job.text));
}

/** Code with each of the job functions' texts replaced by a marker. */
function withoutJobs(code: string, texts: readonly string[]): string {
  let outside = code;
  // Longest first: a job function can contain another's text.
  for (const text of [...new Set(texts)].sort((a, b) => b.length - a.length)) {
    if (text.length > 0) outside = outside.split(text).join("\u0000job\u0000");
  }
  return outside;
}

/** Whether code holds a name as a whole identifier (an empty name never). */
function names(code: string, name: string): boolean {
  if (name === "") return false;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`).test(code);
}

/** Deno's emitted JavaScript of a local module, without its source map and metadata lines. */
function emittedJavaScript(
  path: string,
  source: string,
  denoDir: string | undefined,
  read: string[],
): string | undefined {
  if (/\.(js|mjs)$/.test(path)) return source;
  if (!denoDir) return undefined;
  const emitted = join(denoDir, "gen", "file", `${path}.js`);
  read.push(emitted);
  try {
    const text = Deno.readTextFileSync(emitted);
    return text.split("\n").filter((line) =>
      !line.startsWith("//# sourceMappingURL=") && !line.startsWith("// denoCacheMetadata=")
    ).join("\n");
  } catch {
    return undefined;
  }
}

/** The local files a module's source names: its imports, and what it reaches by relative URL. */
function namedBy(
  source: string,
  from: string,
  imports: Record<string, string>,
  root: string,
): Named[] {
  const refs = moduleRefs(source);
  const named: Named[] = [];
  for (const specifier of refs.imports) {
    const url = resolveLocal(specifier, from, imports, root);
    if (url !== undefined) named.push({ url, byUrl: false });
  }
  for (const specifier of refs.urls) {
    const url = new URL(specifier, from);
    url.search = url.hash = ""; // `./work.ts?v=2` is the file work.ts
    named.push({ url: url.href, byUrl: true });
  }
  return named;
}

/** The hash of a data file a module reaches by URL: its bytes, or `missing`. */
function dataHash(path: string, hasher: Hasher): string {
  try {
    return hasher.sha256(Deno.readFileSync(path));
  } catch {
    return "missing";
  }
}

/**
 * The project's import map (`imports` and `scopes` of its deno.json or
 * deno.jsonc) and lockfile: what remote and npm modules resolve to.
 */
function projectConfig(
  root: string,
  read: string[],
  hasher: Hasher,
): { hash: string | undefined; imports: Record<string, string> } {
  const sha256 = hasher.sha256;
  const parts: string[] = [];
  let imports: Record<string, string> = {};
  read.push(join(root, "deno.lock"));
  for (const name of ["deno.json", "deno.jsonc"]) {
    read.push(join(root, name));
    try {
      const config = parseJsonc(Deno.readTextFileSync(join(root, name))) as {
        imports?: Record<string, string>;
        scopes?: unknown;
      };
      imports = config.imports ?? {};
      parts.push(JSON.stringify([config.imports ?? null, config.scopes ?? null]));
      break;
    } catch {
      // no such file, or one we cannot read: nothing to hash
    }
  }
  try {
    parts.push(sha256(Deno.readFileSync(join(root, "deno.lock"))));
  } catch {
    // no lockfile
  }
  return { hash: parts.length > 0 ? sha256(parts.join("\n")) : undefined, imports };
}

function keyOf(path: string, root: string): string {
  const rel = relative(root, path);
  // A module outside the root is keyed by its name in its folder: never by an absolute path.
  return rel.startsWith("..") ? `<outside>/${relative(dirname(dirname(path)), path)}` : rel;
}
