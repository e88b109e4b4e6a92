/**
 * A section of the results: one scenario's table, notes, problems and raw
 * figures, as printed, written to `latest.md`, and kept in the results JSON.
 *
 * @module
 */

import type { Measurement } from "./measure.ts";
import { median } from "./stats.ts";
import type { Table } from "./table.ts";

/** One run's figures (ms and KiB), rounded for the results file. */
export interface Sample {
  /** Wall time. */
  wallMs: number;
  /** User + system CPU time. */
  cpuMs?: number;
  /** Peak resident memory. */
  peakRssKb?: number;
  /** From the first job's start to the last job's end. */
  makespanMs?: number;
  /** From spawn to the first job's start. */
  firstJobMs?: number;
  /** The lower bound computed from the jobs' measured durations (gather only). */
  measuredBoundMs?: number;
}

/** A labelled series of runs, with their medians. */
export interface Series {
  /** What ran, e.g. `gather` or `gather (run 2)`. */
  label: string;
  /** Each run. */
  samples: Sample[];
  /** The median of each figure. */
  median: Sample;
}

/** One scenario's results. */
export interface Section {
  /** Short id, e.g. `process`. */
  id: string;
  /** Heading. */
  title: string;
  /** Lines printed under the table. */
  notes: string[];
  /** The table of medians and ratios. */
  table: Table;
  /** What went wrong (a wrong gather result fails the run). */
  problems: string[];
  /** The series behind the table. */
  series: Series[];
  /** Figures the targets are judged on. */
  facts: Record<string, number | string | boolean | undefined>;
}

/**
 * A sample from a measurement.
 *
 * @param run The measurement.
 * @param extra Makespan and first-job time, if known.
 * @returns The rounded sample.
 *
 * @example Usage
 * ```ts
 * import { sampleOf } from "./section.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const run = { code: 0, wallMs: 12.345, stdout: "", stdoutBytes: 0, stderrTail: "", stderrBytes: 0 };
 * assertEquals(sampleOf(run), { wallMs: 12.3 });
 * ```
 */
export function sampleOf(
  run: Measurement,
  extra: {
    makespanMs?: number | undefined;
    firstJobMs?: number | undefined;
    measuredBoundMs?: number | undefined;
  } = {},
): Sample {
  const sample: Sample = { wallMs: round(run.wallMs) };
  if (run.cpuMs !== undefined && !Number.isNaN(run.cpuMs)) sample.cpuMs = round(run.cpuMs);
  if (run.peakRssKb !== undefined) sample.peakRssKb = run.peakRssKb;
  if (extra.makespanMs !== undefined) sample.makespanMs = round(extra.makespanMs);
  if (extra.firstJobMs !== undefined) sample.firstJobMs = round(extra.firstJobMs);
  if (extra.measuredBoundMs !== undefined) sample.measuredBoundMs = round(extra.measuredBoundMs);
  return sample;
}

/**
 * A series from its samples, with medians.
 *
 * @param label What ran.
 * @param samples Its runs.
 * @returns The series.
 *
 * @example Usage
 * ```ts
 * import { seriesOf } from "./section.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(seriesOf("make", [{ wallMs: 1 }, { wallMs: 3 }]).median.wallMs, 2);
 * ```
 */
export function seriesOf(label: string, samples: Sample[]): Series {
  const pick = (key: keyof Sample) => median(samples.map((sample) => sample[key]));
  const result: Sample = { wallMs: pick("wallMs") ?? NaN };
  const keys = ["cpuMs", "peakRssKb", "makespanMs", "firstJobMs", "measuredBoundMs"] as const;
  for (const key of keys) {
    const value = pick(key);
    if (value !== undefined) result[key] = round(value);
  }
  return { label, samples, median: result };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
