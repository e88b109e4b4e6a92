/**
 * Content hashes of files, remembered by what `stat` says of them (size,
 * modification and change times, inode), as git's index does: a file whose
 * stat is unchanged is not read again. A file changed (by its modification or
 * its change time) shortly before its stat was taken is not trusted (the
 * "racily clean" case, {@linkcode isRacy}: a second write within the clock's
 * granularity would not change its stat), and is hashed again next time. The
 * index file says from when its stats date (`statsSince`: the run that wrote
 * it started then), and keeps no racy entry from an older run.
 *
 * @module
 */

import type { Hasher, HasherSource } from "./hash.ts";
import { isRacy } from "./_racy.ts";
import { readTextFileOnly } from "../file_kind.ts";
import { writeAtomic } from "./atomic.ts";

interface Entry {
  size: number;
  mtime: number;
  ctime: number;
  ino: number;
  hash: string;
}

/** A folder's listing, remembered by the folder's own stat (adding or removing an entry changes it). */
interface DirEntry {
  mtime: number;
  ctime: number;
  ino: number;
  files: string[];
  dirs: string[];
  links: string[];
}

/** A folder's files, subfolders and symbolic links. */
export interface Listing {
  /** File names. */
  files: string[];
  /** Subfolder names. */
  dirs: string[];
  /**
   * Names of symbolic links, whatever they point to: what a link is can
   * change without its folder's stat changing, so a walk looks at it again.
   */
  links: string[];
}

interface IndexFile {
  version: 1;
  savedAt: number;
  /** Every stat in the file was taken at or after this moment (none is trusted without it). */
  statsSince?: number;
  files: Record<string, Entry>;
  dirs?: Record<string, DirEntry>;
}

/** Files this size or larger are read in chunks, off the event loop's back. */
const STREAM_BYTES = 1 << 20;
/** A stat index keeps at most this many files (the least recently seen go first). */
const MAX_FILES = 500_000;

/**
 * The stat index of one project.
 *
 * @example Usage
 * ```ts
 * import { StatIndex } from "./stat_index.ts";
 * import { assertEquals } from "@std/assert";
 *
 * import { lazyHasher } from "./hash.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "hello");
 * const index = StatIndex.load(`${dir}/index.json`, lazyHasher());
 * const hash = await index.hash(`${dir}/a.txt`, "a.txt");
 * assertEquals(hash, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
 * assertEquals(index.hashed, 1);
 * await index.hash(`${dir}/a.txt`, "a.txt");
 * assertEquals(index.hashed, 1); // from the index this time
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class StatIndex {
  #path: string;
  /** The moment the loaded file's stats date from (0: unknown, none is trusted). */
  #oldSince: number;
  /** This run's: every stat it records is taken after this moment. */
  #since = Date.now();
  #old: Record<string, Entry>;
  #seen = new Map<string, Entry>();
  /**
   * How many jobs had run (and may have written files) when each hash of this
   * run was last checked against its file's stat: a hash checked before a job
   * ran is checked again before it is used.
   */
  #checkedAt = new Map<string, number>();
  #jobsRan = 0;
  #oldDirs: Record<string, DirEntry>;
  #seenDirs = new Map<string, DirEntry>();
  /** The names in each folder a restore looked into, by absolute path; read once a run. */
  #present = new Map<string, Set<string>>();
  #changed = false;
  #hasher: HasherSource;
  /** How many files were read and hashed (not found unchanged in the index). */
  hashed = 0;

  private constructor(path: string, data: IndexFile | undefined, hasher: HasherSource) {
    this.#path = path;
    this.#hasher = hasher;
    const since = data?.statsSince;
    this.#oldSince = typeof since === "number" && Number.isFinite(since) ? since : 0;
    this.#old = data?.files ?? {};
    this.#oldDirs = typeof data?.dirs === "object" && data.dirs !== null ? data.dirs : {};
  }

  /**
   * A folder's listing, when its stat says it is unchanged since it was remembered.
   *
   * @param key The folder, relative to the root.
   * @param info The folder's stat now.
   * @returns The listing, or `undefined` when it must be read.
   */
  listing(key: string, info: Deno.FileInfo): Listing | undefined {
    const old = this.#oldDirs[key];
    const mtime = info.mtime?.getTime() ?? 0;
    // A listing remembered without its links (by an older gather) is read again.
    if (
      old === undefined || old.mtime !== mtime || old.ctime !== (info.ctime?.getTime() ?? 0) ||
      old.ino !== (info.ino ?? 0) || isRacy(old.mtime, old.ctime, this.#oldSince) ||
      !Array.isArray(old.files) || !Array.isArray(old.dirs) || !Array.isArray(old.links)
    ) {
      return undefined;
    }
    this.#seenDirs.set(key, old);
    return old;
  }

  /**
   * Remember a folder's listing.
   *
   * @param key The folder, relative to the root.
   * @param info The folder's stat, taken before it was read.
   * @param listing What it holds.
   */
  rememberListing(key: string, info: Deno.FileInfo, listing: Listing): void {
    this.#changed = true;
    this.#seenDirs.set(key, {
      mtime: info.mtime?.getTime() ?? 0,
      ctime: info.ctime?.getTime() ?? 0,
      ino: info.ino ?? 0,
      files: listing.files,
      dirs: listing.dirs,
      links: listing.links,
    });
  }

  /**
   * Read an index file; a missing or damaged one counts as empty.
   *
   * @param path The index file.
   * @param hasher Hashes the files that must be read.
   * @returns The index.
   */
  static load(path: string, hasher: HasherSource): StatIndex {
    try {
      const data = JSON.parse(readTextFileOnly(path));
      if (data?.version === 1 && typeof data.files === "object" && data.files !== null) {
        return new StatIndex(path, data as IndexFile, hasher);
      }
    } catch {
      // missing or damaged: start afresh
    }
    return new StatIndex(path, undefined, hasher);
  }

  /**
   * The SHA-256 of a file's content, hex, from the index when its stat is
   * unchanged (then at once, not through a promise: a no-op run asks this
   * for every input file).
   *
   * @param path The file's absolute path.
   * @param key Its name in the index (relative to the project root).
   * @param stat Its stat, when the caller has just taken it.
   * @param recheck Whether a hash found this run is checked against the file's stat again (a file
   * read through a symbolic link: a job may have written it since, under another name).
   * @returns The hash.
   * @throws {Deno.errors.NotFound} When the file is missing.
   */
  hash(
    path: string,
    key: string,
    stat?: Deno.FileInfo,
    recheck = false,
  ): string | Promise<string> {
    const known = this.#seen.get(key);
    const ran = this.#jobsRan;
    if (known && !recheck && this.#checkedAt.get(key) === ran) return known.hash;
    const info = stat ?? Deno.statSync(path);
    this.#checkedAt.set(key, ran);
    if (known && sameStat(known, info)) return known.hash;
    const old = this.#old[key];
    if (old && sameStat(old, info) && !isRacy(old.mtime, old.ctime, this.#oldSince)) {
      this.#seen.set(key, old);
      return old.hash;
    }
    return this.#read(path, key, info);
  }

  /**
   * A job ran (not restored from the cache): it may have written files whose
   * hashes this run already knows (an uncached code generator writing what a
   * cached dependent reads, after another job hashed it), so each is checked
   * against its file's stat again before it is used.
   *
   * @example Usage
   * ```ts
   * import { StatIndex } from "./stat_index.ts";
   * import { lazyHasher } from "./hash.ts";
   * import { assertNotEquals } from "@std/assert";
   *
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/gen.txt`, "a");
   * const index = StatIndex.load(`${dir}/index.json`, lazyHasher());
   * const before = await index.hash(`${dir}/gen.txt`, "gen.txt");
   * await Deno.writeTextFile(`${dir}/gen.txt`, "bb"); // a job writes it
   * index.jobRan();
   * assertNotEquals(await index.hash(`${dir}/gen.txt`, "gen.txt"), before);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  jobRan(): void {
    this.#jobsRan++;
  }

  /**
   * Whether a file still has the content hashed for it this run (a job's
   * input, after the job ran): yes at once when its stat is the one taken
   * then, and that stat can vouch for it ({@linkcode isRacy}); else it is
   * read and hashed again, and remembered as it is now.
   *
   * @param path The file's absolute path.
   * @param key Its name in the index (relative to the project root).
   * @param hash The hash it had ({@linkcode UNREADABLE}: it could not be read).
   * @returns `true` when its content is that hash's.
   */
  unchanged(path: string, key: string, hash: string): boolean | Promise<boolean> {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch {
      return hash === UNREADABLE; // gone (or out of reach): changed, unless it was already
    }
    const seen = this.#seen.get(key);
    if (
      seen !== undefined && seen.hash === hash && sameStat(seen, info) &&
      !isRacy(seen.mtime, seen.ctime, this.#since)
    ) {
      return true;
    }
    return this.#read(path, key, info).then((now) => now === hash, () => hash === UNREADABLE);
  }

  /** Hash a file and remember it with its stat, taken before it was read. */
  #read(path: string, key: string, info: Deno.FileInfo): Promise<string> {
    const now = {
      size: info.size,
      mtime: info.mtime?.getTime() ?? 0,
      ctime: info.ctime?.getTime() ?? 0,
      ino: info.ino ?? 0,
    };
    return this.#hasher().then((hasher) => hashFile(path, hasher, now.size)).then((hash) => {
      this.hashed++;
      this.#changed = true;
      this.#seen.set(key, { ...now, hash });
      return hash;
    });
  }

  /**
   * Forget a file (it was just written: its next stat will differ anyway).
   *
   * @param key Its name in the index.
   */
  forget(key: string): void {
    if (this.#seen.delete(key) || key in this.#old) this.#changed = true;
    delete this.#old[key];
  }

  /**
   * Whether a file may be on disk: `false` when the listing of its folder,
   * read once this run, does not have it (or the folder is missing). A
   * restore checks this first: most restored outputs were deleted, and the
   * `lstat` that finds a file missing throws, which costs more than the
   * check. Files written since are added with {@linkcode StatIndex.wrote};
   * one made by anything else is written again, with the same content.
   *
   * @param absolute The file's absolute path.
   * @returns `false` when it is surely missing.
   */
  mayExist(absolute: string): boolean {
    const slash = absolute.lastIndexOf("/");
    const folder = absolute.slice(0, slash);
    let names = this.#present.get(folder);
    if (names === undefined) {
      try {
        names = new Set(Array.from(Deno.readDirSync(folder), (entry) => entry.name));
      } catch {
        names = new Set(); // missing, or not a folder: nothing of its is there
      }
      this.#present.set(folder, names);
    }
    return names.has(absolute.slice(slash + 1));
  }

  /**
   * A file was written at this path (for {@linkcode StatIndex.mayExist}).
   *
   * @param absolute Its absolute path.
   */
  wrote(absolute: string): void {
    const slash = absolute.lastIndexOf("/");
    this.#present.get(absolute.slice(0, slash))?.add(absolute.slice(slash + 1));
  }

  /**
   * Write the index back if anything changed: the files seen this run first,
   * then the others (but those an older run could not vouch for: they would
   * pass for stats of this run's).
   */
  save(): void {
    if (!this.#changed) return;
    const files: Record<string, Entry> = {};
    let count = 0;
    for (const [key, entry] of this.#seen) {
      files[key] = entry;
      count++;
    }
    for (const [key, entry] of Object.entries(this.#old)) {
      if (count >= MAX_FILES) break;
      if (!(key in files) && !isRacy(entry.mtime, entry.ctime, this.#oldSince)) {
        files[key] = entry;
        count++;
      }
    }
    const dirs: Record<string, DirEntry> = {};
    for (const [key, entry] of this.#seenDirs) dirs[key] = entry;
    for (const [key, entry] of Object.entries(this.#oldDirs)) {
      if (count >= MAX_FILES) break;
      if (!(key in dirs) && !isRacy(entry.mtime, entry.ctime, this.#oldSince)) {
        dirs[key] = entry;
        count++;
      }
    }
    const data: IndexFile = {
      version: 1,
      savedAt: Date.now(),
      statsSince: this.#since,
      files,
      dirs,
    };
    writeAtomic(this.#path, JSON.stringify(data));
  }
}

/** What a job's key holds for an input file that could not be read. */
export const UNREADABLE = "unreadable";

/** Whether a remembered stat is a file's stat now. */
function sameStat(entry: Entry, info: Deno.FileInfo): boolean {
  return entry.size === info.size && entry.mtime === (info.mtime?.getTime() ?? 0) &&
    entry.ctime === (info.ctime?.getTime() ?? 0) && entry.ino === (info.ino ?? 0);
}

/**
 * SHA-256 of a file, hex: small files read at once, large ones in chunks.
 *
 * @param path The file.
 * @param hasher The hasher.
 * @param size Its size, if known.
 * @returns The hash.
 *
 * @example Usage
 * ```ts
 * import { hashFile } from "./stat_index.ts";
 * import { lazyHasher } from "./hash.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const file = await Deno.makeTempFile();
 * assertEquals((await hashFile(file, await lazyHasher()())).slice(0, 8), "e3b0c442"); // the empty file
 * await Deno.remove(file);
 * ```
 */
export async function hashFile(path: string, hasher: Hasher, size?: number): Promise<string> {
  if ((size ?? Deno.statSync(path).size) < STREAM_BYTES) {
    return hasher.sha256(Deno.readFileSync(path));
  }
  const hash = hasher.stream();
  using file = await Deno.open(path);
  const buffer = new Uint8Array(STREAM_BYTES);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest();
}
