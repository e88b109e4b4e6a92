/**
 * Hashing speed: a cold gather run (no stat index) over a large input set
 * against `sha256sum` (and `b3sum` when installed) on the same files.
 *
 * @module
 */

import type { BenchEnv } from "../env.ts";
import { measure } from "../measure.ts";
import { findProgram, join, OUT_DIR } from "../paths.ts";
import { sampleOf, type Section, type Series, seriesOf } from "../section.ts";
import { num, ratio } from "../stats.ts";

/** Options of {@linkcode runHashBench}. */
export interface HashBenchOptions {
  /** Total size of the input set, in MiB. */
  megabytes: number;
  /** Files it is split into. */
  files: number;
  /** Interleaved runs per tool. */
  reps: number;
}

/**
 * Measure hashing a large input set.
 *
 * @param env The bench's environment.
 * @param options Size, files, repetitions.
 * @returns The section.
 */
export async function runHashBench(env: BenchEnv, options: HashBenchOptions): Promise<Section> {
  const dir = join(OUT_DIR, `hash-${options.megabytes}m`);
  const files = await inputs(dir, options);
  const tools: { label: string; argv: string[] }[] = [];
  const taskFile = join(dir, "tasks.ts");
  await Deno.writeTextFile(
    taskFile,
    `import { job } from ${
      JSON.stringify(env.gather.modUrl)
    };\nexport const hash = job({ inputs: ["big/**"] }, () => 1);\n`,
  );
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  const gather = [
    env.installed.deno,
    "run",
    "-A",
    env.gather.main,
    "-q",
    "--no-logs",
    "--no-history",
  ];
  tools.push({ label: "gather (cold: no stat index)", argv: gather });
  const sha = findProgram("sha256sum");
  if (sha) tools.push({ label: "sha256sum", argv: [sha, ...files] });
  const b3 = findProgram("b3sum");
  if (b3) tools.push({ label: "b3sum", argv: [b3, ...files] });
  const samples = new Map<string, ReturnType<typeof sampleOf>[]>();
  const problems: string[] = [];
  for (const file of files) await Deno.readFile(file); // the page cache is warm for every tool
  for (let rep = 0; rep < options.reps; rep++) {
    for (const tool of tools) {
      if (tool.argv === gather) {
        await Deno.remove(join(dir, ".gather"), { recursive: true }).catch(() => {});
      }
      const run = await measure({ argv: tool.argv, cwd: dir }, { keepStdout: false });
      if (run.code !== 0) {
        problems.push(`${tool.label}: exit ${run.code}: ${run.stderrTail.slice(-200)}`);
      }
      samples.set(tool.label, [...samples.get(tool.label) ?? [], sampleOf(run)]);
    }
  }
  const series: Series[] = [...samples].map(([label, list]) => seriesOf(label, list));
  const gatherMs = series[0]?.median.wallMs;
  const shaMs = series.find((s) => s.label === "sha256sum")?.median.wallMs;
  return {
    id: "hash",
    title: `Hashing ${options.megabytes} MiB of inputs (${options.files} files), cold`,
    notes: [
      "gather: a whole run (start-up included) whose one job declares every file as input, with no stat index",
      "the page cache is warm for every tool (a container cannot drop it); medians of interleaved runs",
    ],
    table: {
      headers: ["tool", "wall ms", "MB/s", "×gather"],
      rows: series.map((s) => [
        s.label,
        num(s.median.wallMs),
        num((options.megabytes * 1.048576) / (s.median.wallMs / 1000)),
        ratio(s.median.wallMs, gatherMs),
      ]),
    },
    problems,
    series,
    facts: { hashGatherMs: gatherMs, hashSha256sumMs: shaMs },
  };
}

/** Random files of the set's size, made once. */
async function inputs(dir: string, options: HashBenchOptions): Promise<string[]> {
  const big = join(dir, "big");
  await Deno.mkdir(big, { recursive: true });
  const size = Math.round(options.megabytes * 1024 * 1024 / options.files);
  const chunk = crypto.getRandomValues(new Uint8Array(65536));
  const files: string[] = [];
  for (let i = 0; i < options.files; i++) {
    const file = join(big, `part${String(i).padStart(4, "0")}.bin`);
    files.push(file);
    const info = await Deno.stat(file).catch(() => undefined);
    if (info?.size === size) continue;
    using out = await Deno.open(file, { write: true, create: true, truncate: true });
    chunk[0] = i;
    for (let written = 0; written < size; written += chunk.length) {
      await out.write(chunk.subarray(0, Math.min(chunk.length, size - written)));
    }
  }
  return files;
}
