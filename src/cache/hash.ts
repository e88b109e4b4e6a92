/**
 * SHA-256 for the cache, from `node:crypto` (fast: it streams large files
 * faster than `sha256sum` here), loaded only when something must be hashed:
 * loading it costs ~30-50 ms of start-up, and a no-op run hashes nothing
 * (unchanged files are known by their stat, unchanged keys by their parts).
 *
 * @module
 */

/** Hashes with SHA-256, hex. */
export interface Hasher {
  /**
   * The SHA-256 of text or bytes.
   *
   * @param data What to hash.
   * @returns The hash, hex.
   */
  sha256(data: string | Uint8Array): string;
  /**
   * A hash fed in pieces.
   *
   * @returns The hash in progress.
   */
  stream(): { update(chunk: Uint8Array): void; digest(): string };
}

/** Gives the hasher, loading it the first time it is asked for. */
export type HasherSource = () => Promise<Hasher>;

/**
 * A source of the hasher that loads `node:crypto` once, on first use.
 *
 * @returns The source.
 *
 * @example Usage
 * ```ts
 * import { lazyHasher } from "./hash.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const hasher = await lazyHasher()();
 * assertEquals(hasher.sha256("hello").slice(0, 8), "2cf24dba");
 * ```
 */
export function lazyHasher(): HasherSource {
  let loading: Promise<Hasher> | undefined;
  return () =>
    loading ??= import("node:crypto").then(({ createHash }) => ({
      sha256: (data) => createHash("sha256").update(data).digest("hex"),
      stream: () => {
        const hash = createHash("sha256");
        return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest("hex") };
      },
    }));
}

/**
 * A short, file-name-safe name for a text (FNV-1a, 52 bits): for naming
 * gather's own memo files, never for keys or content.
 *
 * @param text The text.
 * @returns 13 hex digits.
 *
 * @example Usage
 * ```ts
 * import { nameFor } from "./hash.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * assertEquals(nameFor("tasks.ts").length, 13);
 * assertNotEquals(nameFor("a.ts"), nameFor("b.ts"));
 * ```
 */
export function nameFor(text: string): string {
  let high = 0x811c9dc5;
  let low = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    high = Math.imul(high ^ c, 0x01000193) >>> 0;
    low = Math.imul(low ^ (c + i), 0x05f5e107) >>> 0;
  }
  return ((high & 0xfffff) * 0x100000000 + low).toString(16).padStart(13, "0");
}
