/**
 * A cache entry as one remote artifact: a tar archive (`tar.ts`), compressed
 * with zstd when it is larger than 8 KiB, holding exactly
 *
 * ```
 * manifest.json        the entry's manifest, as the local store keeps it
 * outputs/<path>       each output file, at its path relative to the project root
 * blobs/<hash>         a log or result too large to sit in the manifest
 * ```
 *
 * An output that is a symbolic link is in the manifest alone (`links`: its
 * path and target), never a link in the archive: the tar reader takes
 * regular files only.
 *
 * A small artifact is the plain tar: zstd costs about 40 µs a call here
 * whatever the size (most of a small remote hit's unpacking), and saves a few
 * KiB on a request whose time is its round trip.
 *
 * Unpacking checks everything before anything is written: the archive's
 * framing and entries (zlib's zstd returns what it could decode of a
 * truncated frame without an error: the tar end marker catches that), the manifest (its key must be the one asked for; its
 * links must stay inside the project, with nothing under them), and
 * the content of every file against the hash and size the manifest gives. An
 * archive that holds anything else, or lacks anything, is refused whole.
 *
 * @module
 */

import { promisify } from "node:util";
import * as zlib from "node:zlib";
import type { Hasher } from "./hash.ts";
import { isManifest, type Manifest } from "./entry.ts";
import { checkLinks, UnsafeLinkError } from "./links.ts";
import type { BlobSource } from "./store.ts";
import { packTar, safeArchivePath, type TarFile, unpackTar, UnsafeArchiveError } from "./tar.ts";

export { UnsafeArchiveError };

/** Limits of {@linkcode unpackEntry}. */
export interface UnpackLimits {
  /** Most bytes once decompressed. @default {1 GiB} */
  maxBytes?: number;
}

/** A checked artifact: its manifest and every blob it names, by hash. */
export interface UnpackedEntry {
  /** The manifest. */
  manifest: Manifest;
  /** The blobs (output files, a large log or result), by content hash. */
  blobs: Map<string, Uint8Array>;
}

/** Bodies larger than this are (de)compressed off the main thread, when zlib can. */
const ASYNC_BYTES = 1 << 20;
/** Archives up to this size are sent as they are, without zstd. */
const PLAIN_BYTES = 8 << 10;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const USTAR_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72]; // "ustar", at byte 257 of a tar header
const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Pack a stored entry into an artifact.
 *
 * @param blobs Where its blobs are (`LocalStore.blobsOf`).
 * @param manifest The entry.
 * @returns The artifact's bytes.
 * @throws {DamagedBlobError} When a blob is missing or damaged.
 *
 * @example Usage
 * ```ts
 * import { packEntry, unpackEntry } from "./archive.ts";
 * import { lazyHasher } from "./hash.ts";
 * import type { Manifest } from "./entry.ts";
 * import { LocalStore } from "./store.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const store = new LocalStore(await Deno.makeTempDir(), lazyHasher());
 * const hash = await store.putBytes(new TextEncoder().encode("int main;"));
 * const manifest: Manifest = {
 *   version: 1, key: "a".repeat(64), job: "compile", createdAt: 0, durationMs: 5,
 *   parts: { tool: "t", job: "compile", code: "c", context: {}, options: "o", files: [], env: [], deps: [] },
 *   outputs: [{ path: "build/main.c", hash, mode: 0o644, size: 9 }],
 *   log: { lines: [["stdout", "ok"]] }, result: { value: "42" },
 * };
 * const artifact = await packEntry(store.blobsOf(manifest), manifest);
 * const entry = await unpackEntry(artifact, manifest.key, await store.hasher());
 * assertEquals(entry.manifest, manifest);
 * assertEquals(entry.blobs.get(hash), new TextEncoder().encode("int main;"));
 * ```
 */
export async function packEntry(blobs: BlobSource, manifest: Manifest): Promise<Uint8Array> {
  const files: TarFile[] = [{
    path: "manifest.json",
    data: encoder.encode(JSON.stringify(manifest)),
  }];
  for (const output of manifest.outputs) {
    files.push({ path: `outputs/${output.path}`, data: await blobs.bytes(output.hash) });
  }
  for (const hash of extraBlobs(manifest)) {
    files.push({ path: `blobs/${hash}`, data: await blobs.bytes(hash) });
  }
  const tar = packTar(files);
  if (tar.length <= PLAIN_BYTES) return tar;
  // The size known in advance lets zstd size its tables to the input: small artifacts compress 4× faster.
  const options = {
    pledgedSrcSize: tar.length,
    params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 },
  };
  return tar.length > ASYNC_BYTES
    ? new Uint8Array(await zstdCompress(tar, options))
    : new Uint8Array(zlib.zstdCompressSync(tar, options));
}

/**
 * Check an artifact and take it apart, writing nothing.
 *
 * @param body The artifact's bytes, as downloaded.
 * @param key The key it was asked for.
 * @param hasher Checks every file against the manifest.
 * @param limits Most bytes once decompressed.
 * @returns The manifest and the blobs.
 * @throws {UnsafeArchiveError} When it is damaged, unsafe, for another key, or
 * does not hold exactly what its manifest names with the right content.
 */
export async function unpackEntry(
  body: Uint8Array,
  key: string,
  hasher: Hasher,
  limits: UnpackLimits = {},
): Promise<UnpackedEntry> {
  const maxBytes = limits.maxBytes ?? 1 << 30;
  const tar = isPlainTar(body) ? body : await decompress(body, maxBytes);
  const files = new Map(unpackTar(tar, { maxBytes }).map((file) => [file.path, file.data]));
  const manifest = readManifest(files.get("manifest.json"), key);
  const blobs = new Map<string, Uint8Array>();
  const expected = new Set(["manifest.json"]);
  const take = (path: string, hash: string, size?: number) => {
    const data = files.get(path);
    if (data === undefined) throw new UnsafeArchiveError(`${path} is missing`);
    if ((size !== undefined && data.length !== size) || hasher.sha256(data) !== hash) {
      throw new UnsafeArchiveError(`${path} does not match the manifest's hash`);
    }
    expected.add(path);
    blobs.set(hash, data);
  };
  for (const output of manifest.outputs) take(`outputs/${output.path}`, output.hash, output.size);
  for (const hash of extraBlobs(manifest)) take(`blobs/${hash}`, hash);
  for (const path of files.keys()) {
    if (!expected.has(path)) {
      throw new UnsafeArchiveError(`unexpected entry ${JSON.stringify(path)}`);
    }
  }
  return { manifest, blobs };
}

/** A small artifact: a plain tar archive, as `packEntry` sends one up to 8 KiB. */
function isPlainTar(body: Uint8Array): boolean {
  return body.length >= 1024 && body.length <= PLAIN_BYTES && body.length % 512 === 0 &&
    USTAR_MAGIC.every((byte, i) => body[257 + i] === byte);
}

/** The tar archive inside a zstd-compressed artifact. */
async function decompress(body: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  if (body.length < 4 || ZSTD_MAGIC.some((byte, i) => body[i] !== byte)) {
    throw new UnsafeArchiveError("neither a tar nor a zstd archive");
  }
  try {
    const options = { maxOutputLength: maxBytes };
    return body.length > ASYNC_BYTES / 4
      ? new Uint8Array(await zstdDecompress(body, options))
      : new Uint8Array(zlib.zstdDecompressSync(body, options));
  } catch (error) {
    throw new UnsafeArchiveError(`cannot decompress (${(error as Error).message}): truncated?`);
  }
}

/** The manifest of an artifact, checked beyond what the local store checks. */
function readManifest(data: Uint8Array | undefined, key: string): Manifest {
  if (data === undefined) throw new UnsafeArchiveError("manifest.json is missing");
  let manifest: unknown;
  try {
    manifest = JSON.parse(decoder.decode(data));
  } catch {
    throw new UnsafeArchiveError("manifest.json is not JSON");
  }
  if (!isManifest(manifest, key)) {
    const other = (manifest as Manifest | null)?.key;
    throw new UnsafeArchiveError(
      typeof other === "string" && other !== key
        ? `the manifest is for another key (${other.slice(0, 12)})`
        : "manifest.json is not a manifest",
    );
  }
  const paths = new Set<string>();
  for (const output of manifest.outputs) {
    safeArchivePath(output.path);
    if (!HASH.test(output.hash)) throw new UnsafeArchiveError("an output has a bad hash");
    if (!Number.isInteger(output.mode) || output.mode < 0 || output.mode > 0o777) {
      throw new UnsafeArchiveError(`output ${JSON.stringify(output.path)} has a bad mode`);
    }
    if (!Number.isSafeInteger(output.size) || output.size < 0) {
      throw new UnsafeArchiveError(`output ${JSON.stringify(output.path)} has a bad size`);
    }
    if (paths.has(output.path)) throw new UnsafeArchiveError("an output is listed twice");
    paths.add(output.path);
  }
  for (const link of manifest.links ?? []) {
    safeArchivePath(link.path);
    if (paths.has(link.path)) throw new UnsafeArchiveError("an output is listed twice");
    paths.add(link.path);
  }
  try {
    checkLinks(manifest.outputs.map((output) => output.path), manifest.links ?? []);
  } catch (error) {
    if (!(error instanceof UnsafeLinkError)) throw error;
    throw new UnsafeArchiveError(error.message);
  }
  for (const hash of extraBlobs(manifest)) {
    if (!HASH.test(hash)) throw new UnsafeArchiveError("the log or result has a bad hash");
  }
  return manifest;
}

const HASH = /^[0-9a-f]{64}$/;

/** The blobs a manifest names besides its outputs: a large log, a large result. */
function extraBlobs(manifest: Manifest): string[] {
  const hashes: string[] = [];
  if ("blob" in manifest.log) hashes.push(manifest.log.blob);
  if ("blob" in manifest.result && !hashes.includes(manifest.result.blob)) {
    hashes.push(manifest.result.blob);
  }
  return hashes;
}
