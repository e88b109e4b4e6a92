/**
 * Views of a graph that run nothing: `--list`, `--graph` and `--dry-run`.
 *
 * @module
 */

import type { Graph } from "../engine/graph.ts";
import type { CachingRunner } from "../cache/runner.ts";
import { DryRunner } from "../engine/runners/dry.ts";
import { schedule } from "../engine/scheduler.ts";
import type { JobSpec } from "../types.ts";

/**
 * List jobs with their descriptions, deps and pools, one per line (and a
 * deno.json task's command on the next). Default jobs are marked with `*`.
 *
 * @param specs Every job, by name.
 * @param defaults The jobs that run when none is named.
 * @returns The listing, ending with a newline.
 *
 * @example Usage
 * ```ts
 * import { listJobs } from "./inspect.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const { specs } = resolveJobs([["build", job({ description: "Build it" }, () => {})]], "x");
 * assertStringIncludes(listJobs(specs, ["build"]), "* build  Build it");
 * ```
 */
export function listJobs(specs: ReadonlyMap<string, JobSpec>, defaults: readonly string[]): string {
  let width = 0;
  for (const name of specs.keys()) width = Math.max(width, name.length);
  const isDefault = new Set(defaults);
  const lines = [...specs.values()].map((spec) => {
    const extras = [
      spec.deps.length ? `deps: ${spec.deps.join(", ")}` : "",
      spec.pool ? `pool: ${spec.pool.name} (${spec.pool.limit})` : "",
    ].filter(Boolean);
    const mark = isDefault.has(spec.name) ? "*" : " ";
    const text = [spec.description ?? "", extras.length ? `[${extras.join("; ")}]` : ""]
      .filter(Boolean).join(" ");
    const line = `${mark} ${spec.name.padEnd(width)}  ${text}`.trimEnd();
    // A deno.json task's command, under its description.
    return spec.command === undefined
      ? line
      : `${line}\n${" ".repeat(width + 4)}$ ${spec.command.replaceAll("\n", " ")}`;
  });
  return lines.join("\n") + "\n";
}

/**
 * Render the graph in Graphviz dot: an edge from each dependency to its dependent.
 *
 * @param graph The graph.
 * @returns The dot text.
 *
 * @example Usage
 * ```ts
 * import { graphToDot } from "./inspect.ts";
 * import { buildGraph } from "../engine/graph.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const a = job(() => 1);
 * const { specs } = resolveJobs([["a", a], ["b", job({ deps: [a] }, () => 2)]], "x");
 * assertStringIncludes(graphToDot(buildGraph(specs, ["b"])), `"a" -> "b";`);
 * ```
 */
export function graphToDot(graph: Graph): string {
  const name = (i: number) => JSON.stringify(graph.jobs[i]!.name);
  const lines = ["digraph gather {", "  rankdir=LR;", "  node [shape=box];"];
  graph.jobs.forEach((spec, i) => {
    const label = spec.description ? ` [tooltip=${JSON.stringify(spec.description)}]` : "";
    lines.push(`  ${name(i)}${label};`);
  });
  graph.deps.forEach((deps, i) =>
    deps.forEach((dep) => lines.push(`  ${name(dep)} -> ${name(i)};`))
  );
  lines.push("}");
  return lines.join("\n") + "\n";
}

/**
 * The order jobs would start in, by step: the real scheduler, driven by the
 * dry runner, under the same limits and priorities as a real run; jobs in
 * one step would run side by side if every job took as long as the others.
 * With the cache, each cached job says whether it would be a hit, or why it
 * would run.
 *
 * @param graph The graph.
 * @param concurrency The global limit.
 * @param cache The cache, in `dry` mode, to say which jobs would be hits.
 * @param warn Told the cache's warnings (a remote cache that cannot be reached).
 * @returns One line per job: step, name, pool, what the cache would do.
 *
 * @example Usage
 * ```ts
 * import { dryRun } from "./inspect.ts";
 * import { buildGraph } from "../engine/graph.ts";
 * import { resolveJobs } from "../load/resolve.ts";
 * import { job } from "../job.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = job(() => 1);
 * const { specs } = resolveJobs([["a", a], ["b", job({ deps: [a] }, () => 2)]], "x");
 * assertEquals(await dryRun(buildGraph(specs, ["b"]), 2), "step 1  a\nstep 2  b\n");
 * ```
 */
export async function dryRun(
  graph: Graph,
  concurrency: number,
  cache?: CachingRunner,
  warn: (message: string) => void = () => {},
): Promise<string> {
  const dry = new DryRunner();
  const runner = cache
    ? cache.wrap(dry, (event) => event.type === "warning" && warn(event.message))
    : dry;
  await schedule(graph, { concurrency, runner, clock: dry.clock });
  const lines = dry.starts.map(({ job, step }) => {
    const notes = [job.pool ? `pool ${job.pool.name}` : "", cache?.notes.get(job.name) ?? ""]
      .filter(Boolean);
    return `step ${step}  ${job.name}${notes.length ? `  (${notes.join("; ")})` : ""}`;
  });
  return lines.join("\n") + "\n";
}
