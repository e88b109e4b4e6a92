/**
 * A side-by-side comparison: one graph, every tool that runs its job kind,
 * interleaved (A B C A B C ...), with medians and ratios against gather.
 *
 * @module
 */

import { lowerBound } from "./bounds.ts";
import type { BenchEnv } from "./env.ts";
import type { JobKind } from "./formats/shared.ts";
import { graphLabel, type GraphSpec, makeGraph } from "./graphs.ts";
import { measure, type Measurement } from "./measure.ts";
import { join, OUT_DIR } from "./paths.ts";
import { type Sample, sampleOf, type Section, seriesOf } from "./section.ts";
import { median, num, ratio, spread } from "./stats.ts";
import type { Tool, ToolId } from "./tools.ts";
import { checkGatherRun } from "./verify.ts";
import { type GraphFiles, writeGraph } from "./write.ts";

/** One comparison to run. */
export interface ComparisonSpec {
  /** Short id; the graph is written to `bench/out/<id>/`. */
  id: string;
  /** Heading. */
  title: string;
  /** The graph. */
  graph: GraphSpec;
  /** In-process sleeps or subprocesses. */
  kind: JobKind;
  /** `-j`. */
  slots: number;
  /** Interleaved rounds. */
  reps: number;
  /** The tools to include. @default {every installed tool that runs the kind} */
  tools?: readonly ToolId[];
  /** Run gather a second time in the same directory right after each first run
   * (its duration history is wiped before the first). @default {false} */
  secondRun?: boolean;
  /** One untimed run of each tool first. @default {true} */
  warmup?: boolean;
}

/** The label of gather's second run. */
export const RUN_2 = "gather (run 2)";

/**
 * Run a comparison.
 *
 * @param spec The graph, tools, `-j` and repetitions.
 * @param env The installed tools and the progress log.
 * @returns The section: table, notes, problems (a wrong gather result) and figures.
 *
 * @example Usage
 * ```ts ignore
 * import { runComparison } from "./compare.ts";
 *
 * const section = await runComparison({
 *   id: "tiny", title: "tiny", graph: { shape: "chain", n: 5 }, kind: "async", slots: 2, reps: 1,
 * }, env);
 * ```
 */
export async function runComparison(spec: ComparisonSpec, env: BenchEnv): Promise<Section> {
  const graph = makeGraph(spec.graph);
  const dir = join(OUT_DIR, spec.id);
  const files = await writeGraph(dir, graph, {
    kind: spec.kind,
    programs: env.programs,
    modUrl: env.gather.modUrl,
  });
  const tools = env.tools.filter((tool) =>
    tool.kinds.includes(spec.kind) && (spec.tools?.includes(tool.id) ?? true) &&
    (tool.sections?.includes(spec.id) ?? true) &&
    tool.command(files, spec.slots) !== undefined
  );
  const bound = lowerBound(graph, spec.slots);
  const problems: string[] = [];
  const notes: string[] = [];
  const startup = bound > 0 ? await startupOf(tools, spec, env) : new Map<ToolId, number>();
  if (spec.warmup ?? true) {
    for (const tool of tools) await runTool(tool, files, spec, new Map(), []);
  }
  const samples = new Map<string, Sample[]>();
  const add = (label: string, sample: Sample) =>
    samples.set(label, [...(samples.get(label) ?? []), sample]);
  for (let rep = 1; rep <= spec.reps; rep++) {
    env.log(`  ${spec.id}: round ${rep}/${spec.reps}`);
    for (const tool of tools) {
      if (tool.id === "gather" && spec.secondRun) {
        await Deno.remove(join(dir, ".gather"), { recursive: true }).catch(() => {});
      }
      add(
        tool.id,
        await runTool(tool, files, spec, startup, tool.id.startsWith("gather") ? problems : notes),
      );
      if (tool.id === "gather" && spec.secondRun) {
        add(RUN_2, await runTool(tool, files, spec, startup, problems));
      }
    }
  }
  const series = [...samples].map(([label, list]) => seriesOf(label, list));
  const base = series.find((s) => s.label === "gather")?.median;
  const rows = series.map(({ label, median, samples }) => {
    const mb = (kb: number | undefined) => kb === undefined ? undefined : kb / 1024;
    const wallSpread = spread(samples.map((s) => s.wallMs));
    return [
      label,
      num(median.wallMs) + (wallSpread === undefined ? "" : ` ±${num(wallSpread)}%`),
      ratio(median.wallMs, base?.wallMs),
      num(median.cpuMs),
      ratio(median.cpuMs, base?.cpuMs),
      num(mb(median.peakRssKb)),
      ratio(median.peakRssKb, base?.peakRssKb),
      bound > 0 && median.makespanMs !== undefined ? (median.makespanMs / bound).toFixed(3) : "–",
    ];
  });
  const estimated = tools.filter((tool) => tool.span === "none").map((tool) => tool.id);
  notes.unshift(
    `${graphLabel(spec.graph)} (${graph.jobs.length} jobs), ${spec.kind} jobs, -j ${spec.slots}, ` +
      `${spec.reps} interleaved round(s); lower bound ${num(bound)} ms`,
  );
  if (bound > 0 && estimated.length > 0) {
    notes.push(
      `makespan of ${estimated.join(", ")}: wall time minus start-up (` +
        estimated.map((id) => `${id} ${num(startup.get(id))} ms`).join(", ") +
        ", median wall on a one-job graph)",
    );
  }
  const facts: Section["facts"] = {
    jobs: graph.jobs.length,
    slots: spec.slots,
    lowerBoundMs: bound,
  };
  const measured = series.filter((s) => s.median.measuredBoundMs !== undefined);
  if (measured.length > 0) {
    notes.push(
      "gather's makespan over the bound from its jobs' measured durations (timer overshoot " +
        "included in the bound): " + measured.map(({ label, samples }) => {
          const value = median(
            samples.map((s) => (s.makespanMs ?? NaN) / (s.measuredBoundMs ?? NaN)),
          );
          facts[`measured-quality:${label}`] = value;
          return `${label} ${value?.toFixed(3) ?? "–"}`;
        }).join(", "),
    );
  }
  for (const { label, median } of series) {
    facts[`wall:${label}`] = median.wallMs;
    if (median.makespanMs !== undefined) facts[`span:${label}`] = median.makespanMs;
    facts[`cpu:${label}`] = median.cpuMs;
    facts[`rss:${label}`] = median.peakRssKb;
    if (bound > 0 && median.makespanMs !== undefined) {
      facts[`quality:${label}`] = median.makespanMs / bound;
    }
  }
  return {
    id: spec.id,
    title: spec.title,
    notes,
    problems,
    series,
    facts,
    table: {
      headers: ["tool", "wall ms", "×gather", "CPU ms", "×gather", "peak MB", "×gather", "span/LB"],
      rows,
    },
  };
}

async function runTool(
  tool: Tool,
  files: GraphFiles,
  spec: ComparisonSpec,
  startup: ReadonlyMap<ToolId, number>,
  problems: string[],
): Promise<Sample> {
  const command = tool.command(files, spec.slots)!;
  const run = await measure(command, tool.span === "events" ? { marker: '"job:start"' } : {});
  const fail = (what: string) => problems.push(`${tool.id}: ${what}`);
  if (run.code !== 0) fail(`exit code ${run.code}: ${run.stderrTail.trim().split("\n").at(-1)}`);
  if (tool.span === "events") {
    const check = checkGatherRun(files.graph, run.stdout, run.code);
    for (const problem of check.problems) fail(problem);
    const measured = {
      ...files.graph,
      jobs: files.graph.jobs.map((job, i) => ({ ...job, durationMs: check.durations[i] ?? NaN })),
    };
    const measuredBoundMs = files.graph.jobs.some((job) => job.durationMs > 0)
      ? lowerBound(measured, spec.slots)
      : undefined;
    return sampleOf(run, {
      makespanMs: check.makespanMs,
      firstJobMs: run.markerMs,
      measuredBoundMs,
    });
  }
  if (tool.span === "self") return sampleOf(run, { makespanMs: selfSpan(run, files, fail) });
  const base = startup.get(tool.id);
  return sampleOf(run, { makespanMs: base === undefined ? undefined : run.wallMs - base });
}

function selfSpan(run: Measurement, files: GraphFiles, fail: (what: string) => void) {
  try {
    const line = run.stdout.trim().split("\n").at(-1) ?? "";
    const span = JSON.parse(line) as { jobs: number; firstStart: number; lastEnd: number };
    if (span.jobs !== files.graph.jobs.length) {
      fail(`ran ${span.jobs} of ${files.graph.jobs.length} jobs`);
    }
    return span.lastEnd - span.firstStart;
  } catch {
    if (run.code === 0) fail("printed no span");
    return undefined;
  }
}

/** Median wall time of each tool without its own makespan, on a one-job graph. */
async function startupOf(
  tools: Tool[],
  spec: ComparisonSpec,
  env: BenchEnv,
): Promise<Map<ToolId, number>> {
  const result = new Map<ToolId, number>();
  const blind = tools.filter((tool) => tool.span === "none");
  if (blind.length === 0) return result;
  const files = await writeGraph(
    join(OUT_DIR, `${spec.id}-startup`),
    makeGraph({ shape: "wide", n: 1 }),
    { kind: spec.kind, programs: env.programs, modUrl: env.gather.modUrl },
  );
  for (const tool of blind) {
    const walls: number[] = [];
    for (let i = 0; i < 4; i++) {
      const command = tool.command(files, spec.slots);
      if (command === undefined) break;
      const run = await measure(command, { keepStdout: false });
      if (i > 0) walls.push(run.wallMs);
    }
    walls.sort((a, b) => a - b);
    if (walls.length > 0) result.set(tool.id, walls[Math.floor(walls.length / 2)]!);
  }
  return result;
}
