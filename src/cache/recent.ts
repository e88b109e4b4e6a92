/**
 * The manifests one task file's last run used, its jobs' keys, and the
 * entry each job last used (restored or stored, in whichever run), in one
 * file: a no-op run reads one file instead of one per job.
 *
 * @module
 */

import { nameFor } from "./hash.ts";
import { readTextFileOnly } from "../file_kind.ts";
import type { KeyParts } from "./key.ts";
import { writeAtomic } from "./atomic.ts";
import type { Manifest } from "./entry.ts";
import type { LocalStore } from "./store.ts";

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
 * reads one file instead of one per job. Pruning removes these lists before
 * any entry (`prune.ts`), so an entry it removed is not served from here.
 *
 * @example Usage
 * ```ts
 * import { LocalStore } from "./store.ts";
 * import { RecentEntries } from "./recent.ts";
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
  /**
   * The key of the entry each job last used (restored or stored), as the
   * list holds it: only where that is not the job's key in `keys` (`""`: no
   * entry yet). An all-hits run thus adds nothing to the list, and a job a
   * run leaves out keeps its entry here.
   */
  #oldUsed: Record<string, string>;
  /** The entries this run used, by job, where they differ from the ones used before. */
  #used = new Map<string, string>();
  #changed = false;

  private constructor(
    store: LocalStore,
    path: string,
    old: Record<string, Recent>,
    keys: Record<string, JobKey>,
    used: Record<string, string>,
  ) {
    this.#store = store;
    this.#path = path;
    this.#old = old;
    this.#oldKeys = keys;
    this.#oldUsed = used;
  }

  /**
   * A job's key from this run (keyed ahead) or the last, when its parts are the same now.
   *
   * @param job The job's name.
   * @param parts Its canonical parts now.
   * @returns The key, or `undefined` when the parts differ (hash them).
   */
  lastKey(job: string, parts: string): string | undefined {
    const now = this.#keys.get(job);
    if (now !== undefined && now.parts === parts) return now.key; // keyed ahead this run
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
      const data = JSON.parse(readTextFileOnly(path));
      if (
        data?.version === 2 && typeof data.entries === "object" && data.entries !== null &&
        typeof data.keys === "object" && data.keys !== null
      ) {
        // `used` came later: in a list written without it, each job last used its key in `keys`.
        const used = typeof data.used === "object" && data.used !== null ? data.used : {};
        return new RecentEntries(store, path, data.entries, data.keys, used);
      }
    } catch {
      // none yet, or damaged
    }
    return new RecentEntries(store, path, {}, {}, {});
  }

  /**
   * The manifest of a key: from the list, else from the store. The list is
   * not checked against the store: pruning removes the lists before any
   * entry, and if a prune runs during this run, the key is the same, so is
   * what it describes (its blobs are checked as they are used).
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
    if (this.#lastUsed(manifest.job) !== manifest.key) {
      this.#used.set(manifest.job, manifest.key);
      this.#changed = true;
    }
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

  /**
   * The key of the entry a job last used, restored or stored: what
   * `--explain` compares with, so that it names what changed since the job's
   * last run rather than since its last store.
   *
   * @param job The job's name.
   * @returns The key, or `undefined` when none is known (then ask the store
   * for the last one stored).
   */
  lastUsed(job: string): string | undefined {
    const key = this.#lastUsed(job);
    return key !== undefined && /^[0-9a-f]{64}$/.test(key) ? key : undefined;
  }

  /** The key a job last used, as this run and the list say; `undefined` for none. */
  #lastUsed(job: string): string | undefined {
    const key = this.#used.get(job) ??
      (Object.hasOwn(this.#oldUsed, job) ? this.#oldUsed[job] : this.#oldKeys[job]?.key);
    return typeof key === "string" && key !== "" ? key : undefined;
  }

  /** The entries jobs last used, where they are not the jobs' keys in the list being written. */
  #usedToWrite(): Record<string, string> {
    const used: Record<string, string> = {};
    const jobs = new Set([
      ...Object.keys(this.#oldUsed),
      ...Object.keys(this.#oldKeys),
      ...this.#used.keys(),
      ...this.#keys.keys(),
    ]);
    for (const job of jobs) {
      const key = this.#lastUsed(job);
      if (key !== this.#keys.get(job)?.key) used[job] = key ?? "";
    }
    return used;
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
        used: this.#usedToWrite(),
      }),
    );
  }
}
