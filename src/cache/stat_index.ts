/**
 * Content hashes of files, remembered by what `stat` says of them (size,
 * modification and change times, inode), as git's index does: a file whose
 * stat is unchanged is not read again. A file modified in the second before
 * the index was written is not trusted (the "racily clean" case: a second
 * write within the clock's granularity would not change its stat), and is
 * hashed again next time.
 *
 * @module
 */

import { createHash } from "node:crypto";

interface Entry {
  size: number;
  mtime: number;
  ctime: number;
  ino: number;
  hash: string;
}

interface IndexFile {
  version: 1;
  savedAt: number;
  files: Record<string, Entry>;
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
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "hello");
 * const index = StatIndex.load(`${dir}/index.json`);
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
  #savedAt: number;
  #old: Record<string, Entry>;
  #seen = new Map<string, Entry>();
  #changed = false;
  /** How many files were read and hashed (not found unchanged in the index). */
  hashed = 0;

  private constructor(path: string, data: IndexFile | undefined) {
    this.#path = path;
    this.#savedAt = data?.savedAt ?? 0;
    this.#old = data?.files ?? {};
  }

  /**
   * Read an index file; a missing or damaged one counts as empty.
   *
   * @param path The index file.
   * @returns The index.
   */
  static load(path: string): StatIndex {
    try {
      const data = JSON.parse(Deno.readTextFileSync(path));
      if (data?.version === 1 && typeof data.files === "object" && data.files !== null) {
        return new StatIndex(path, data as IndexFile);
      }
    } catch {
      // missing or damaged: start afresh
    }
    return new StatIndex(path, undefined);
  }

  /**
   * The SHA-256 of a file's content, hex, from the index when its stat is unchanged.
   *
   * @param path The file's absolute path.
   * @param key Its name in the index (relative to the project root).
   * @returns The hash.
   * @throws {Deno.errors.NotFound} When the file is missing.
   */
  async hash(path: string, key: string): Promise<string> {
    const known = this.#seen.get(key);
    if (known) return known.hash;
    const info = Deno.statSync(path);
    const stat = {
      size: info.size,
      mtime: info.mtime?.getTime() ?? 0,
      ctime: info.ctime?.getTime() ?? 0,
      ino: info.ino ?? 0,
    };
    const old = this.#old[key];
    if (
      old && old.size === stat.size && old.mtime === stat.mtime && old.ctime === stat.ctime &&
      old.ino === stat.ino && stat.mtime < this.#savedAt - 1000
    ) {
      this.#seen.set(key, old);
      return old.hash;
    }
    const hash = await hashFile(path, stat.size);
    this.hashed++;
    this.#changed = true;
    this.#seen.set(key, { ...stat, hash });
    return hash;
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

  /** Write the index back if anything changed: the files seen this run first, then the others. */
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
      if (!(key in files)) {
        files[key] = entry;
        count++;
      }
    }
    const data: IndexFile = { version: 1, savedAt: Date.now(), files };
    const temporary = `${this.#path}.${Deno.pid}.tmp`;
    Deno.writeTextFileSync(temporary, JSON.stringify(data));
    Deno.renameSync(temporary, this.#path);
  }
}

/**
 * SHA-256 of a file, hex: small files read at once, large ones in chunks.
 *
 * @param path The file.
 * @param size Its size, if known.
 * @returns The hash.
 *
 * @example Usage
 * ```ts
 * import { hashFile } from "./stat_index.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const file = await Deno.makeTempFile();
 * assertEquals((await hashFile(file)).slice(0, 8), "e3b0c442"); // the empty file
 * await Deno.remove(file);
 * ```
 */
export async function hashFile(path: string, size?: number): Promise<string> {
  const hash = createHash("sha256");
  if ((size ?? Deno.statSync(path).size) < STREAM_BYTES) {
    return hash.update(Deno.readFileSync(path)).digest("hex");
  }
  using file = await Deno.open(path);
  const buffer = new Uint8Array(STREAM_BYTES);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}

/**
 * SHA-256 of text or bytes, hex.
 *
 * @param data What to hash.
 * @returns The hash.
 *
 * @example Usage
 * ```ts
 * import { sha256 } from "./stat_index.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(sha256("hello").slice(0, 8), "2cf24dba");
 * ```
 */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
