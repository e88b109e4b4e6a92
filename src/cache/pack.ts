/**
 * Entries from the remote cache, kept as they were downloaded: each run
 * appends the artifacts it fetched to one file of its own, a *pack*, rather
 * than unpacking each into a manifest, a blob per file and a "last" pointer.
 * On a busy disk a new file costs about a millisecond and a write to an open
 * one a few microseconds: a run that restores 1,000 jobs from the remote
 * cache creates one file in the store instead of 3,000.
 *
 * ```
 * <dir>/v1/packs/<id>.pack   records, appended: a header line, the manifest (JSON), the artifact
 * <dir>/v1/packs/<id>.idx    the records' places, written when the run ends
 * ```
 *
 * A header reads `gpk1 <key> <job's last id> <ms since the epoch> <manifest
 * bytes> <artifact bytes>`. A pack without its index (a run that was killed),
 * or whose index does not match its size (a run still writing), is read
 * record by record; a record cut short is ignored. Two runs sharing a store
 * each write their own pack. An artifact is checked again (every file
 * against its hash) each time its files are read.
 *
 * @module
 */

import { join } from "../deps/path.ts";
import { readTextFileOnly } from "../file_kind.ts";
import { lazy } from "../lazy.ts";
import type { HasherSource } from "./hash.ts";
import { writeAtomic } from "./atomic.ts";
import { CorruptEntryError, isManifest, type Manifest } from "./entry.ts";

/** Where one entry is in a pack. */
interface PackRecord {
  /** The pack file. */
  pack: string;
  /** The key. */
  key: string;
  /** The job's last id (for `--explain`). */
  lastId: string;
  /** When it was kept, ms since the epoch. */
  at: number;
  /** Where its manifest starts. */
  offset: number;
  /** The manifest's bytes. */
  manifestBytes: number;
  /** The artifact's bytes (it follows the manifest). */
  artifactBytes: number;
}

/** The pack this run writes. */
interface Writer {
  path: string;
  file: Deno.FsFile;
  size: number;
  records: PackRecord[];
}

const MAGIC = "gpk1";
/** Packs beyond this many are merged into one when a run ends. */
const MERGE_ABOVE = 16;
/** A pack without its index is left alone this long (its run may still be writing it), in ms. */
const UNFINISHED_MS = 3600_000;
const HEADER_MAX = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The packs of a cache folder.
 *
 * @example Usage
 * ```ts
 * import { Packs } from "./pack.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const packs = new Packs(await Deno.makeTempDir());
 * assertEquals(packs.manifest("0".repeat(64)), undefined);
 * packs.close();
 * ```
 */
export class Packs {
  #dir: string;
  #records: Map<string, PackRecord> | undefined;
  #writer: Writer | undefined;
  #readers = new Map<string, Deno.FsFile>();
  /** The packs marked as used in this run (each once). */
  #touched = new Set<string>();

  /**
   * Open (reading nothing yet) the packs of a store.
   *
   * @param root The store's versioned folder (`<dir>/v1`).
   */
  constructor(root: string) {
    this.#dir = join(root, "packs");
  }

  /**
   * Keep a checked artifact, appended to this run's pack.
   *
   * @param manifest Its manifest.
   * @param artifact The artifact, as downloaded.
   * @param lastId The job's last id.
   */
  add(manifest: Manifest, artifact: Uint8Array, lastId: string): void {
    if (!/^[\w.-]+$/.test(lastId)) throw new Error(`bad job id ${JSON.stringify(lastId)}`);
    const writer = this.#writer ??= createPack(this.#dir);
    const json = encoder.encode(JSON.stringify(manifest));
    const kept = appendRecord(writer, {
      key: manifest.key,
      lastId,
      at: Date.now(),
      manifestBytes: json.length,
      artifactBytes: artifact.length,
    }, [json, artifact]);
    this.#all().set(kept.key, kept);
  }

  /**
   * Whether a pack has a key.
   *
   * @param key The key.
   * @returns `true` when one has it.
   */
  has(key: string): boolean {
    return this.#all().has(key);
  }

  /**
   * The manifest of a key kept in a pack.
   *
   * @param key The key.
   * @returns The manifest, or `undefined` when no pack has it.
   * @throws {CorruptEntryError} When its record cannot be read as a manifest.
   */
  manifest(key: string): Manifest | undefined {
    const record = this.#all().get(key);
    if (record === undefined) return undefined;
    let manifest: unknown;
    try {
      manifest = JSON.parse(
        decoder.decode(this.#read(record, record.offset, record.manifestBytes)),
      );
    } catch (error) {
      throw new CorruptEntryError(key, `its pack cannot be read: ${(error as Error).message}`);
    }
    if (!isManifest(manifest, key)) throw new CorruptEntryError(key, "not a manifest");
    return manifest;
  }

  /**
   * The files of a key kept in a pack, checked against their hashes.
   *
   * @param key The key.
   * @param hasher Checks them.
   * @returns The blobs by hash, or `undefined` when no pack has the key.
   * @throws {CorruptEntryError} When its artifact is damaged.
   */
  async blobs(key: string, hasher: HasherSource): Promise<Map<string, Uint8Array> | undefined> {
    const record = this.#all().get(key);
    if (record === undefined) return undefined;
    const { unpackEntry } = await lazy<typeof import("./archive.ts")>(
      new URL("./archive.ts", import.meta.url),
    );
    try {
      const artifact = this.#read(
        record,
        record.offset + record.manifestBytes,
        record.artifactBytes,
      );
      return (await unpackEntry(artifact, key, await hasher())).blobs;
    } catch (error) {
      throw new CorruptEntryError(
        key,
        `its pack holds a damaged artifact: ${(error as Error).message}`,
      );
    }
  }

  /**
   * The key a pack last kept for a job, and when.
   *
   * @param lastId The job's last id.
   * @returns The key and the time, if any.
   */
  lastKey(lastId: string): { key: string; at: number } | undefined {
    let last: PackRecord | undefined;
    for (const record of this.#all().values()) {
      if (record.lastId === lastId && (last === undefined || record.at > last.at)) last = record;
    }
    return last && { key: last.key, at: last.at };
  }

  /**
   * Mark the pack of a key as used now (pruning removes whole packs, least recently used first).
   *
   * @param key The key.
   * @returns Whether a pack has the key.
   */
  touch(key: string): boolean {
    const record = this.#all().get(key);
    if (record === undefined) return false;
    if (record.pack !== this.#writer?.path && !this.#touched.has(record.pack)) {
      this.#touched.add(record.pack);
      const now = new Date();
      try {
        Deno.utimeSync(record.pack, now, now);
      } catch {
        // removed meanwhile, or read-only: it only affects pruning
      }
    }
    return true;
  }

  /** How many entries the packs hold. */
  get size(): number {
    return this.#all().size;
  }

  /**
   * The run is over: write the index of its pack, and close every file.
   * Keeping more afterwards starts a new pack.
   */
  close(): void {
    for (const file of this.#readers.values()) file.close();
    this.#readers.clear();
    this.#touched.clear();
    const writer = this.#writer;
    if (writer === undefined) return;
    this.#writer = undefined;
    writer.file.close();
    writeIndex(writer);
  }

  /** Every record, loaded on first use: newer records of a key win. */
  #all(): Map<string, PackRecord> {
    if (this.#records !== undefined) return this.#records;
    const records = new Map<string, PackRecord>();
    let names: string[] = [];
    try {
      names = [...Deno.readDirSync(this.#dir)]
        .filter((entry) => entry.isFile && entry.name.endsWith(".pack"))
        .map((entry) => entry.name);
    } catch {
      // no pack yet
    }
    const found = names.flatMap((name) => readPack(join(this.#dir, name)));
    for (const record of found.sort((a, b) => a.at - b.at)) records.set(record.key, record);
    return this.#records = records;
  }

  #read(record: PackRecord, offset: number, length: number): Uint8Array {
    let file = this.#readers.get(record.pack);
    if (file === undefined) {
      file = Deno.openSync(record.pack, { read: true });
      this.#readers.set(record.pack, file);
    }
    return readAt(file, offset, length);
  }
}

/**
 * The entries of a cache folder's packs (for `gather cache status`).
 *
 * @param root The store's versioned folder (`<dir>/v1`).
 * @returns How many entries they hold.
 *
 * @example Usage
 * ```ts
 * import { packedEntries } from "./pack.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(packedEntries(await Deno.makeTempDir()), 0);
 * ```
 */
export function packedEntries(root: string): number {
  const packs = new Packs(root);
  const size = packs.size;
  packs.close();
  return size;
}

/**
 * Merge the packs of a store into one when there are many: each run that
 * restored entries from the remote cache leaves a pack, and reading many
 * indexes would cost every later run. Only finished packs are merged (their
 * index matches them, or they were left without one over an hour ago); an
 * entry kept twice is kept once. The merged pack keeps the newest time of
 * use among them, for pruning.
 *
 * @param root The store's versioned folder (`<dir>/v1`).
 * @param above Merge only when there are more packs than this.
 * @returns How many packs were merged into one (0 when none).
 *
 * @example Usage
 * ```ts
 * import { mergePacks } from "./pack.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(mergePacks(await Deno.makeTempDir()), 0);
 * ```
 */
export function mergePacks(root: string, above: number = MERGE_ABOVE): number {
  const dir = join(root, "packs");
  const finished: { path: string; records: PackRecord[]; mtime: number }[] = [];
  try {
    const packs = [...Deno.readDirSync(dir)].filter((entry) =>
      entry.isFile && entry.name.endsWith(".pack")
    );
    // Counted before any index is read: most runs end here.
    if (packs.length <= above) return 0;
    for (const entry of packs) {
      const path = join(dir, entry.name);
      const info = Deno.statSync(path);
      const mtime = info.mtime?.getTime() ?? 0;
      const records = fromIndex(path, info.size) ??
        (Date.now() - mtime > UNFINISHED_MS ? scan(path, info.size) : undefined);
      if (records !== undefined) finished.push({ path, records, mtime });
    }
  } catch {
    return 0;
  }
  if (finished.length <= above) return 0;
  const newest = new Map<string, PackRecord>();
  for (const record of finished.flatMap((pack) => pack.records).sort((a, b) => a.at - b.at)) {
    newest.set(record.key, record);
  }
  const writer = createPack(dir);
  const readers = new Map<string, Deno.FsFile>();
  try {
    for (const record of newest.values()) {
      let file = readers.get(record.pack);
      if (file === undefined) readers.set(record.pack, file = Deno.openSync(record.pack));
      appendRecord(writer, record, [
        readAt(file, record.offset, record.manifestBytes + record.artifactBytes),
      ]);
    }
  } finally {
    for (const file of readers.values()) file.close();
    writer.file.close();
  }
  writeIndex(writer);
  const used = new Date(Math.max(...finished.map((pack) => pack.mtime)));
  Deno.utimeSync(writer.path, used, used);
  for (const { path } of finished) {
    for (const file of [path, indexOf(path)]) {
      try {
        Deno.removeSync(file);
      } catch {
        // already gone
      }
    }
  }
  return finished.length;
}

/**
 * The entries of one pack file.
 *
 * @param pack The pack's path.
 * @returns How many it holds (0 when it cannot be read).
 *
 * @example Usage
 * ```ts
 * import { entriesInPack } from "./pack.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(entriesInPack("/nowhere/a.pack"), 0);
 * ```
 */
export function entriesInPack(pack: string): number {
  return readPack(pack).length;
}

/**
 * The index file of a pack.
 *
 * @param pack The pack's path.
 * @returns Its index's path.
 *
 * @example Usage
 * ```ts
 * import { indexOf } from "./pack.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(indexOf("/c/v1/packs/a.pack"), "/c/v1/packs/a.idx");
 * ```
 */
export function indexOf(pack: string): string {
  return pack.replace(/\.pack$/, ".idx");
}

/** Start a new pack, named so that two processes never pick the same one. */
function createPack(dir: string): Writer {
  Deno.mkdirSync(dir, { recursive: true });
  const name = `${Date.now().toString(36)}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const path = join(dir, `${name}.pack`);
  const file = Deno.openSync(path, { write: true, createNew: true });
  return { path, file, size: 0, records: [] };
}

/**
 * Append a record (its header line, then its manifest and artifact, in one
 * write) to a pack being written.
 */
function appendRecord(
  writer: Writer,
  fields: Omit<PackRecord, "pack" | "offset">,
  body: readonly Uint8Array[],
): PackRecord {
  const { key, lastId, at, manifestBytes, artifactBytes } = fields;
  const header = encoder.encode(
    `${MAGIC} ${key} ${lastId} ${at} ${manifestBytes} ${artifactBytes}\n`,
  );
  const bytes = new Uint8Array(header.length + manifestBytes + artifactBytes);
  let end = 0;
  for (const part of [header, ...body]) {
    bytes.set(part, end);
    end += part.length;
  }
  for (let done = 0; done < bytes.length;) done += writer.file.writeSync(bytes.subarray(done));
  const record = { ...fields, pack: writer.path, offset: writer.size + header.length };
  writer.size += bytes.length;
  writer.records.push(record);
  return record;
}

/** Write the index of a finished pack. */
function writeIndex(writer: Writer): void {
  const records = writer.records.map((r) =>
    [r.key, r.lastId, r.at, r.offset, r.manifestBytes, r.artifactBytes] as const
  );
  writeAtomic(indexOf(writer.path), JSON.stringify({ version: 1, size: writer.size, records }));
}

/** A pack's records: from its index when it matches the pack's size, else read one by one. */
function readPack(path: string): PackRecord[] {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch {
    return [];
  }
  return fromIndex(path, size) ?? scan(path, size);
}

function fromIndex(path: string, size: number): PackRecord[] | undefined {
  try {
    const index = JSON.parse(readTextFileOnly(indexOf(path)));
    if (index?.version !== 1 || index.size !== size || !Array.isArray(index.records)) {
      return undefined;
    }
    const records: PackRecord[] = [];
    for (const [key, lastId, at, offset, manifestBytes, artifactBytes] of index.records) {
      const record = { pack: path, key, lastId, at, offset, manifestBytes, artifactBytes };
      if (!plausible(record, size)) return undefined;
      records.push(record);
    }
    return records;
  } catch {
    return undefined;
  }
}

/** Read a pack's headers one by one, up to the first record that is cut short or damaged. */
function scan(path: string, size: number): PackRecord[] {
  const records: PackRecord[] = [];
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return records;
  }
  try {
    for (let at = 0; at < size;) {
      const head = readAt(file, at, Math.min(HEADER_MAX, size - at));
      const end = head.indexOf(10);
      if (end < 0) break;
      const [magic, key, lastId, time, manifestBytes, artifactBytes, ...rest] = decoder
        .decode(head.subarray(0, end)).split(" ");
      const record = {
        pack: path,
        key: key ?? "",
        lastId: lastId ?? "",
        at: Number(time),
        offset: at + end + 1,
        manifestBytes: Number(manifestBytes),
        artifactBytes: Number(artifactBytes),
      };
      if (magic !== MAGIC || rest.length > 0 || !plausible(record, size)) break;
      records.push(record);
      at = record.offset + record.manifestBytes + record.artifactBytes;
    }
  } catch {
    // unreadable from here on: keep what was read
  } finally {
    file.close();
  }
  return records;
}

function plausible(record: PackRecord, size: number): boolean {
  return /^[0-9a-f]{64}$/.test(record.key) && /^[\w.-]+$/.test(record.lastId) &&
    [record.at, record.offset, record.manifestBytes, record.artifactBytes].every((n) =>
      Number.isSafeInteger(n) && n >= 0
    ) && record.offset + record.manifestBytes + record.artifactBytes <= size;
}

function readAt(file: Deno.FsFile, offset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  file.seekSync(offset, Deno.SeekMode.Start);
  for (let at = 0; at < length;) {
    const n = file.readSync(bytes.subarray(at));
    if (n === null) throw new Error("the pack ends early");
    at += n;
  }
  return bytes;
}
