/**
 * Job durations remembered between runs, so the critical path can be
 * weighted by how long each job really takes: kept in
 * `.gather/history.json` (per task file), blended so one odd run does not
 * undo the others. Jobs under a millisecond are not stored: their weight is
 * negligible either way, and a run of 100,000 no-op jobs keeps the file small.
 *
 * @module
 */

import { ignoreStateFolder } from "./state_folder.ts";

interface Entry {
  /** Smoothed duration in ms. */
  ms: number;
  /** Runs seen. */
  runs: number;
}

interface HistoryFile {
  version: 1;
  files: Record<string, Record<string, Entry>>;
}

/** How much a new duration counts against the remembered one. */
const BLEND = 0.7;
/** Durations below this are not remembered; jobs missing from a known file weigh this much. */
const QUICK_MS = 1;

/**
 * The history of one task file: read once, weights for the graph, and the
 * run's durations written back.
 *
 * @example Usage
 * ```ts
 * import { History } from "./history.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const path = `${await Deno.makeTempDir()}/history.json`;
 * const first = History.load(path, "file:///tasks.ts");
 * await first.save(new Map([["build", 800], ["test", 200], ["noop", 0.1]]));
 * const second = History.load(path, "file:///tasks.ts");
 * const weights = second.weights(["build", "test", "noop"]);
 * assertEquals(weights.get("build"), 800);
 * assertEquals(weights.get("noop"), 1);
 * ```
 */
export class History {
  #path: string;
  #key: string;
  #data: HistoryFile;

  private constructor(path: string, key: string, data: HistoryFile) {
    this.#path = path;
    this.#key = key;
    this.#data = data;
  }

  /**
   * Read the history file (a missing or unreadable one counts as empty). The
   * file is small and read once, at start-up: synchronously, so that planning
   * a run (and `run()`'s validation) stays synchronous.
   *
   * @param path The history file.
   * @param key The task file, as an absolute URL.
   * @returns The history of that task file.
   */
  static load(path: string, key: string): History {
    let data: HistoryFile = { version: 1, files: {} };
    try {
      const parsed = JSON.parse(Deno.readTextFileSync(path));
      if (parsed?.version === 1 && typeof parsed.files === "object") data = parsed;
    } catch {
      // missing or unreadable: start afresh
    }
    return new History(path, key, data);
  }

  /**
   * Expected durations of the given jobs, for weighting the critical path.
   * Once a task file has a history, its jobs missing from it were quick (or
   * are new) and weigh {@linkcode QUICK_MS}.
   *
   * @param jobs The jobs to weigh.
   * @returns Each job's weight in ms; empty when the task file never ran.
   */
  weights(jobs: readonly string[]): Map<string, number> {
    const known = this.#data.files[this.#key];
    const weights = new Map<string, number>();
    if (known === undefined) return weights;
    for (const job of jobs) weights.set(job, known[job]?.ms ?? QUICK_MS);
    return weights;
  }

  /**
   * Remember how long the run's jobs took, and write the file.
   *
   * @param durations Each finished job's duration in ms.
   */
  async save(durations: ReadonlyMap<string, number>): Promise<void> {
    if (durations.size === 0) return;
    // A task file seen for the first time is written even if all its jobs were quick,
    // so the next run knows it has a history (and weighs unlisted jobs as quick).
    let changed = this.#data.files[this.#key] === undefined;
    const entries = this.#data.files[this.#key] ??= {};
    for (const [job, ms] of durations) {
      const old = entries[job];
      if (ms < QUICK_MS) {
        if (old !== undefined) changed = true;
        delete entries[job];
        continue;
      }
      changed = true;
      entries[job] = old === undefined
        ? { ms, runs: 1 }
        : { ms: BLEND * ms + (1 - BLEND) * old.ms, runs: old.runs + 1 };
    }
    if (!changed) return;
    const folder = this.#path.slice(0, this.#path.lastIndexOf("/"));
    ignoreStateFolder(this.#path);
    if (folder) await Deno.mkdir(folder, { recursive: true });
    const temporary = `${this.#path}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(temporary, JSON.stringify(this.#data));
    await Deno.rename(temporary, this.#path); // atomic: a concurrent reader sees the old file or the new
  }
}
