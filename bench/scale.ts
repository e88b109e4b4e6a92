/**
 * Scale: a chain and a wide graph of no-op jobs at 1,000, 10,000 and 100,000
 * jobs, through each reporter: JSON to a pipe, plain to a pipe, and the
 * default reporter on a terminal (a pseudo-terminal made by `script`). The run
 * must succeed at every size, and the cost of one more job must not grow with
 * N: the table compares the cost per job from 1k to 10k with 10k to 100k.
 *
 * @module
 */

import type { BenchEnv } from "./env.ts";
import { makeGraph, type Shape } from "./graphs.ts";
import { measure } from "./measure.ts";
import { findProgram, join, OUT_DIR } from "./paths.ts";
import { type Sample, sampleOf, type Section, seriesOf } from "./section.ts";
import { median, num } from "./stats.ts";
import { gatherCommand, type GatherReporter } from "./tools.ts";
import { checkGatherRun } from "./verify.ts";
import { writeGraph } from "./write.ts";

/** Options of {@linkcode runScale}. */
export interface ScaleOptions {
  /** Graph sizes, smallest first. */
  sizes: readonly number[];
  /** Interleaved rounds. */
  reps: number;
  /** `-j`. */
  slots: number;
}

interface Variant {
  reporter: GatherReporter;
  label: string;
  pty: boolean;
}

/**
 * Run the scale scenario.
 *
 * @param env The installed tools and the progress log.
 * @param options Sizes, rounds, `-j`.
 * @returns The section.
 *
 * @example Usage
 * ```ts ignore
 * import { runScale } from "./scale.ts";
 *
 * const section = await runScale(env, { sizes: [1000, 10000], reps: 1, slots: 8 });
 * ```
 */
export async function runScale(env: BenchEnv, options: ScaleOptions): Promise<Section> {
  const variants: Variant[] = [
    { reporter: "json", label: "json → pipe", pty: false },
    { reporter: "plain", label: "plain → pipe", pty: false },
  ];
  const notes: string[] = [];
  if (findProgram("script") !== undefined) {
    variants.push({ reporter: "auto", label: "auto → terminal", pty: true });
  } else notes.push("skipped: the terminal runs need `script` (util-linux), not installed");
  const shapes: Shape[] = ["chain", "wide"];
  const graphs = new Map<string, Awaited<ReturnType<typeof writeGraph>>>();
  for (const shape of shapes) {
    for (const n of options.sizes) {
      const graph = makeGraph({ shape, n });
      const dir = join(OUT_DIR, `scale-${shape}-${n}`);
      graphs.set(
        `${shape}/${n}`,
        await writeGraph(dir, graph, {
          kind: "async",
          programs: env.programs,
          modUrl: env.gather.modUrl,
        }),
      );
    }
  }
  const problems: string[] = [];
  const samples = new Map<string, Sample[]>();
  for (let rep = 1; rep <= options.reps; rep++) {
    env.log(`  scale: round ${rep}/${options.reps}`);
    for (const shape of shapes) {
      for (const n of options.sizes) {
        const files = graphs.get(`${shape}/${n}`)!;
        for (const variant of variants) {
          const command = {
            ...gatherCommand(
              env.installed.deno,
              env.gather.main,
              files.gather,
              files.dir,
              options.slots,
              variant.reporter,
            ),
            pty: variant.pty,
          };
          const run = await measure(command, { keepStdout: variant.reporter === "json" });
          const where = `${shape} ${n} ${variant.label}`;
          if (run.code !== 0) {
            problems.push(
              `${where}: exit code ${run.code}: ${run.stderrTail.trim().split("\n").at(-1)}`,
            );
          }
          if (/Maximum call stack|RangeError/.test(run.stderrTail)) {
            problems.push(`${where}: stack overflow`);
          }
          if (variant.reporter === "json") {
            const check = checkGatherRun(files.graph, run.stdout, run.code);
            problems.push(...check.problems.map((problem) => `${where}: ${problem}`));
          }
          const key = `${shape} ${variant.label} ${n}`;
          samples.set(key, [...(samples.get(key) ?? []), sampleOf(run)]);
        }
      }
    }
  }
  const facts: Section["facts"] = {};
  const rows: string[][] = [];
  const [small, mid, large] = [options.sizes[0]!, options.sizes.at(-2)!, options.sizes.at(-1)!];
  for (const shape of shapes) {
    for (const variant of variants) {
      const wall = (n: number) =>
        median((samples.get(`${shape} ${variant.label} ${n}`) ?? []).map((s) => s.wallMs));
      const rss = median(
        (samples.get(`${shape} ${variant.label} ${large}`) ?? []).map((s) => s.peakRssKb),
      );
      const perJob = (from: number, to: number) =>
        ((wall(to) ?? NaN) - (wall(from) ?? NaN)) / (to - from) * 1000;
      const early = perJob(small, mid);
      const late = perJob(mid, large);
      const label = `${shape}, ${variant.label}`;
      facts[`wall:${label}`] = wall(large);
      facts[`growth:${label}`] = late / early;
      rows.push([
        label,
        ...options.sizes.map((n) => num(wall(n))),
        num(early),
        num(late),
        num(late / early, "×"),
        num(rss === undefined ? undefined : rss / 1024),
      ]);
    }
  }
  notes.unshift(
    `no-op async jobs, -j ${options.slots}, ${options.reps} interleaved round(s); µs/job is the ` +
      `extra wall time per extra job between two sizes; growth 1.00× = cost per job independent of N`,
  );
  return {
    id: "scale",
    title: "Scale (chain and wide graphs, each reporter)",
    notes,
    problems,
    series: [...samples].map(([label, list]) => seriesOf(label, list)),
    facts,
    table: {
      headers: [
        "graph, reporter",
        ...options.sizes.map((n) => `${n / 1000}k ms`),
        `µs/job ${small / 1000}k→${mid / 1000}k`,
        `µs/job ${mid / 1000}k→${large / 1000}k`,
        "growth",
        `peak MB ${large / 1000}k`,
      ],
      rows,
    },
  };
}
