/**
 * What a cache entry is: its manifest (the files it made, its log, its
 * result, the parts of its key), how one is recognised, and the error for
 * one that cannot be used.
 *
 * @module
 */

import type { KeyParts } from "./key.ts";
import type { OutputLink } from "./links.ts";

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
  /** The symbolic links it made (none when absent). */
  links?: OutputLink[];
  /** Its log: the lines, or the blob that holds them (as JSON) when they are many. */
  log: { lines: LogLine[] } | { blob: string; count: number };
  /** Its result, encoded: inline, or in a blob when large. */
  result: { value: string } | { blob: string };
}

/** An entry that exists but cannot be used. */
export class CorruptEntryError extends Error {
  /**
   * Construct it.
   *
   * @param key The entry's key.
   * @param why What is wrong.
   * @param job The job whose entry it is, when known.
   */
  constructor(key: string, why: string, job?: string) {
    super(
      `cache entry ${key.slice(0, 12)}${job === undefined ? "" : ` of ${job}`} is damaged (${why})`,
    );
    this.name = "CorruptEntryError";
  }
}

/**
 * A blob that is missing or does not match its hash. A blob is shared by
 * content, so it names no entry: {@linkcode damagedEntry} says which entry,
 * and which of its parts, it breaks.
 *
 * @example Usage
 * ```ts
 * import { DamagedBlobError } from "./entry.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new DamagedBlobError("92a86ea4a146".padEnd(64, "0"), "does not match its hash");
 * assertEquals(error.message, "blob 92a86ea4a146 does not match its hash");
 * ```
 */
export class DamagedBlobError extends Error {
  /** The blob's hash. */
  readonly hash: string;
  /** What is wrong with it: `is missing`, `does not match its hash`, ... */
  readonly problem: string;

  /**
   * Construct it.
   *
   * @param hash The blob's hash.
   * @param problem What is wrong with it, after "blob <hash>".
   */
  constructor(hash: string, problem: string) {
    super(`blob ${hash.slice(0, 12)} ${problem}`);
    this.name = "DamagedBlobError";
    this.hash = hash;
    this.problem = problem;
  }
}

/**
 * The entry a damaged blob breaks, named by its key, with the part of it the
 * blob holds (an output file, the log or the result).
 *
 * @param manifest The entry being read.
 * @param error What is wrong with one of its blobs.
 * @returns The entry's error.
 *
 * @example Usage
 * ```ts
 * import { damagedEntry, DamagedBlobError, type Manifest } from "./entry.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const hash = "92a86ea4a146".padEnd(64, "0");
 * const manifest = {
 *   key: "5b928e0f04a4".padEnd(64, "0"), job: "compile",
 *   outputs: [{ path: "build/app.bin", hash, mode: 0o755, size: 3 }],
 *   log: { lines: [] }, result: { value: "1" },
 * } as unknown as Manifest;
 * assertEquals(
 *   damagedEntry(manifest, new DamagedBlobError(hash, "does not match its hash")).message,
 *   "cache entry 5b928e0f04a4 of compile is damaged (output build/app.bin: blob 92a86ea4a146 does not match its hash)",
 * );
 * ```
 */
export function damagedEntry(manifest: Manifest, error: DamagedBlobError): CorruptEntryError {
  const output = manifest.outputs.find((file) => file.hash === error.hash);
  const part = output !== undefined
    ? `output ${output.path}`
    : "blob" in manifest.log && manifest.log.blob === error.hash
    ? "its log"
    : "its result";
  return new CorruptEntryError(manifest.key, `${part}: ${error.message}`, manifest.job);
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
 * import { isManifest } from "./entry.ts";
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
    ) &&
    (m.links === undefined ||
      Array.isArray(m.links) &&
        m.links.every((l) => typeof l?.path === "string" && typeof l.target === "string"));
}
