/**
 * Expand a job's `inputs` and `outputs` globs to the files they match, as
 * paths relative to the project root, sorted. Globs are relative to the
 * job's folder; `**` crosses folders; a glob that starts with `!` removes
 * what it matches. `.git/` and `.gather/` are never entered.
 *
 * Symbolic links are followed for inputs (`"follow"`): a link to a file is a
 * file, a link to a folder is a folder, at their paths through the link,
 * wherever they point (reading is harmless). A link to a folder that holds
 * it (`a/up -> ..`), or to a folder on the way to it through other links,
 * is not followed: it would lead round for ever. Outputs are walked with
 * `"keep"`: every link is matched as it is, and never entered, so that it is
 * saved as a link.
 *
 * @module
 */

import { join, normalize, relative } from "../deps/path.ts";
import { globToRegExp, isGlob } from "../deps/path_glob.ts";
import type { Listing } from "./stat_index.ts";
import { LinkLoops } from "./_link_loops.ts";

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

/**
 * Whether globs match a file, as {@linkcode Walker.expand} would (without
 * looking at the disk): a glob without a wildcard matches its file, or every
 * file under it when it names a folder; a negated glob removes what it matches.
 *
 * @param path The file, relative to the root.
 * @param globs The parsed globs.
 * @returns `true` when the globs match it.
 *
 * @example Usage
 * ```ts
 * import { matchesGlobs, parseGlob } from "./glob.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const globs = ["src/**\/*.c", "!src/skip.c", "docs"].map((g) => parseGlob(g, "/p", "/p"));
 * assertEquals(matchesGlobs("src/lib/a.c", globs), true);
 * assertEquals(matchesGlobs("src/skip.c", globs), false);
 * assertEquals(matchesGlobs("docs/index.md", globs), true);
 * assertEquals(matchesGlobs("src/a.h", globs), false);
 * ```
 */
export function matchesGlobs(path: string, globs: readonly ParsedGlob[]): boolean {
  const matches = (glob: ParsedGlob) =>
    glob.wild || glob.negated
      ? glob.regex.test(path)
      : path === glob.pattern || path.startsWith(`${glob.pattern}/`);
  return globs.some((glob) => !glob.negated && matches(glob)) &&
    !globs.some((glob) => glob.negated && matches(glob));
}

/** A glob with no `.` or `..` segment and no empty one: joined to its folder as it is. */
const SIMPLE = /^(?!\.{1,2}(?:\/|$))(?!.*\/\.{1,2}(?:\/|$))(?!.*\/\/)[^\\]+$/;

/**
 * What a walk does with a symbolic link: `"follow"` it (a link to a file is a
 * file, a link to a folder a folder), or `"keep"` it (every link is a file
 * name, never entered).
 */
export type LinkMode = "follow" | "keep";

/** Remembers folder listings between runs (the stat index does). */
export interface ListingMemo {
  /** A folder's listing, if its stat is unchanged. */
  listing(key: string, info: Deno.FileInfo): Listing | undefined;
  /** Remember a folder's listing. */
  rememberListing(key: string, info: Deno.FileInfo, listing: Listing): void;
}

/** A folder's names as a walk sees them: its links sorted into files and folders, or kept as files. */
interface Seen {
  files: string[];
  dirs: string[];
  /** Whether it holds a symbolic link (followed or not). */
  hasLinks?: boolean;
}

/** What {@linkcode Walker.expand} found. */
export interface Expanded {
  /** The files, relative to the root, sorted. */
  files: string[];
  /** The globs (not negated) that matched nothing, as written. */
  unmatched: string[];
  /**
   * Whether the walk met a symbolic link it follows (or may, once what it
   * points to exists): where such a link leads, the globs do not say.
   */
  metLinks: boolean;
}

/**
 * Lists folders once per run, however many globs walk them; except what a
 * walk meets through symbolic links (a folder that holds one, a folder
 * reached through one), which is looked at again by each walk, since a job
 * of the run may write there under another name.
 */
export class Walker {
  #root: string;
  #listings = new Map<string, Seen>();
  #memo: ListingMemo | undefined;
  #links: LinkMode;
  #loops: LinkLoops;
  /** The links followed (to files and folders), and glob bases reached through one, by path. */
  #followed = new Set<string>();
  /** Whether each folder on the way to a glob's base is a link, or under one. */
  #linkedBases = new Map<string, boolean>();
  /** Whether the walk under way has met a link. */
  #metLinks = false;

  /**
   * Construct a walker.
   *
   * @param root The project root.
   * @param memo Remembers listings between runs: a folder whose stat is unchanged is not read.
   * @param links Follow symbolic links (inputs), or keep them as they are (outputs).
   */
  constructor(root: string, memo?: ListingMemo, links: LinkMode = "follow") {
    this.#root = root;
    this.#memo = memo;
    this.#links = links;
    this.#loops = new LinkLoops(root);
  }

  /**
   * The files the globs match, relative to the root, sorted; for each glob
   * that is not negated, whether it matched anything.
   *
   * @param globs The parsed globs.
   * @returns The files, the globs that matched nothing, and whether the walk met a link it follows.
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
  expand(globs: readonly ParsedGlob[]): Expanded {
    this.#metLinks = false;
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
    return { files: files.sort(), unmatched, metLinks: this.#metLinks };
  }

  /**
   * Whether a path the walker found is read through a symbolic link it
   * followed (the path itself, or a folder on its way).
   *
   * @param path The path, relative to the root.
   * @returns `true` when it is.
   *
   * @example Usage
   * ```ts
   * import { parseGlob, Walker } from "./glob.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const root = await Deno.makeTempDir();
   * await Deno.mkdir(`${root}/gen`);
   * await Deno.mkdir(`${root}/data`);
   * await Deno.writeTextFile(`${root}/gen/v.txt`, "v");
   * await Deno.symlink("../gen", `${root}/data/gen`);
   * const walker = new Walker(root);
   * const { files, metLinks } = walker.expand([parseGlob("**", root, root)]);
   * assertEquals([files, metLinks], [["data/gen/v.txt", "gen/v.txt"], true]);
   * assertEquals(files.map((file) => walker.throughLink(file)), [true, false]);
   * await Deno.remove(root, { recursive: true });
   * ```
   */
  throughLink(path: string): boolean {
    if (this.#followed.size === 0) return false;
    for (let end = path.length; end > 0; end = path.lastIndexOf("/", end - 1)) {
      if (this.#followed.has(path.slice(0, end))) return true;
    }
    return false;
  }

  #matches(glob: ParsedGlob, out: string[]): void {
    // A folder on the way to the glob's base that is a link (the base itself is looked at as it is
    // read): what is under it is not kept for the run. A walk that keeps nothing between runs
    // (watch mode's, an output walk) need not know.
    const slash = glob.base.lastIndexOf("/");
    if (
      this.#memo && this.#links === "follow" && slash > 0 &&
      this.#linkedBase(glob.base.slice(0, slash))
    ) {
      this.#followed.add(glob.base);
    }
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

  /**
   * A folder's files and subfolders, its links followed or kept. Kept for
   * the run unless the walk met a link there (see {@linkcode Walker}).
   */
  #list(folder: string): Seen {
    let seen = this.#listings.get(folder);
    if (seen) return seen;
    const { listing, isLink } = this.#read(folder);
    // The root may be reached through a link (the path a shell was given): that is no link of the project's.
    if (isLink && folder !== "" && this.#links === "follow") this.#followed.add(folder);
    if (listing.links.length === 0) seen = listing;
    else if (this.#links === "keep") {
      seen = { files: [...listing.files, ...listing.links], dirs: listing.dirs, hasLinks: true };
    } else {
      seen = { files: [...listing.files], dirs: [...listing.dirs], hasLinks: true };
      const prefix = folder ? `${folder}/` : "";
      for (const name of listing.links) {
        // What a link is now is looked at every time: its folder's stat does not change with it.
        let info: Deno.FileInfo;
        try {
          info = Deno.statSync(join(this.#root, prefix + name));
        } catch {
          continue; // a link to nothing
        }
        if (info.isFile) seen.files.push(name);
        else if (info.isDirectory && !this.#loops.leadsBack(folder, name)) seen.dirs.push(name);
        else continue;
        this.#followed.add(prefix + name);
      }
    }
    if (this.#links === "follow" && (seen.hasLinks || this.throughLink(folder))) {
      this.#metLinks = true;
    } else this.#listings.set(folder, seen);
    return seen;
  }

  /**
   * A folder's listing (remembered, when its stat is unchanged, else read),
   * and whether the folder is itself a link (known when listings are remembered).
   */
  #read(folder: string): { listing: Listing; isLink: boolean } {
    const path = folder ? join(this.#root, folder) : this.#root;
    let info: Deno.FileInfo | undefined;
    let isLink = false;
    if (this.#memo) {
      try {
        // `lstat`, then `stat` only for a link: a folder that is a link costs one call more.
        info = Deno.lstatSync(path);
        if (info.isSymlink) {
          isLink = true;
          info = Deno.statSync(path);
        }
        const listing = info.isDirectory ? this.#memo.listing(folder, info) : undefined;
        if (listing) return { listing, isLink };
      } catch {
        info = undefined;
      }
    }
    const listing: Listing = { files: [], dirs: [], links: [] };
    try {
      for (const entry of Deno.readDirSync(path)) {
        if (NEVER.has(entry.name)) continue;
        if (entry.isDirectory) listing.dirs.push(entry.name);
        else if (entry.isFile) listing.files.push(entry.name);
        else if (entry.isSymlink) listing.links.push(entry.name);
      }
      if (info?.isDirectory) this.#memo?.rememberListing(folder, info, listing);
    } catch {
      // a missing or unreadable folder matches nothing
    }
    return { listing, isLink };
  }

  /**
   * Whether a folder on the way to a glob's base is a link, or under one:
   * once per folder and run (an `lstat` each).
   */
  #linkedBase(base: string): boolean {
    let linked = this.#linkedBases.get(base);
    if (linked === undefined) {
      const slash = base.lastIndexOf("/");
      linked = slash > 0 && this.#linkedBase(base.slice(0, slash));
      if (!linked) {
        try {
          linked = Deno.lstatSync(join(this.#root, base)).isSymlink;
        } catch {
          linked = false; // missing: nothing is read there
        }
      }
      this.#linkedBases.set(base, linked);
    }
    return linked;
  }
}
