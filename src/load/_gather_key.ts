/**
 * The `"gather"` key of a deno.json task object: settings only gather reads
 * (`deno task` ignores unknown fields in a task object), checked.
 *
 * @module
 */

import { parseDuration } from "../duration.ts";
import { GatherError } from "../errors.ts";
import { pool as makePool } from "../job.ts";
import type { JobSpec, Pool } from "../types.ts";

/** gather-only settings of a deno.json task, in its `"gather"` key (which `deno task` ignores). */
export interface GatherTaskSettings {
  /** Per-attempt timeout, e.g. `"5m"`. */
  timeout?: string | number;
  /** Re-runs after a failure. */
  retries?: number;
  /** The first backoff delay between retries. */
  retryDelay?: string | number;
  /** A named concurrency limit. */
  pool?: { name: string; limit: number };
  /** More dependencies, where `deno task` never looks: `"@scope/core#build"`. */
  dependencies?: string[];
  /** `false`: never cache this task, even with `files`. */
  cache?: boolean;
}

/**
 * Read and check a task's `"gather"` key.
 *
 * @param value The key's value.
 * @param where The task, for messages (`task "build"`).
 * @param shown The config file, for messages.
 * @returns The settings.
 * @throws {GatherError} `CONFIG_INVALID` naming the setting.
 *
 * @example Usage
 * ```ts
 * import { readGather } from "./_gather_key.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(readGather({ timeout: "5m" }, 'task "test"', "deno.json"), { timeout: "5m" });
 * assertThrows(() => readGather({ timout: "5m" }, 'task "test"', "deno.json"));
 * ```
 */
export function readGather(value: unknown, where: string, shown: string): GatherTaskSettings {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(shown, `${where}: "gather" must be an object, e.g. { "timeout": "5m" }`);
  }
  const raw = value as Record<string, unknown>;
  const known = ["timeout", "retries", "retryDelay", "pool", "dependencies", "cache"];
  const unknown = Object.keys(raw).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw invalid(
      shown,
      `${where}: unknown gather setting "${unknown}" (known: ${known.join(", ")})`,
    );
  }
  const settings: GatherTaskSettings = {};
  for (const field of ["timeout", "retryDelay"] as const) {
    const item = raw[field];
    if (item === undefined) continue;
    if (typeof item !== "string" && typeof item !== "number") {
      throw invalid(shown, `${where}: gather.${field} must be a duration like "30s"`);
    }
    settings[field] = item;
  }
  if (raw["retries"] !== undefined) {
    if (!Number.isInteger(raw["retries"]) || (raw["retries"] as number) < 0) {
      throw invalid(shown, `${where}: gather.retries must be a whole number >= 0`);
    }
    settings.retries = raw["retries"] as number;
  }
  if (raw["pool"] !== undefined) {
    const pool = raw["pool"] as { name?: unknown; limit?: unknown };
    if (
      typeof pool !== "object" || pool === null || typeof pool.name !== "string" ||
      pool.name === "" || !Number.isInteger(pool.limit) || (pool.limit as number) < 1
    ) {
      throw invalid(shown, `${where}: gather.pool must be { "name": "e2e", "limit": 1 }`);
    }
    settings.pool = { name: pool.name, limit: pool.limit as number };
  }
  const deps = raw["dependencies"];
  if (deps !== undefined) {
    if (!Array.isArray(deps) || deps.some((item) => typeof item !== "string")) {
      throw invalid(shown, `${where}: "gather.dependencies" must be a list of strings`);
    }
    settings.dependencies = [...deps];
  }
  if (raw["cache"] !== undefined) {
    if (typeof raw["cache"] !== "boolean") {
      throw invalid(shown, `${where}: gather.cache must be true or false`);
    }
    settings.cache = raw["cache"];
  }
  return settings;
}

function invalid(shown: string, message: string): GatherError {
  return new GatherError("CONFIG_INVALID", `Cannot read "${shown}": ${message}`);
}

/**
 * Give a task's spec its gather settings: timeout, retries, retry delay, pool.
 *
 * @param spec The task's spec.
 * @param gather Its settings.
 * @param where The task and its config, for messages (`"build" in "deno.json"`).
 * @param pools The pools made so far, by name: one pool per name.
 * @throws {GatherError} `CONFIG_INVALID` for a bad duration, or a pool with two limits.
 *
 * @example Usage
 * ```ts ignore
 * applyGatherKey(spec, { timeout: "5m", retries: 1 }, `"test" in "deno.json"`, new Map());
 * ```
 */
export function applyGatherKey(
  spec: JobSpec,
  gather: GatherTaskSettings,
  where: string,
  pools: Map<string, Pool>,
): void {
  const duration = (field: string, value: string | number) => {
    try {
      return parseDuration(value);
    } catch (error) {
      throw new GatherError(
        "CONFIG_INVALID",
        `Cannot schedule ${where}: gather.${field}: ${(error as Error).message}`,
        { job: spec.name },
      );
    }
  };
  if (gather.retries !== undefined) spec.retries = gather.retries;
  if (gather.timeout !== undefined) spec.timeoutMs = duration("timeout", gather.timeout);
  if (gather.retryDelay !== undefined) {
    spec.retryDelayMs = duration("retryDelay", gather.retryDelay);
  }
  if (gather.pool !== undefined) {
    const known = pools.get(gather.pool.name);
    if (known !== undefined && known.limit !== gather.pool.limit) {
      throw new GatherError(
        "CONFIG_INVALID",
        `Cannot schedule ${where}: pool "${known.name}" has limit ${known.limit} elsewhere and ${gather.pool.limit} here; give it one limit`,
        { job: spec.name },
      );
    }
    const pool = known ?? makePool(gather.pool.name, gather.pool.limit);
    pools.set(pool.name, pool);
    spec.pool = pool;
  }
}
