/**
 * Hostile tar archives for tests: headers written by hand, with whatever
 * name, type and link target the test wants (the real writer refuses them).
 *
 * @module
 */

import * as zlib from "node:zlib";

/** One raw entry. */
export interface RawEntry {
  /** The name, as written (`../x`, `/tmp/x`, ...). */
  name: string;
  /** The type flag: `0` a file, `2` a symbolic link, `1` a hard link, `5` a folder, `6` a FIFO. @default {"0"} */
  type?: string;
  /** The content. @default {empty} */
  data?: Uint8Array | string;
  /** The link target. @default {""} */
  link?: string;
  /** The size field's text, as written. @default {the content's size, in octal} */
  size?: string;
}

const encoder = new TextEncoder();

/**
 * A tar archive of raw entries.
 *
 * @param entries The entries.
 * @returns The archive, with its end marker.
 */
export function rawTar(entries: readonly RawEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const entry of entries) {
    const data = typeof entry.data === "string"
      ? encoder.encode(entry.data)
      : entry.data ?? new Uint8Array();
    const header = new Uint8Array(512);
    const put = (at: number, text: string) => header.set(encoder.encode(text), at);
    const octal = (at: number, length: number, value: number) =>
      put(at, value.toString(8).padStart(length - 1, "0") + "\0");
    put(0, entry.name);
    octal(100, 8, 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    if (entry.size === undefined) octal(124, 12, data.length);
    else put(124, entry.size);
    octal(136, 12, 0);
    header.fill(0x20, 148, 156);
    put(156, entry.type ?? "0");
    put(157, entry.link ?? "");
    put(257, "ustar\0");
    put(263, "00");
    let sum = 0;
    for (const byte of header) sum += byte;
    put(148, sum.toString(8).padStart(6, "0") + "\0 ");
    const body = new Uint8Array(Math.ceil(data.length / 512) * 512);
    body.set(data);
    chunks.push(header, body);
  }
  chunks.push(new Uint8Array(1024));
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

/**
 * Compress with zstd, as artifacts are.
 *
 * @param bytes The bytes.
 * @returns The compressed bytes.
 */
export function zstd(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(zlib.zstdCompressSync(bytes));
}

/**
 * The tar archive of an artifact: a small one is sent plain, a larger one
 * compressed with zstd.
 *
 * @param artifact The artifact's bytes.
 * @returns The tar archive.
 */
export function tarOf(artifact: Uint8Array): Uint8Array {
  const compressed = artifact[0] === 0x28 && artifact[1] === 0xb5 && artifact[2] === 0x2f &&
    artifact[3] === 0xfd;
  return compressed ? new Uint8Array(zlib.zstdDecompressSync(artifact)) : artifact;
}
