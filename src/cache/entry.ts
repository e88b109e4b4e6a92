/**
 * What a cache entry is: its manifest (the files it made, its log, its
 * result, the parts of its key), how one is recognised, and the error for
 * one that cannot be used.
 *
 * @module
 */

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
    );
}
