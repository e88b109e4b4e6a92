/**
 * The cache benchmark: the same generated project (N jobs in a layered DAG,
 * each with F input files and one output) run by gather and its peers in
 * three states: cold (nothing cached), no-op (everything cached), and one
 * input changed (in a job halfway down the graph: it and its dependents must
 * rerun). Tools run interleaved; the tables give medians and ratios against
 * gather. gather's one-change run is checked to rerun exactly the affected jobs.
 *
 * @module
 */

import type { BenchEnv } from "../env.ts";
import { measure, type Measurement } from "../measure.ts";
import { findProgram, join, OUT_DIR } from "../paths.ts";
import { type Sample, sampleOf, type Section, type Series, seriesOf } from "../section.ts";
import { num, ratio, spread } from "../stats.ts";
import { type CacheProject, type CacheTool, makeProject, writeProject } from "./project.ts";
import { findPeers, type Peers } from "./peers.ts";

/** Options of {@linkcode runCacheBench}. */
export interface CacheBenchOptions {
  /** Jobs in the project. */
  jobs: number;
  /** Layers of the DAG. */
  layers: number;
  /** Input files per job. */
  files: number;
  /** Runs of each state per tool (cold runs: at most 2). */
  reps: number;
  /** Install turbo and wireit with npm when missing. */
  installPeers: boolean;
}

type Phase = "cold" | "noop" | "change";

interface ToolRun {
  tool: CacheTool;
  dir: string;
  command: string[];
  env: Record<string, string>;
  clean: string[];
}

/**
 * Run the cache benchmark.
 *
 * @param env The bench's environment.
 * @param options Project size, repetitions.
 * @returns The section.
 */
export async function runCacheBench(env: BenchEnv, options: CacheBenchOptions): Promise<Section> {
  const project = makeProject(options.jobs, options.layers, options.files);
  const peers = await findPeers(options.installPeers, env.log);
  const root = join(OUT_DIR, `cache-${options.jobs}`);
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const tools = toolRuns(root, env, peers);
  for (const tool of tools) {
    writeProject(tool.dir, project, tool.tool, env.gather.modUrl);
    if (tool.tool === "turbo") await git(tool.dir);
  }
  const problems: string[] = [];
  const samples = new Map<string, Sample[]>();
  const record = (tool: CacheTool, phase: Phase, run: Measurement) => {
    const key = `${tool}/${phase}`;
    if (run.code !== 0) problems.push(`${key}: exit ${run.code}: ${run.stderrTail.slice(-300)}`);
    samples.set(key, [...samples.get(key) ?? [], sampleOf(run)]);
  };
  // Cold: each tool from nothing, interleaved.
  for (let rep = 0; rep < Math.min(2, options.reps); rep++) {
    for (const tool of tools) {
      await clean(tool);
      env.log(`  cold ${tool.tool} (${rep + 1})`);
      record(tool.tool, "cold", await measure(commandOf(tool), { keepStdout: false }));
    }
  }
  // No-op: everything is cached (one warm-up run first).
  for (const tool of tools) await measure(commandOf(tool), { keepStdout: false });
  for (let rep = 0; rep < options.reps; rep++) {
    for (const tool of tools) {
      record(
        tool.tool,
        "noop",
        await measure(commandOf(tool), { keepStdout: tool.tool === "gather" }),
      );
    }
  }
  // One change: a job halfway down the graph; it and its dependents rerun.
  const changed = project.jobs[Math.floor(project.jobs.length / 2)]!;
  const affected = dependentsOf(project, changed.name);
  for (let rep = 0; rep < options.reps; rep++) {
    for (const tool of tools) {
      await Deno.writeTextFile(join(tool.dir, changed.inputs[0]!), `edit ${rep}\n`, {
        append: true,
      });
      const run = await measure(commandOf(tool), { keepStdout: tool.tool === "gather" });
      record(tool.tool, "change", run);
      if (tool.tool === "gather") problems.push(...checkReruns(run.stdout, affected));
    }
  }
  const series: Series[] = [];
  for (const [key, list] of samples) series.push(seriesOf(key, list));
  const median = (tool: CacheTool, phase: Phase) =>
    series.find((s) => s.label === `${tool}/${phase}`)?.median.wallMs;
  const spreadOf = (tool: CacheTool, phase: Phase) =>
    spread(series.find((s) => s.label === `${tool}/${phase}`)?.samples.map((s) => s.wallMs) ?? []);
  const rows = tools.map(({ tool }) => [
    tool,
    ...(["cold", "noop", "change"] as Phase[]).flatMap((phase) => [
      `${num(median(tool, phase))} ±${num(spreadOf(tool, phase))}%`,
      ratio(median(tool, phase), median("gather", phase)),
    ]),
  ]);
  return {
    id: "cache",
    title:
      `Incremental runs: ${options.jobs} jobs × ${options.files} inputs, layered DAG, cold / no-op / one input changed`,
    notes: [
      `${options.layers} layers; each job sorts its ${options.files} inputs (1-4 KB) into one output; -j 2 for every tool`,
      `one change: an input of ${changed.name} (layer ${
        Math.floor(project.jobs.indexOf(changed) / Math.ceil(options.jobs / options.layers)) + 1
      }): ${affected.size} jobs must rerun`,
      `medians of ${options.reps} interleaved runs (cold: ${
        Math.min(2, options.reps)
      }); ×gather above 1: gather is faster`,
      ...(peers.turbo ? [] : ["turbo not installed: skipped"]),
      ...(peers.wireit ? [] : ["wireit not installed: skipped"]),
    ],
    table: {
      headers: ["tool", "cold ms", "×gather", "no-op ms", "×gather", "one change ms", "×gather"],
      rows,
    },
    problems,
    series,
    facts: {
      noopMs: median("gather", "noop"),
      noopDenoTaskMs: median("deno-task", "noop"),
      noopTurboMs: median("turbo", "noop"),
      affected: affected.size,
    },
  };
}

function toolRuns(root: string, env: BenchEnv, peers: Peers): ToolRun[] {
  const deno = env.installed.deno;
  const runs: ToolRun[] = [];
  const add = (
    tool: CacheTool,
    command: string[],
    clean: string[],
    extra: Record<string, string> = {},
  ) => runs.push({ tool, dir: join(root, tool), command, clean, env: extra });
  add(
    "gather",
    [deno, "run", "-A", env.gather.main, "--reporter", "json", "-j", "2", "--no-logs"],
    [".gather"],
  );
  add("deno-task", [deno, "task", "-q", "all"], [".denodir"], {
    DENO_DIR: join(root, "deno-task", ".denodir"),
  });
  if (env.installed.make) add("make", [env.installed.make, "-r", "-j2", "-s", "all"], []);
  if (env.installed.ninja) {
    add("ninja", [env.installed.ninja, "-j2"], [".ninja_log", ".ninja_deps"]);
  }
  if (peers.turbo) {
    add("turbo", [
      peers.turbo,
      "run",
      "all",
      "--ui=stream",
      "--output-logs=none",
      "--concurrency=2",
    ], [
      ".turbo",
      "node_modules",
    ], { TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", TURBO_NO_UPDATE_NOTIFIER: "1" });
  }
  if (peers.wireit && peers.node) {
    add("wireit", [peers.node, peers.wireit], [".wireit"], {
      NODE_RUN_SCRIPT_NAME: "all",
      NODE_RUN_PACKAGE_JSON_PATH: join(root, "wireit", "package.json"),
      WIREIT_PARALLEL: "2",
      WIREIT_CACHE: "local",
      WIREIT_LOGGER: "simple",
    });
  }
  return runs;
}

function commandOf(tool: ToolRun) {
  return { argv: tool.command, cwd: tool.dir, env: tool.env };
}

async function clean(tool: ToolRun): Promise<void> {
  for (const name of tool.clean) {
    await Deno.remove(join(tool.dir, name), { recursive: true }).catch(() => {});
  }
  await Deno.remove(join(tool.dir, "out"), { recursive: true }).catch(() => {});
  await Deno.mkdir(join(tool.dir, "out"));
}

async function git(dir: string): Promise<void> {
  const run = (...args: string[]) =>
    new Deno.Command(findProgram("git") ?? "git", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "null",
    }).output();
  await Deno.writeTextFile(join(dir, ".gitignore"), "out/\n.turbo/\nnode_modules/\n");
  await run("init", "-q");
  await run("-c", "user.email=bench@gather", "-c", "user.name=bench", "add", ".");
  await run("-c", "user.email=bench@gather", "-c", "user.name=bench", "commit", "-qm", "bench");
}

/** A job and every job that depends on it, directly or not. */
function dependentsOf(project: CacheProject, name: string): Set<string> {
  const affected = new Set([name]);
  for (const job of project.jobs) {
    if (job.deps.some((dep) => affected.has(dep))) affected.add(job.name);
  }
  return affected;
}

/** gather reran exactly the affected jobs (misses) and took the rest from the cache (hits). */
function checkReruns(stdout: string, affected: Set<string>): string[] {
  const misses = new Set<string>();
  let hits = 0;
  for (const line of stdout.split("\n")) {
    if (!line.includes('"job:end"')) continue;
    const event = JSON.parse(line);
    if (event.cache === "miss") misses.add(event.job);
    if (event.cache === "hit") hits++;
    if (event.status !== "ok") return [`gather: ${event.job} ended ${event.status}`];
  }
  const wrong = [...misses].filter((job) => !affected.has(job));
  const missing = [...affected].filter((job) => !misses.has(job));
  if (wrong.length === 0 && missing.length === 0) return [];
  return [
    `gather reran ${misses.size} jobs (${hits} hits), expected exactly ${affected.size}: ` +
    `extra ${wrong.slice(0, 5).join(", ")}, missing ${missing.slice(0, 5).join(", ")}`,
  ];
}
