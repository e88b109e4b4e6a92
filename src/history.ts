/**
 * Job durations remembered between runs, so the critical path can be
 * weighted by how long each job really takes: kept in
 * `.gather/history.json` (per task file), blended so one odd run does not
 * undo the others.
 *
 * @module
 */

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

/**
 * Read the remembered durations of a task file's jobs. Jobs never seen get
 * the median of those seen, so they neither jump the queue nor sink in it.
 *
 * @param path The history file.
 * @param key The task file, as an absolute URL.
 * @param jobs The jobs to weigh.
 * @returns Each job's expected duration in ms; empty when nothing is known.
 *
 * @example Usage
 * ```ts
 * import { loadWeights, saveDurations } from "./history.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const path = `${await Deno.makeTempDir()}/history.json`;
 * await saveDurations(path, "file:///tasks.ts", new Map([["build", 800], ["test", 200]]));
 * const weights = await loadWeights(path, "file:///tasks.ts", ["build", "test", "new"]);
 * assertEquals(weights.get("build"), 800);
 * assertEquals(weights.get("new"), 500);
 * ```
 */
export async function loadWeights(
  path: string,
  key: string,
  jobs: readonly string[],
): Promise<Map<string, number>> {
  const known = (await read(path)).files[key] ?? {};
  const seen = jobs.filter((job) => known[job] !== undefined).map((job) => known[job]!.ms);
  const weights = new Map<string, number>();
  if (seen.length === 0) return weights;
  const sorted = seen.toSorted((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2
    ? sorted[Math.floor(middle)]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
  for (const job of jobs) weights.set(job, known[job]?.ms ?? median);
  return weights;
}

/**
 * Remember how long jobs took.
 *
 * @param path The history file (its folder is created if needed).
 * @param key The task file, as an absolute URL.
 * @param durations Each finished job's duration in ms.
 */
export async function saveDurations(
  path: string,
  key: string,
  durations: ReadonlyMap<string, number>,
): Promise<void> {
  if (durations.size === 0) return;
  const history = await read(path);
  const entries = history.files[key] ??= {};
  for (const [job, ms] of durations) {
    const old = entries[job];
    entries[job] = old === undefined
      ? { ms, runs: 1 }
      : { ms: BLEND * ms + (1 - BLEND) * old.ms, runs: old.runs + 1 };
  }
  const folder = path.slice(0, path.lastIndexOf("/"));
  if (folder) await Deno.mkdir(folder, { recursive: true });
  const temporary = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temporary, JSON.stringify(history));
  await Deno.rename(temporary, path); // atomic: a concurrent reader sees the old file or the new one
}

async function read(path: string): Promise<HistoryFile> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(path));
    if (parsed?.version === 1 && typeof parsed.files === "object") return parsed as HistoryFile;
  } catch {
    // missing or unreadable: start afresh
  }
  return { version: 1, files: {} };
}
