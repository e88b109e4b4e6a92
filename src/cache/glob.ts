/**
 * Expand a job's `inputs` and `outputs` globs to the files they match, as
 * paths relative to the project root, sorted. Globs are relative to the
 * job's folder; `**` crosses folders; a glob that starts with `!` removes
 * what it matches. `.git/` and `.gather/` are never entered, nor are symbolic
 * links to folders (a file behind a symbolic link counts as a file).
 *
 * @module
 */

import { join, normalize, relative } from "../deps/path.ts";
import { globToRegExp, isGlob } from "../deps/path_glob.ts";
import type { Listing } from "./stat_index.ts";
import { isFile } from "../file_kind.ts";

/** A glob that resolves outside the project root. */
export class GlobOutsideRootError extends Error {
  /** The glob as written. */
  readonly glob: string;

  /**
   * Construct it.
   *
   * @param glob The glob as written.
   * @param root The project root.
   */
  constructor(glob: string, root: string) {
    super(`"${glob}" reaches outside the project root ${root}`);
    this.name = "GlobOutsideRootError";
    this.glob = glob;
  }
}

/** A glob, checked and split at its first wildcard. */
export interface ParsedGlob {
  /** The glob as written. */
  text: string;
  /** `!glob`: removes what it matches. */
  negated: boolean;
  /** The folder to walk from, relative to the root ("" for the root). */
  base: string;
  /** The whole pattern, relative to the root. */
  pattern: string;
  /** Matches a root-relative path (made on first use). */
  readonly regex: RegExp;
  /** Whether the pattern has a wildcard at all. */
  wild: boolean;
  /**
   * Without `**`: one regex per segment after `base`, matched against names
   * as the walk goes down, so only the folders the glob can reach are listed.
   */
  segments?: RegExp[];
}

const NEVER = new Set([".git", ".gather"]);

/**
 * Check a glob and put it relative to the root.
 *
 * @param glob The glob, relative to `dir`.
 * @param dir The job's folder.
 * @param root The project root.
 * @param compiled Regexes already made for glob segments, shared by a run's globs.
 * @returns The parsed glob.
 * @throws {GlobOutsideRootError} For an absolute glob or one that leaves the root.
 *
 * @example Usage
 * ```ts
 * import { parseGlob } from "./glob.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const glob = parseGlob("src/**\/*.c", "/p/app", "/p");
 * assertEquals([glob.base, glob.pattern], ["app/src", "app/src/**\/*.c"]);
 * assertThrows(() => parseGlob("../../etc/passwd", "/p/app", "/p"));
 * ```
 */
export function parseGlob(
  glob: string,
  dir: string,
  root: string,
  compiled: Map<string, RegExp> = new Map(),
): ParsedGlob {
  const negated = glob.startsWith("!");
  const text = negated ? glob.slice(1) : glob;
  if (text.startsWith("/") || /^[A-Za-z]:[\\/]/.test(text)) {
    throw new GlobOutsideRootError(glob, root);
  }
  // The common case, a plain relative glob in a folder under the root, without path arithmetic.
  const pattern = dir.startsWith(`${root}/`) && SIMPLE.test(text)
    ? `${dir.slice(root.length + 1)}/${text}`
    : dir === root && SIMPLE.test(text)
    ? text
    : relative(root, normalize(join(dir, text)));
  if (pattern === ".." || pattern.startsWith("../") || pattern.startsWith("/")) {
    throw new GlobOutsideRootError(glob, root);
  }
  const parts = pattern.split("/");
  const first = parts.findIndex((part) => isGlob(part));
  const wild = first >= 0;
  const base = wild ? parts.slice(0, first).join("/") : parts.slice(0, -1).join("/");
  let regex: RegExp | undefined;
  const parsed: ParsedGlob = {
    text: glob,
    negated,
    base,
    pattern,
    wild,
    get regex() {
      return regex ??= globToRegExp(pattern === "." ? "" : pattern, {
        extended: true,
        globstar: true,
      });
    },
  };
  if (wild && !parts.includes("**")) {
    parsed.segments = parts.slice(first).map((part) => {
      let segment = compiled.get(part);
      if (!segment) {
        segment = globToRegExp(part, { extended: true, globstar: false });
        compiled.set(part, segment);
      }
      return segment;
    });
  }
  return parsed;
}

/** A glob with no `.` or `..` segment and no empty one: joined to its folder as it is. */
const SIMPLE = /^(?!\.{1,2}(?:\/|$))(?!.*\/\.{1,2}(?:\/|$))(?!.*\/\/)[^\\]+$/;

/** Remembers folder listings between runs (the stat index does). */
export interface ListingMemo {
  /** A folder's listing, if its stat is unchanged. */
  listing(key: string, info: Deno.FileInfo): Listing | undefined;
  /** Remember a folder's listing. */
  rememberListing(key: string, info: Deno.FileInfo, listing: Listing): void;
}

/** Lists folders once per run, however many globs walk them. */
export class Walker {
  #root: string;
  #listings = new Map<string, Listing>();
  #memo: ListingMemo | undefined;

  /**
   * Construct a walker.
   *
   * @param root The project root.
   * @param memo Remembers listings between runs: a folder whose stat is unchanged is not read.
   */
  constructor(root: string, memo?: ListingMemo) {
    this.#root = root;
    this.#memo = memo;
  }

  /**
   * The files the globs match, relative to the root, sorted; for each glob
   * that is not negated, whether it matched anything.
   *
   * @param globs The parsed globs.
   * @returns The files, and the globs that matched nothing.
   *
   * @example Usage
   * ```ts
   * import { parseGlob, Walker } from "./glob.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const root = await Deno.makeTempDir();
   * await Deno.mkdir(`${root}/src/lib`, { recursive: true });
   * for (const f of ["src/a.c", "src/lib/b.c", "src/lib/b.h", "src/skip.c"]) {
   *   await Deno.writeTextFile(`${root}/${f}`, f);
   * }
   * const globs = ["src/**\/*.c", "!src/skip.c", "missing/*.c"].map((g) => parseGlob(g, root, root));
   * const { files, unmatched } = new Walker(root).expand(globs);
   * assertEquals(files, ["src/a.c", "src/lib/b.c"]);
   * assertEquals(unmatched, ["missing/*.c"]);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  expand(globs: readonly ParsedGlob[]): { files: string[]; unmatched: string[] } {
    const found = new Set<string>();
    const unmatched: string[] = [];
    for (const glob of globs) {
      if (glob.negated) continue;
      const matches: string[] = [];
      this.#matches(glob, matches);
      for (const file of matches) found.add(file);
      if (matches.length === 0) unmatched.push(glob.text);
    }
    const excluded = globs.filter((glob) => glob.negated);
    const files = excluded.length === 0
      ? [...found]
      : [...found].filter((file) => !excluded.some((glob) => glob.regex.test(file)));
    return { files: files.sort(), unmatched };
  }

  #matches(glob: ParsedGlob, out: string[]): void {
    if (!glob.wild) {
      const listing = this.#list(glob.base);
      const name = glob.pattern.slice(glob.base ? glob.base.length + 1 : 0);
      if (listing.files.includes(name)) out.push(glob.pattern);
      // A folder named without a wildcard stands for every file under it.
      if (listing.dirs.includes(name)) this.#deep(glob.pattern, () => true, out);
      return;
    }
    if (glob.segments) this.#segments(glob.base, glob.segments, 0, out);
    else this.#deep(glob.base, (path) => glob.regex.test(path), out);
  }

  /** Down a glob without `**`, one segment a level: only the folders it can reach are listed. */
  #segments(folder: string, segments: RegExp[], at: number, out: string[]): void {
    const listing = this.#list(folder);
    const segment = segments[at]!;
    const prefix = folder ? `${folder}/` : "";
    if (at === segments.length - 1) {
      for (const file of listing.files) if (segment.test(file)) out.push(prefix + file);
      return;
    }
    for (const dir of listing.dirs) {
      if (segment.test(dir)) this.#segments(prefix + dir, segments, at + 1, out);
    }
  }

  /** Every file under a folder that a whole-path test accepts. */
  #deep(from: string, matches: (path: string) => boolean, out: string[]): void {
    const stack = [from];
    while (stack.length > 0) {
      const folder = stack.pop()!;
      const listing = this.#list(folder);
      const prefix = folder ? `${folder}/` : "";
      for (const file of listing.files) {
        const path = prefix + file;
        if (matches(path)) out.push(path);
      }
      for (const dir of listing.dirs) stack.push(prefix + dir);
    }
  }

  #list(folder: string): Listing {
    let listing = this.#listings.get(folder);
    if (listing) return listing;
    const path = folder ? join(this.#root, folder) : this.#root;
    let info: Deno.FileInfo | undefined;
    if (this.#memo) {
      try {
        info = Deno.statSync(path);
        listing = info.isDirectory ? this.#memo.listing(folder, info) : undefined;
      } catch {
        info = undefined;
      }
      if (listing) {
        this.#listings.set(folder, listing);
        return listing;
      }
    }
    listing = { files: [], dirs: [] };
    try {
      for (const entry of Deno.readDirSync(path)) {
        if (entry.isDirectory) {
          if (!NEVER.has(entry.name)) listing.dirs.push(entry.name);
        } else if (entry.isFile) {
          listing.files.push(entry.name);
        } else if (entry.isSymlink && isFile(join(this.#root, folder, entry.name))) {
          listing.files.push(entry.name);
        }
      }
      if (info?.isDirectory) this.#memo?.rememberListing(folder, info, listing);
    } catch {
      // a missing or unreadable folder matches nothing
    }
    this.#listings.set(folder, listing);
    return listing;
  }
}
