/**
 * The local cache store: a manifest per key, and blobs by content hash, so
 * identical outputs are stored once. Every write goes to a temporary file in
 * the same folder, then is renamed into place: two gather processes sharing
 * the store never see half an entry, and a crash leaves no half-written one.
 * A manifest is written last, after every blob it names.
 *
 * ```
 * <dir>/v1/entries/ab/<key>.json   manifests
 * <dir>/v1/blobs/cd/<hash>         output files, large logs and results
 * <dir>/v1/last/<job id>           the key last stored for a job (for --explain)
 * <dir>/v1/index.json              the stat index of the project's files
 * <dir>/v1/stats.json              the last run's hits and misses
 * ```
 *
 * @module
 */

import { join } from "../deps/path.ts";
import { type HasherSource, nameFor } from "./hash.ts";
import type { KeyParts } from "./key.ts";

/** One output file of an entry. */
export interface OutputFile {
  /** Its path, relative to the project root. */
  path: string;
  /** The SHA-256 of its content. */
  hash: string;
  /** Its permission bits (the executable bit matters). */
  mode: number;
  /** Its size in bytes. */
  size: number;
}

/** A log line: where it came from, and its text. */
export type LogLine = ["log" | "stdout" | "stderr", string];

/** A cache entry's description. */
export interface Manifest {
  /** The manifest format. */
  version: 1;
  /** The key. */
  key: string;
  /** The job. */
  job: string;
  /** When it was stored, ms since the epoch. */
  createdAt: number;
  /** How long the job ran. */
  durationMs: number;
  /** What the key is made of. */
  parts: KeyParts;
  /** The files it made. */
  outputs: OutputFile[];
  /** Its log: the lines, or the blob that holds them (as JSON) when they are many. */
  log: { lines: LogLine[] } | { blob: string; count: number };
  /** Its result, encoded: inline, or in a blob when large. */
  result: { value: string } | { blob: string };
}

/** Logs and results larger than this go to a blob. */
const INLINE_BYTES = 64 * 1024;

/** An entry that exists but cannot be used. */
export class CorruptEntryError extends Error {
  /**
   * Construct it.
   *
   * @param key The entry's key.
   * @param why What is wrong.
   */
  constructor(key: string, why: string) {
    super(`cache entry ${key.slice(0, 12)} is damaged (${why})`);
    this.name = "CorruptEntryError";
  }
}

/**
 * A cache folder.
 *
 * @example Usage
 * ```ts
 * import { LocalStore } from "./store.ts";
 * import { lazyHasher } from "./hash.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const store = new LocalStore(await Deno.makeTempDir(), lazyHasher());
 * const hash = await store.putBytes(new TextEncoder().encode("dist/app.js"));
 * assertEquals(new TextDecoder().decode(await store.getBytes(hash)), "dist/app.js");
 * assertEquals(store.read("0".repeat(64)), undefined);
 * ```
 */
export class LocalStore {
  /** The cache folder. */
  readonly dir: string;
  /** Hashes what is stored. */
  readonly hasher: HasherSource;
  #root: string;

  /**
   * Open (without creating anything yet) a cache folder.
   *
   * @param dir The folder.
   * @param hasher Hashes blobs as they are stored and read.
   */
  constructor(dir: string, hasher: HasherSource) {
    this.dir = dir;
    this.hasher = hasher;
    this.#root = join(dir, "v1");
  }

  /** Where the stat index lives. */
  get indexPath(): string {
    return join(this.#root, "index.json");
  }

  /**
   * Where something gather remembers between runs lives (not an entry).
   *
   * @param name Its name.
   * @returns Its path.
   */
  memoPath(name: string): string {
    return join(this.#root, "memo", `${name}.json`);
  }

  /**
   * The manifest of a key.
   *
   * @param key The key.
   * @returns The manifest, or `undefined` when there is none.
   * @throws {CorruptEntryError} When there is one that cannot be read as a manifest.
   */
  read(key: string): Manifest | undefined {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.#entryPath(key));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw new CorruptEntryError(key, (error as Error).message);
    }
    let manifest: Manifest;
    try {
      manifest = JSON.parse(text);
    } catch {
      throw new CorruptEntryError(key, "not JSON");
    }
    if (!isManifest(manifest, key)) throw new CorruptEntryError(key, "not a manifest");
    return manifest;
  }

  /**
   * Whether an entry exists (without reading it).
   *
   * @param key The key.
   * @returns `true` when it does.
   */
  hasEntry(key: string): boolean {
    try {
      return Deno.statSync(this.#entryPath(key)).isFile;
    } catch {
      return false;
    }
  }

  /**
   * Store a manifest; its blobs must be stored already.
   *
   * @param manifest The manifest.
   * @param lastId The job's stable id, to find this entry from its next run.
   */
  write(manifest: Manifest, lastId: string): void {
    writeAtomic(this.#entryPath(manifest.key), JSON.stringify(manifest));
    writeAtomic(join(this.#root, "last", lastId.slice(0, 2), lastId), manifest.key);
  }

  /**
   * The key last stored for a job.
   *
   * @param lastId The job's stable id.
   * @returns The key, if any.
   */
  lastKey(lastId: string): string | undefined {
    try {
      const key = Deno.readTextFileSync(join(this.#root, "last", lastId.slice(0, 2), lastId));
      return /^[0-9a-f]{64}$/.test(key) ? key : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Mark an entry as used now (pruning drops the least recently used first).
   *
   * @param key The key.
   */
  touch(key: string): void {
    const now = new Date();
    try {
      Deno.utimeSync(this.#entryPath(key), now, now);
    } catch {
      // gone meanwhile, or read-only: it only affects pruning
    }
  }

  /**
   * Where a blob is.
   *
   * @param hash The blob's hash.
   * @returns Its path.
   */
  blobPath(hash: string): string {
    return join(this.#root, "blobs", hash.slice(0, 2), hash);
  }

  /**
   * Whether a blob is stored.
   *
   * @param hash The blob's hash.
   * @returns `true` when it is.
   */
  hasBlob(hash: string): boolean {
    try {
      return Deno.statSync(this.blobPath(hash)).isFile;
    } catch {
      return false;
    }
  }

  /**
   * Store bytes as a blob.
   *
   * @param bytes The bytes.
   * @returns Their hash.
   */
  async putBytes(bytes: Uint8Array): Promise<string> {
    const hash = (await this.hasher()).sha256(bytes);
    if (!this.hasBlob(hash)) writeAtomic(this.blobPath(hash), bytes);
    return hash;
  }

  /**
   * Store bytes whose hash the caller has just computed. Small blobs are
   * written at once (a synchronous write of a few KiB costs half what an
   * asynchronous one does), without asking first whether they are there (a
   * blob that is not costs a thrown NotFound; one that is is replaced by the
   * same bytes); large ones are written without blocking the event loop.
   *
   * @param hash Their SHA-256 (not checked again).
   * @param bytes The bytes.
   */
  async putHashedBytes(hash: string, bytes: Uint8Array): Promise<void> {
    if (bytes.length < 1 << 16) writeAtomic(this.blobPath(hash), bytes);
    else if (this.hasBlob(hash)) return;
    else if (bytes.length < 1 << 20) writeAtomic(this.blobPath(hash), bytes);
    else await writeAtomicAsync(this.blobPath(hash), bytes);
  }

  /**
   * A blob's bytes, checked against its hash.
   *
   * @param hash The blob's hash.
   * @returns The bytes.
   * @throws {CorruptEntryError} When it is missing or does not match its hash.
   */
  async getBytes(hash: string): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(this.blobPath(hash));
    } catch {
      throw new CorruptEntryError(hash, "a blob is missing");
    }
    if ((await this.hasher()).sha256(bytes) !== hash) {
      throw new CorruptEntryError(hash, "a blob does not match its hash");
    }
    return bytes;
  }

  /**
   * Store a file as a blob, reading it once: its hash and size.
   *
   * @param path The file.
   * @returns Its hash and size.
   */
  async putFile(path: string): Promise<{ hash: string; size: number }> {
    const folder = join(this.#root, "blobs", "tmp");
    Deno.mkdirSync(folder, { recursive: true });
    const temporary = join(folder, `${Deno.pid}-${crypto.randomUUID()}`);
    const hash = (await this.hasher()).stream();
    let size = 0;
    try {
      using source = await Deno.open(path);
      using target = await Deno.open(temporary, { write: true, createNew: true });
      const buffer = new Uint8Array(1 << 20);
      for (let n = await source.read(buffer); n !== null; n = await source.read(buffer)) {
        const chunk = buffer.subarray(0, n);
        hash.update(chunk);
        for (let at = 0; at < n;) at += await target.write(chunk.subarray(at));
        size += n;
      }
      const digest = hash.digest();
      if (this.hasBlob(digest)) {
        Deno.removeSync(temporary);
      } else {
        Deno.mkdirSync(join(this.#root, "blobs", digest.slice(0, 2)), { recursive: true });
        Deno.renameSync(temporary, this.blobPath(digest));
      }
      return { hash: digest, size };
    } catch (error) {
      try {
        Deno.removeSync(temporary);
      } catch {
        // already gone
      }
      throw error;
    }
  }

  #entryPath(key: string): string {
    return join(this.#root, "entries", key.slice(0, 2), `${key}.json`);
  }
}

/**
 * Store log lines and an encoded result, inline or as blobs by size.
 *
 * @param store The store.
 * @param lines The log lines.
 * @param result The encoded result.
 * @returns The manifest's `log` and `result` fields.
 */
export async function packLogAndResult(
  store: LocalStore,
  lines: LogLine[],
  result: string,
): Promise<Pick<Manifest, "log" | "result">> {
  const encoder = new TextEncoder();
  const logText = JSON.stringify(lines);
  const log = logText.length > INLINE_BYTES
    ? { blob: await store.putBytes(encoder.encode(logText)), count: lines.length }
    : { lines };
  const value = result.length > INLINE_BYTES
    ? { blob: await store.putBytes(encoder.encode(result)) }
    : { value: result };
  return { log, result: value };
}

/**
 * Read back what {@linkcode packLogAndResult} stored.
 *
 * @param store The store.
 * @param manifest The manifest.
 * @returns The log lines and the encoded result.
 * @throws {CorruptEntryError} When a blob is missing or damaged.
 */
export async function unpackLogAndResult(
  store: LocalStore,
  manifest: Manifest,
): Promise<{ lines: LogLine[]; result: string }> {
  const decoder = new TextDecoder();
  const lines = "lines" in manifest.log
    ? manifest.log.lines
    : JSON.parse(decoder.decode(await store.getBytes(manifest.log.blob))) as LogLine[];
  const result = "value" in manifest.result
    ? manifest.result.value
    : decoder.decode(await store.getBytes(manifest.result.blob));
  return { lines, result };
}

/**
 * Write a file atomically: to a temporary file in the same folder, then renamed.
 *
 * @param path The file.
 * @param data Its content.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const folder = path.slice(0, path.lastIndexOf("/"));
  Deno.mkdirSync(folder, { recursive: true });
  const temporary = `${path}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") Deno.writeTextFileSync(temporary, data);
    else Deno.writeFileSync(temporary, data);
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // never made
    }
    throw error;
  }
}

/**
 * {@linkcode writeAtomic}, without blocking the event loop.
 *
 * @param path The file.
 * @param data Its content.
 */
export async function writeAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const temporary = `${path}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(temporary, data);
    else await Deno.writeFile(temporary, data);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/**
 * Whether a parsed value is a manifest of a key (the checks a stored one gets).
 *
 * @param value The value.
 * @param key The key it must be for.
 * @returns `true` when it is.
 *
 * @example Usage
 * ```ts
 * import { isManifest } from "./store.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isManifest({ version: 1, key: "k" }, "k"), false); // no job, outputs, ...
 * ```
 */
export function isManifest(value: unknown, key: string): value is Manifest {
  const m = value as Manifest;
  return typeof m === "object" && m !== null && m.version === 1 && m.key === key &&
    typeof m.job === "string" && Array.isArray(m.outputs) && typeof m.parts === "object" &&
    m.parts !== null && typeof m.log === "object" && m.log !== null &&
    typeof m.result === "object" && m.result !== null &&
    m.outputs.every((o) =>
      typeof o?.path === "string" && typeof o.hash === "string" && typeof o.mode === "number"
    );
}

/** An entry as the recent list keeps it: its manifest, and when it was last marked as used. */
interface Recent {
  manifest: Manifest;
  touched: number;
}

/** A job's last key and the canonical parts it was the hash of. */
interface JobKey {
  key: string;
  parts: string;
}

const EMPTY_PARTS: KeyParts = Object.freeze({
  tool: "",
  job: "",
  code: "",
  context: {},
  options: "",
  files: [],
  env: [],
  deps: [],
}) as unknown as KeyParts;

/** Entries are marked as used (for pruning) at most this often. */
const TOUCH_EVERY_MS = 24 * 3600 * 1000;

/**
 * The manifests one task file's last run used, in one file: a no-op run
 * reads one file instead of one per job. An entry found there is still
 * checked to exist in the store (pruning may have removed it).
 *
 * @example Usage
 * ```ts
 * import { LocalStore, RecentEntries } from "./store.ts";
 * import { lazyHasher } from "./hash.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const store = new LocalStore(await Deno.makeTempDir(), lazyHasher());
 * const recent = RecentEntries.open(store, "tasks.ts");
 * assertEquals(recent.read("0".repeat(64)), undefined);
 * recent.save();
 * ```
 */
export class RecentEntries {
  #store: LocalStore;
  #path: string;
  #old: Record<string, Recent>;
  #now = new Map<string, Recent>();
  #oldKeys: Record<string, JobKey>;
  #keys = new Map<string, JobKey>();
  #changed = false;

  private constructor(
    store: LocalStore,
    path: string,
    old: Record<string, Recent>,
    keys: Record<string, JobKey>,
  ) {
    this.#store = store;
    this.#path = path;
    this.#old = old;
    this.#oldKeys = keys;
  }

  /**
   * A job's key from the last run, when its parts are the same now.
   *
   * @param job The job's name.
   * @param parts Its canonical parts now.
   * @returns The key, or `undefined` when the parts differ (hash them).
   */
  lastKey(job: string, parts: string): string | undefined {
    const last = this.#oldKeys[job];
    if (last === undefined || last.parts !== parts || !/^[0-9a-f]{64}$/.test(last.key)) {
      return undefined;
    }
    this.#keys.set(job, last);
    return last.key;
  }

  /**
   * Remember a job's key and the parts it was hashed from.
   *
   * @param job The job's name.
   * @param key The key.
   * @param parts The canonical parts.
   */
  rememberKey(job: string, key: string, parts: string): void {
    this.#keys.set(job, { key, parts });
    this.#changed = true;
  }

  /**
   * Open the recent list of a task file.
   *
   * @param store The store.
   * @param id The task file's id (its path relative to the root).
   * @returns The list (empty when there is none, or it is damaged).
   */
  static open(store: LocalStore, id: string): RecentEntries {
    const path = store.memoPath(`recent-${nameFor(id)}`);
    try {
      const data = JSON.parse(Deno.readTextFileSync(path));
      if (
        data?.version === 2 && typeof data.entries === "object" && data.entries !== null &&
        typeof data.keys === "object" && data.keys !== null
      ) {
        return new RecentEntries(store, path, data.entries, data.keys);
      }
    } catch {
      // none yet, or damaged
    }
    return new RecentEntries(store, path, {}, {});
  }

  /**
   * The manifest of a key: from the list, else from the store. A manifest
   * from the list is used even if pruning removed its entry since: the key
   * is the same, so is what it describes (its blobs are checked as they are
   * used).
   *
   * @param key The key.
   * @returns The manifest, if any.
   * @throws {CorruptEntryError} When the store has one that cannot be read.
   */
  read(key: string): Manifest | undefined {
    const recent = this.#old[key];
    if (recent?.manifest?.key === key) {
      this.#now.set(key, recent);
      return recent.manifest;
    }
    const manifest = this.#store.read(key);
    if (manifest) {
      this.#now.set(key, { manifest, touched: 0 });
      this.#changed = true;
    }
    return manifest;
  }

  /**
   * Keep a manifest this run used or stored.
   *
   * @param manifest The manifest.
   * @param stored Whether it was just written (then it needs no marking).
   */
  use(manifest: Manifest, stored = false): void {
    const recent = this.#now.get(manifest.key);
    const now = Date.now();
    // Kept without its key parts (only --explain reads those, from the store).
    const slim = { ...manifest, parts: EMPTY_PARTS };
    if (stored) {
      this.#now.set(manifest.key, { manifest: slim, touched: now });
      this.#changed = true;
    } else if (recent === undefined || now - recent.touched > TOUCH_EVERY_MS) {
      this.#store.touch(manifest.key);
      this.#now.set(manifest.key, { manifest: slim, touched: now });
      this.#changed = true;
    }
  }

  /** Write the list of this run's entries, when it differs from the last one. */
  save(): void {
    if (
      !this.#changed && this.#now.size === Object.keys(this.#old).length &&
      this.#keys.size === Object.keys(this.#oldKeys).length
    ) {
      return;
    }
    writeAtomic(
      this.#path,
      JSON.stringify({
        version: 2,
        entries: Object.fromEntries(this.#now),
        keys: Object.fromEntries(this.#keys),
      }),
    );
  }
}
