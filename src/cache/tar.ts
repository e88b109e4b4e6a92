/**
 * A strict tar writer and reader for the remote cache's artifacts: regular
 * files only (ustar headers, PAX records for long paths), deterministic
 * (mtime, uid and gid 0), readable with `tar tv` (after `zstd -dc` for a
 * compressed artifact). The reader refuses the whole archive on the first
 * thing it does not expect (a path with `..`, `.` or an empty part, an
 * absolute path, a backslash, a control character, a duplicate, a link, a
 * folder, a device, a bad checksum, a truncation, data after the end marker,
 * too many entries or bytes): for a cache, anything odd means
 * "miss, nothing written". It never writes to disk itself.
 *
 * Written from the POSIX ustar and pax format descriptions.
 *
 * @module
 */

/** A file in an archive. */
export interface TarFile {
  /** Its path: relative, `/`-separated, normalized. */
  path: string;
  /** Its content. */
  data: Uint8Array;
}

/** An archive that is damaged, or holds something a cache artifact must not. */
export class UnsafeArchiveError extends Error {
  /**
   * Construct it.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "UnsafeArchiveError";
  }
}

/** Limits of {@linkcode unpackTar}. */
export interface TarLimits {
  /** Most files. @default {100000} */
  maxEntries?: number;
  /** Most bytes of file content in all. @default {1 GiB} */
  maxBytes?: number;
}

const BLOCK = 512;
const MAX_USTAR_SIZE = 0o77777777777;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const LINK_TYPES: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "5": "a folder",
  "6": "a FIFO",
  "7": "a contiguous file",
  L: "a GNU long name",
  K: "a GNU long link",
};

/**
 * Check that a path is relative and normalized, with no part that could lead
 * elsewhere.
 *
 * @param path The path.
 * @returns The path.
 * @throws {UnsafeArchiveError} When it is empty, absolute, has a `..`, `.` or
 * empty part, a backslash, a drive letter or a control character.
 *
 * @example Usage
 * ```ts
 * import { safeArchivePath } from "./tar.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(safeArchivePath("outputs/build/a.o"), "outputs/build/a.o");
 * assertThrows(() => safeArchivePath("outputs/../../etc/passwd"));
 * assertThrows(() => safeArchivePath("/etc/passwd"));
 * ```
 */
export function safeArchivePath(path: string): string {
  const quoted = () => JSON.stringify(path);
  if (path.length === 0 || path.length > 4096) throw new UnsafeArchiveError(`bad path ${quoted()}`);
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) {
    throw new UnsafeArchiveError(`absolute path ${quoted()}`);
  }
  if (path.includes("\\")) throw new UnsafeArchiveError(`backslash in path ${quoted()}`);
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) {
    throw new UnsafeArchiveError(`control character in ${quoted()}`);
  }
  for (const part of path.split("/")) {
    if (part === "" || part === "." || part === "..") {
      throw new UnsafeArchiveError(`path ${quoted()} is not normalized (it may leave its folder)`);
    }
  }
  return path;
}

/**
 * Write files into an uncompressed tar archive.
 *
 * @param files The files, in the order they are written.
 * @returns The archive.
 * @throws {UnsafeArchiveError} On an unsafe or duplicate path.
 *
 * @example Usage
 * ```ts
 * import { packTar, unpackTar } from "./tar.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const data = new TextEncoder().encode("hello");
 * const files = unpackTar(packTar([{ path: "a/b.txt", data }]));
 * assertEquals(files, [{ path: "a/b.txt", data }]);
 * ```
 */
export function packTar(files: readonly TarFile[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const path = safeArchivePath(file.path);
    if (seen.has(path)) throw new UnsafeArchiveError(`duplicate path ${JSON.stringify(path)}`);
    seen.add(path);
    const size = file.data.length;
    const nameBytes = encoder.encode(path).length;
    if (nameBytes > 100 || size > MAX_USTAR_SIZE) {
      let pax = "";
      if (nameBytes > 100) pax += paxRecord("path", path);
      if (size > MAX_USTAR_SIZE) pax += paxRecord("size", String(size));
      const record = encoder.encode(pax);
      chunks.push(header("PaxHeader", record.length, "x"), record, padding(record.length));
    }
    const short = nameBytes > 100 ? "long-name" : path;
    chunks.push(header(short, Math.min(size, MAX_USTAR_SIZE), "0"), file.data, padding(size));
  }
  chunks.push(new Uint8Array(BLOCK * 2));
  return concat(chunks);
}

/**
 * Read an archive written by {@linkcode packTar} (or any ustar or pax archive
 * that holds only regular files), refusing it whole on anything unexpected.
 *
 * @param tar The archive.
 * @param limits Most entries and bytes.
 * @returns Its files, in order.
 * @throws {UnsafeArchiveError} On a damaged, truncated or unsafe archive.
 */
export function unpackTar(tar: Uint8Array, limits: TarLimits = {}): TarFile[] {
  const maxEntries = limits.maxEntries ?? 100_000;
  const maxBytes = limits.maxBytes ?? 1 << 30;
  const files: TarFile[] = [];
  const seen = new Set<string>();
  let at = 0;
  let total = 0;
  let pax: Record<string, string> = {};
  for (;;) {
    if (at + BLOCK > tar.length) throw new UnsafeArchiveError("truncated archive (no end marker)");
    const block = tar.subarray(at, at + BLOCK);
    if (isZeros(block)) {
      // The end marker, and nothing but the zeros of padding after it.
      if (!isZeros(tar.subarray(at + BLOCK))) {
        throw new UnsafeArchiveError("data after the end of the archive");
      }
      break;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    if (sum !== readOctal(block, 148, 8)) {
      throw new UnsafeArchiveError(`bad header checksum at byte ${at}`);
    }
    const type = String.fromCharCode(block[156] || 0x30);
    const size = pax["size"] === undefined ? readOctal(block, 124, 12) : Number(pax["size"]);
    if (!Number.isSafeInteger(size) || size < 0) throw new UnsafeArchiveError("bad entry size");
    const start = at + BLOCK;
    if (start + size > tar.length) throw new UnsafeArchiveError("truncated entry");
    const data = tar.subarray(start, start + size);
    at = start + size + (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === "x") {
      pax = parsePax(data);
      continue;
    }
    if (type === "g") continue; // global PAX header: nothing we use
    let name = readString(block, 0, 100);
    const prefix = readString(block, 345, 155);
    if (prefix !== "" && readString(block, 257, 6) === "ustar") name = `${prefix}/${name}`;
    if (pax["path"] !== undefined) name = pax["path"];
    pax = {};
    if (type !== "0") {
      const what = LINK_TYPES[type] ?? `an entry of type ${JSON.stringify(type)}`;
      throw new UnsafeArchiveError(`refused ${what} (${JSON.stringify(name)})`);
    }
    const path = safeArchivePath(name);
    if (seen.has(path)) throw new UnsafeArchiveError(`duplicate path ${JSON.stringify(path)}`);
    seen.add(path);
    if (files.length >= maxEntries) throw new UnsafeArchiveError("too many entries");
    total += size;
    if (total > maxBytes) throw new UnsafeArchiveError("archive larger than the size limit");
    files.push({ path, data });
  }
  return files;
}

function isZeros(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function header(name: string, size: number, type: string): Uint8Array {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, 0); // mtime: fixed, so archives are reproducible
  block.fill(0x20, 148, 156);
  writeString(block, 156, 1, type);
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

/** `"<length> <key>=<value>\n"`, where the length counts the whole record, its own digits too. */
function paxRecord(key: string, value: string): string {
  const body = encoder.encode(` ${key}=${value}\n`).length;
  let length = body + 1;
  while (String(length).length + body !== length) length++;
  return `${length} ${key}=${value}\n`;
}

function parsePax(data: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    let space = at;
    while (space < data.length && data[space] !== 0x20) space++;
    const length = Number(new TextDecoder().decode(data.subarray(at, space)));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length) {
      throw new UnsafeArchiveError("bad PAX record");
    }
    const line = decode(data.subarray(space + 1, at + length - 1));
    const equals = line.indexOf("=");
    if (equals > 0) records[line.slice(0, equals)] = line.slice(equals + 1);
    at += length;
  }
  return records;
}

function writeString(block: Uint8Array, at: number, length: number, text: string): void {
  const bytes = encoder.encode(text);
  if (bytes.length > length) throw new RangeError(`tar field overflow: ${text}`);
  block.set(bytes, at);
}

function writeOctal(block: Uint8Array, at: number, length: number, value: number): void {
  writeString(block, at, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

function readString(block: Uint8Array, at: number, length: number): string {
  let end = at;
  let ascii = true;
  while (end < at + length && block[end] !== 0) {
    if (block[end]! >= 0x80) ascii = false;
    end++;
  }
  // Names are almost always ASCII: spelled out here, without a call into the decoder.
  return ascii
    ? String.fromCharCode.apply(null, block.subarray(at, end) as unknown as number[])
    : decode(block.subarray(at, end));
}

/** A number field: octal digits up to its first NUL, spaces around them allowed. */
function readOctal(block: Uint8Array, at: number, length: number): number {
  if (block[at]! & 0x80) throw new UnsafeArchiveError("base-256 numbers are not supported");
  let end = at;
  while (end < at + length && block[end] !== 0) end++;
  let first = at;
  while (first < end && isSpace(block[first]!)) first++;
  while (end > first && isSpace(block[end - 1]!)) end--;
  // Read digit by digit: no string, no call into the decoder, for each field of each header.
  let value = 0;
  for (let i = first; i < end; i++) {
    const digit = block[i]! - 0x30;
    if (digit < 0 || digit > 7) {
      const text = JSON.stringify(readString(block, at, length).trim());
      throw new UnsafeArchiveError(`bad number field ${text}`);
    }
    value = value * 8 + digit;
  }
  return value;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

function decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new UnsafeArchiveError("a name is not UTF-8");
  }
}

function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}
