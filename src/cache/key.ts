/**
 * A cached job's key: the SHA-256 of everything that can change what the job
 * does, in a canonical form that holds no absolute path, time or machine
 * name, so two checkouts of one commit on two machines compute the same keys.
 *
 * @module
 */

import type { Hasher } from "./hash.ts";

/**
 * gather's cache format: a new one invalidates every entry. 2: output links
 * are stored as links (format 1 stored the content they pointed to).
 */
export const CACHE_FORMAT = 2;

/** What a key is made of, kept in each entry so `--explain` can compare like with like. */
export interface KeyParts {
  /** The cache format, gather's version, Deno's version and the platform. */
  tool: string;
  /** The job's name. */
  job: string;
  /** The hash of the job's code: its function's text. */
  code: string;
  /**
   * The hash of each named part of the job's code, when it has some (a
   * deno.json task's command, arguments, folder and settings), so that
   * `--explain` can say which changed. Not hashed into the key: `code` holds
   * them all.
   */
  codeParts?: [string, string][];
  /** The hash of each module the task file's code depends on outside the jobs (path: hash). */
  context: Record<string, string>;
  /** The job's cache-relevant options (globs, env names, dependency names), as JSON. */
  options: string;
  /** Each input file (path relative to the root) and the hash of its content, sorted. */
  files: [string, string][];
  /** Each listed environment variable and the hash of its value (`null` when unset). */
  env: [string, string | null][];
  /** Each dependency and its key (or, for an uncached one, the hash of its result). */
  deps: [string, string][];
  /**
   * In an entry stored under a final key: each file the job discovered (its
   * depfile's, or reported with `ctx.discovered()`; relative to the root,
   * or absolute outside it) and the hash of its content, sorted. Not in the
   * canonical parts: the final key is the hash of the key and these
   * (`discovered_record.ts`).
   */
  discovered?: [string, string][];
}

/**
 * The parts of a key in canonical form: equal parts, equal text.
 *
 * @param parts What a key is made of.
 * @returns The text that is hashed into the key.
 */
export function canonicalParts(parts: KeyParts): string {
  return JSON.stringify([
    parts.tool,
    parts.job,
    parts.code,
    Object.entries(parts.context).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0),
    parts.options,
    parts.files,
    parts.env,
    parts.deps,
  ]);
}

/**
 * The key of a job from its parts.
 *
 * @param parts What it is made of.
 * @param hasher The hasher.
 * @returns The key: SHA-256, hex.
 *
 * @example Usage
 * ```ts
 * import { keyOf } from "./key.ts";
 * import { lazyHasher } from "./hash.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const hasher = await lazyHasher()();
 * const parts = {
 *   tool: "1/gather 0.1.0/deno 2.9.6/linux-x86_64", job: "compile", code: "c0de", context: {},
 *   options: "0p7", files: [["src/a.c", "a1"]] as [string, string][], env: [], deps: [],
 * };
 * assertEquals(keyOf(parts, hasher), keyOf({ ...parts }, hasher));
 * assertNotEquals(keyOf(parts, hasher), keyOf({ ...parts, files: [["src/a.c", "a2"]] }, hasher));
 * ```
 */
export function keyOf(parts: KeyParts, hasher: Hasher): string {
  return hasher.sha256(canonicalParts(parts));
}

/**
 * Why a job runs: the first difference between the parts of the entry it
 * last used (restored or stored) and its parts now, in words.
 *
 * @param before The parts of the entry the job last used, if any.
 * @param now Its parts now.
 * @returns One line: `no cache entry`, `input src/a.c changed`, `env CC changed`, ...
 *
 * @example Usage
 * ```ts
 * import { explain } from "./key.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const parts = {
 *   tool: "t", job: "compile", code: "c", context: {}, options: "o",
 *   files: [["src/a.c", "1"]] as [string, string][], env: [], deps: [],
 * };
 * assertEquals(explain(undefined, parts), "no cache entry");
 * assertEquals(explain(parts, { ...parts, files: [["src/a.c", "2"]] }), "input src/a.c changed");
 * assertEquals(explain(parts, { ...parts, code: "d" }), "job code changed");
 * const task = { ...parts, codeParts: [["task command", "1"], ["arguments", "2"]] as [string, string][] };
 * const other = { ...task, code: "d", codeParts: [["task command", "1"], ["arguments", "3"]] as [string, string][] };
 * assertEquals(explain(task, other), "arguments changed");
 * ```
 */
export function explain(before: KeyParts | undefined, now: KeyParts): string {
  if (before === undefined) return "no cache entry";
  if (before.tool !== now.tool) return `gather or Deno changed (${before.tool} -> ${now.tool})`;
  if (before.code !== now.code) {
    const part = changedEntries(before.codeParts ?? [], now.codeParts ?? [])[0];
    return part === undefined ? "job code changed" : `${part[0]} changed`;
  }
  const context = changedKeys(before.context, now.context);
  if (context.length > 0) {
    return `module ${context[0]} changed${more(context.length)} (code outside the job functions)`;
  }
  if (before.options !== now.options) return "job options changed (inputs, outputs, env or deps)";
  const files = changedEntries(before.files, now.files);
  if (files.length > 0) {
    const [path, how] = files[0]!;
    return `input ${path} ${how}${more(files.length)}`;
  }
  const env = changedEntries(before.env, now.env);
  if (env.length > 0) return `env ${env[0]![0]} changed${more(env.length)}`;
  const deps = changedEntries(before.deps, now.deps);
  if (deps.length > 0) return `dependency ${deps[0]![0]} changed${more(deps.length)}`;
  return "no cache entry (the last one is gone)";
}

function more(count: number): string {
  return count > 1 ? ` and ${count - 1} more` : "";
}

function changedKeys(before: Record<string, string>, now: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(now)]);
  return [...names].filter((name) => before[name] !== now[name]).sort();
}

function changedEntries<T>(
  before: readonly [string, T][],
  now: readonly [string, T][],
): [string, string][] {
  const old = new Map(before);
  const changes: [string, string][] = [];
  for (const [name, value] of now) {
    if (!old.has(name)) changes.push([name, "added"]);
    else if (old.get(name) !== value) changes.push([name, "changed"]);
    old.delete(name);
  }
  for (const name of old.keys()) changes.push([name, "removed"]);
  return changes;
}
