/**
 * Start-up: from the command to the first `job:start` event on stdout for a
 * ten-job task file, and `--list`, against a bare `deno run` of an empty file.
 *
 * @module
 */

import type { BenchEnv } from "./env.ts";
import { makeGraph } from "./graphs.ts";
import { type Command, measure } from "./measure.ts";
import { join, OUT_DIR } from "./paths.ts";
import { type Sample, sampleOf, type Section, type Series, seriesOf } from "./section.ts";
import { num, ratio, spread } from "./stats.ts";
import { gatherCommand } from "./tools.ts";
import { checkGatherRun } from "./verify.ts";
import { writeGraph } from "./write.ts";

/**
 * Measure start-up, interleaved.
 *
 * @param env The installed tools and the progress log.
 * @param reps Rounds (after one untimed warm-up round).
 * @returns The section.
 *
 * @example Usage
 * ```ts ignore
 * import { runStartup } from "./startup.ts";
 *
 * const section = await runStartup(env, 10);
 * ```
 */
export async function runStartup(env: BenchEnv, reps: number): Promise<Section> {
  const dir = join(OUT_DIR, "startup");
  const graph = makeGraph({ shape: "layered", n: 10, layers: 3 });
  const files = await writeGraph(dir, graph, {
    kind: "async",
    programs: env.programs,
    modUrl: env.gather.modUrl,
    style: "exports",
  });
  const empty = join(dir, "empty.ts");
  await Deno.writeTextFile(empty, "");
  const deno = env.installed.deno;
  const run = gatherCommand(deno, env.gather.main, files.gather, dir, 4);
  const commands: [string, Command][] = [
    ["deno run (empty file)", { argv: [deno, "run", "-A", empty], cwd: dir }],
    ["gather: spawn to first job:start", run],
    ["gather --list", {
      argv: [deno, "run", "-A", env.gather.main, "-f", files.gather, "--list"],
      cwd: dir,
    }],
    ["gather --version", { argv: [deno, "run", "-A", env.gather.main, "--version"], cwd: dir }],
  ];
  const problems: string[] = [];
  const samples = new Map<string, Sample[]>();
  for (let rep = 0; rep <= reps; rep++) {
    for (const [label, command] of commands) {
      const result = await measure(command, { marker: '"job:start"' });
      if (result.code !== 0) problems.push(`${label}: exit code ${result.code}`);
      if (command === run) {
        problems.push(...checkGatherRun(graph, result.stdout, result.code).problems);
      }
      if (rep === 0) continue; // warm-up
      const sample = sampleOf(result, { firstJobMs: result.markerMs });
      samples.set(label, [...(samples.get(label) ?? []), sample]);
    }
  }
  const series: Series[] = [...samples].map(([label, list]) => seriesOf(label, list));
  const byLabel = (label: string) => series.find((s) => s.label === label)!;
  const bare = byLabel("deno run (empty file)").median.wallMs;
  const first = byLabel("gather: spawn to first job:start");
  const row = (label: string, values: (number | undefined)[], mid: number | undefined) => {
    const range = spread(values);
    return [label, num(mid), range === undefined ? "–" : `±${num(range)}%`, ratio(mid, bare)];
  };
  const rows = series.map((s) =>
    s === first
      ? row(s.label, s.samples.map((x) => x.firstJobMs), s.median.firstJobMs)
      : row(s.label, s.samples.map((x) => x.wallMs), s.median.wallMs)
  );
  rows.push(
    row("gather: whole run (10 jobs)", first.samples.map((x) => x.wallMs), first.median.wallMs),
  );
  return {
    id: "startup",
    title: "Start-up (ten-job task file)",
    notes: [`${reps} interleaved rounds after a warm-up; times from spawn, in ms`],
    problems,
    series,
    facts: {
      bareMs: bare,
      firstJobMs: first.median.firstJobMs,
      listMs: byLabel("gather --list").median.wallMs,
      versionMs: byLabel("gather --version").median.wallMs,
    },
    table: { headers: ["what", "median ms", "spread", "×deno run"], rows },
  };
}
