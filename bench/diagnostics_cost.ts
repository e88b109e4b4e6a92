/**
 * The cost of gather's async diagnostics (stall watcher, profiler, rejection
 * and code watchers): the same graph run with and without `--no-diagnostics`,
 * in adjacent pairs whose order alternates, judged on the median of the
 * pairs' ratios of gather's own span (first job start to last job end).
 *
 * Pairing matters on a noisy machine: two runs of the very same command,
 * back to back, differ by up to ±10 % here, so a ratio of two medians taken
 * minutes apart cannot show a 2 % cost. The table also gives the same
 * measure for two identical runs (`A/A`), the noise floor of this run.
 *
 * @module
 */

import type { BenchEnv } from "./env.ts";
import { type GraphSpec, makeGraph } from "./graphs.ts";
import type { JobKind } from "./formats/shared.ts";
import { measure } from "./measure.ts";
import { join, OUT_DIR } from "./paths.ts";
import { sampleOf, type Section, type Series, seriesOf } from "./section.ts";
import { median, num } from "./stats.ts";
import { gatherCommand } from "./tools.ts";
import { checkGatherRun } from "./verify.ts";
import { writeGraph } from "./write.ts";

/** One graph whose diagnostics cost is measured. */
export interface CostGraph {
  /** Short id, used in the facts as `cost:<id>`. */
  id: string;
  /** What it is, for the table. */
  title: string;
  /** The graph. */
  graph: GraphSpec;
  /** In-process sleeps or subprocesses. */
  kind: JobKind;
  /** `-j`. */
  slots: number;
}

/** Options of {@linkcode runDiagnosticsCost}. */
export interface DiagnosticsCostOptions {
  /** The graphs. */
  graphs: readonly CostGraph[];
  /** On/off pairs per graph, after one untimed warm-up pair. */
  pairs: number;
}

/**
 * Measure the diagnostics' cost on each graph.
 *
 * @param env The installed tools and the progress log.
 * @param options The graphs and how many pairs.
 * @returns The section; its facts hold `cost:<id>` (percent) and `noise:<id>`.
 *
 * @example Usage
 * ```ts ignore
 * import { runDiagnosticsCost } from "./diagnostics_cost.ts";
 *
 * const section = await runDiagnosticsCost(env, { graphs, pairs: 9 });
 * ```
 */
export async function runDiagnosticsCost(
  env: BenchEnv,
  options: DiagnosticsCostOptions,
): Promise<Section> {
  const problems: string[] = [];
  const series: Series[] = [];
  const facts: Section["facts"] = {};
  const rows: string[][] = [];
  for (const spec of options.graphs) {
    env.log(`diagnostics cost: ${spec.title}`);
    const graph = makeGraph(spec.graph);
    const files = await writeGraph(join(OUT_DIR, `diagnostics-${spec.id}`), graph, {
      kind: spec.kind,
      programs: env.programs,
      modUrl: env.gather.modUrl,
    });
    const span = async (diagnostics: boolean) => {
      const extra = diagnostics ? ["--no-history"] : ["--no-history", "--no-diagnostics"];
      const command = gatherCommand(
        env.installed.deno,
        env.gather.main,
        files.gather,
        files.dir,
        spec.slots,
        "json",
        extra,
      );
      const run = await measure(command, { marker: '"job:start"' });
      const check = checkGatherRun(graph, run.stdout, run.code);
      problems.push(...check.problems.map((p) => `${spec.id}: ${p}`));
      return sampleOf(run, { makespanMs: check.makespanMs, firstJobMs: run.markerMs });
    };
    const on = [], off = [], costs: number[] = [], noise: number[] = [];
    await span(true); // warm-up: caches, and Deno's emit of the task file
    for (let pair = 0; pair < options.pairs; pair++) {
      // Order alternates, so that neither side always runs first.
      const first = pair % 2 === 0;
      const a = await span(first);
      const b = await span(!first);
      const [withIt, without] = first ? [a, b] : [b, a];
      on.push(withIt);
      off.push(without);
      costs.push(ratioOf(withIt.makespanMs, without.makespanMs));
      // A/A: the same command twice in a row; its ratio is the noise this pair saw.
      const again = await span(false);
      noise.push(Math.abs(ratioOf(again.makespanMs, without.makespanMs)));
    }
    series.push(seriesOf(`${spec.id}: diagnostics on`, on));
    series.push(seriesOf(`${spec.id}: --no-diagnostics`, off));
    const cost = median(costs);
    const floor = median(noise);
    facts[`cost:${spec.id}`] = cost;
    facts[`noise:${spec.id}`] = floor;
    rows.push([
      spec.title,
      num(median(on.map((s) => s.makespanMs))),
      num(median(off.map((s) => s.makespanMs))),
      `${cost?.toFixed(2)} %`,
      `${Math.min(...costs).toFixed(1)} … ${Math.max(...costs).toFixed(1)} %`,
      `±${floor?.toFixed(2)} %`,
    ]);
  }
  return {
    id: "diagnostics",
    title: "Diagnostics cost: the same run with and without --no-diagnostics",
    notes: [
      `${options.pairs} adjacent pairs per graph, order alternating, after a warm-up run; span = ` +
      "first job start to last job end, from gather's events; cost = median of the pairs' " +
      "span ratios. A/A = median |difference| between two identical --no-diagnostics runs " +
      "in a row: this run's noise floor",
    ],
    problems,
    series,
    facts,
    table: {
      headers: ["graph", "span on ms", "span off ms", "cost", "pairs' range", "A/A noise"],
      rows,
    },
  };
}

/** `a / b - 1`, in percent. */
function ratioOf(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined || b === 0 ? NaN : (a / b - 1) * 100;
}
