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
 * <dir>/v1/last/<job id>           the key last stored for a job (--explain, when the recent
 *                                  list, v1/memo/recent-*, has no entry the job last used)
 * <dir>/v1/packs/                  entries from the remote cache, as downloaded (pack.ts)
 * <dir>/v1/index.json              the stat index of the project's files
 * <dir>/v1/stats.json              the last run's hits and misses
 * ```
 *
 * @module
 */

import { join } from "../deps/path.ts";
import type { HasherSource } from "./hash.ts";
import {
  CorruptEntryError,
  DamagedBlobError,
  isManifest,
  type LogLine,
  type Manifest,
} from "./entry.ts";
import { writeAtomic } from "./atomic.ts";
import { Packs } from "./pack.ts";
import { isFolder, readFileOnly, readTextFileOnly } from "../file_kind.ts";

/**
 * Where an entry's blobs are read from: the store's blob files, or the pack
 * that holds the entry, or the artifact just downloaded.
 */
export interface BlobSource {
  /** Checks a blob file as it is copied. */
  readonly hasher: HasherSource;
  /**
   * The file that holds a blob, when it is one (it is copied, not read whole).
   *
   * @param hash The blob's hash.
   * @returns Its path, or `undefined`.
   */
  file(hash: string): string | undefined;
  /**
   * A blob's bytes, checked against its hash.
   *
   * @param hash The blob's hash.
   * @returns The bytes.
   * @throws {DamagedBlobError} When it is missing or damaged.
   */
  bytes(hash: string): Promise<Uint8Array>;
}

/** Files smaller than this are stored and restored with one synchronous read and write. */
export const SMALL_FILE_BYTES: number = 64 * 1024;

/** Logs and results larger than this go to a blob. */
const INLINE_BYTES = 64 * 1024;
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
  #packs: Packs;
  /**
   * Entry folders found missing this run (`""`: the whole `entries` folder): a
   * fresh store then costs one failed read, not one per job. An entry another
   * process writes there meanwhile is missed (a miss, never a wrong hit).
   */
  #absent = new Set<string>();

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
    this.#packs = new Packs(this.#root);
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
    if (this.#packs.has(key)) return this.#packs.manifest(key);
    const folder = key.slice(0, 2);
    if (this.#absent.has("") || this.#absent.has(folder)) return undefined;
    let text: string;
    try {
      text = readTextFileOnly(this.#entryPath(key));
    } catch (error) {
      // A file where a folder of the cache should be: nothing was stored there (the write says why).
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        const entries = join(this.#root, "entries");
        if (!isFolder(entries)) this.#absent.add("");
        else if (!isFolder(join(entries, folder))) this.#absent.add(folder);
        return undefined;
      }
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
    this.#absent.clear();
    writeAtomic(this.#entryPath(manifest.key), JSON.stringify(manifest));
    writeAtomic(join(this.#root, "last", lastId.slice(0, 2), lastId), manifest.key);
  }

  /**
   * Keep an entry downloaded from the remote cache, as its artifact (in this
   * run's pack: no new file per entry).
   *
   * @param manifest The entry's manifest, checked.
   * @param artifact The artifact it came in, checked.
   * @param lastId The job's stable id, to find this entry from its next run.
   */
  keep(manifest: Manifest, artifact: Uint8Array, lastId: string): void {
    this.#packs.add(manifest, artifact, lastId);
  }

  /**
   * The key last stored or kept for a job.
   *
   * @param lastId The job's stable id.
   * @returns The key, if any.
   */
  lastKey(lastId: string): string | undefined {
    const packed = this.#packs.lastKey(lastId);
    try {
      const path = join(this.#root, "last", lastId.slice(0, 2), lastId);
      const stored = (Deno.statSync(path).mtime?.getTime() ?? 0) >= (packed?.at ?? 0)
        ? readTextFileOnly(path)
        : packed!.key;
      return /^[0-9a-f]{64}$/.test(stored) ? stored : undefined;
    } catch {
      return packed?.key;
    }
  }

  /**
   * Mark an entry as used now (pruning drops the least recently used first).
   *
   * @param key The key.
   */
  touch(key: string): void {
    if (this.#packs.touch(key)) return;
    const now = new Date();
    try {
      Deno.utimeSync(this.#entryPath(key), now, now);
    } catch {
      // gone meanwhile, or read-only: it only affects pruning
    }
  }

  /**
   * Where the blobs of an entry are: blob files, else the pack that holds it.
   *
   * @param manifest The entry.
   * @param fresh Blobs just downloaded for it, used first.
   * @returns The entry's blobs.
   */
  blobsOf(manifest: Manifest, fresh?: ReadonlyMap<string, Uint8Array>): BlobSource {
    let packed: Promise<Map<string, Uint8Array> | undefined> | undefined;
    // An entry kept in a pack has no blob files: not looking for them saves two failed stats each.
    const inPack = fresh === undefined && this.#packs.has(manifest.key);
    return {
      hasher: this.hasher,
      file: (hash) =>
        fresh?.has(hash) || inPack || !this.hasBlob(hash) ? undefined : this.blobPath(hash),
      bytes: async (hash) => {
        const ready = fresh?.get(hash);
        if (ready !== undefined) return ready;
        if (!inPack) return await this.getBytes(hash);
        const bytes = (await (packed ??= this.#packs.blobs(manifest.key, this.hasher)))?.get(hash);
        if (bytes === undefined) throw new DamagedBlobError(hash, "is missing from its pack");
        return bytes;
      },
    };
  }

  /** The run is over: finish this run's pack and close the files kept open. */
  close(): void {
    this.#packs.close();
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
   * Remove a blob file that does not match its hash, so that the next run
   * that makes that content stores it again (a blob present is never
   * rewritten). A blob that matches, or is missing, is left as it is.
   *
   * @param hash The blob's hash.
   * @returns Whether a damaged blob was removed.
   */
  async dropDamagedBlob(hash: string): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(hash) || !this.hasBlob(hash)) return false;
    try {
      const digest = (await this.hasher()).stream();
      using file = await Deno.open(this.blobPath(hash));
      const buffer = new Uint8Array(1 << 20);
      for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
        digest.update(buffer.subarray(0, n));
      }
      if (digest.digest() === hash) return false;
      Deno.removeSync(this.blobPath(hash));
      return true;
    } catch {
      return false; // gone meanwhile, or read-only: the next restore says so again
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
   * A blob's bytes, checked against its hash.
   *
   * @param hash The blob's hash.
   * @returns The bytes.
   * @throws {DamagedBlobError} When it is missing or does not match its hash.
   */
  async getBytes(hash: string): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = readFileOnly(this.blobPath(hash));
    } catch {
      throw new DamagedBlobError(hash, "is missing");
    }
    if ((await this.hasher()).sha256(bytes) !== hash) {
      throw new DamagedBlobError(hash, "does not match its hash");
    }
    return bytes;
  }

  /**
   * Store a file as a blob, reading it once: its hash and size.
   *
   * @param path The file.
   * @param signal Stops a large file's copy midway (the blob is not stored).
   * @returns Its hash and size.
   */
  async putFile(path: string, signal?: AbortSignal): Promise<{ hash: string; size: number }> {
    if (Deno.statSync(path).size < SMALL_FILE_BYTES) {
      // Read and written at once: for small files, asynchronous opens, reads and writes cost
      // more than the copy itself.
      const bytes = Deno.readFileSync(path);
      if (bytes.length < SMALL_FILE_BYTES) {
        const hash = await this.putBytes(bytes);
        return { hash, size: bytes.length };
      }
    }
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
        signal?.throwIfAborted();
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
 * @param blobs Where the entry's blobs are ({@linkcode LocalStore.blobsOf}).
 * @param manifest The manifest.
 * @returns The log lines and the encoded result.
 * @throws {DamagedBlobError} When a blob is missing or damaged.
 */
export async function unpackLogAndResult(
  blobs: BlobSource,
  manifest: Manifest,
): Promise<{ lines: LogLine[]; result: string }> {
  const decoder = new TextDecoder();
  const lines = "lines" in manifest.log
    ? manifest.log.lines
    : JSON.parse(decoder.decode(await blobs.bytes(manifest.log.blob))) as LogLine[];
  const result = "value" in manifest.result
    ? manifest.result.value
    : decoder.decode(await blobs.bytes(manifest.result.blob));
  return { lines, result };
}
