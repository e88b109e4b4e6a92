/**
 * deno.json tasks: `gather <task>` against `deno task <task>` on the same
 * generated deno.json, interleaved: start-up on a one-task config, a graph of
 * tasks with dependencies, a workspace with `-r`, and a cached rerun (a task
 * with `files`, run once untimed so both tools have it cached).
 *
 * @module
 */

import type { BenchEnv } from "./env.ts";
import { makeGraph } from "./graphs.ts";
import { denoTasks } from "./formats/deno_task.ts";
import { type Command, measure } from "./measure.ts";
import { join, OUT_DIR } from "./paths.ts";
import { type Sample, sampleOf, type Section, type Series, seriesOf } from "./section.ts";
import { num, ratio } from "./stats.ts";

/** Sizes of the scenarios. */
export interface DenoTasksOptions {
  /** Interleaved rounds, after one untimed warm-up round. */
  reps: number;
  /** Tasks in the dependency graph. */
  tasks: number;
  /** Members of the workspace. */
  members: number;
  /** Input files of the cached task. */
  inputs: number;
}

interface Scenario {
  id: string;
  title: string;
  dir: string;
  task: string[];
  /** Called at the start of each round, with the round's number. */
  before?: (round: number) => Promise<void>;
}

/** Untimed rounds first: the second one lets the revert scenario's two states both be cached. */
const WARMUP_ROUNDS = 2;

/**
 * Write the projects and measure both tools on each, interleaved.
 *
 * @param env The installed tools and the progress log.
 * @param options The sizes.
 * @returns The section; its facts hold `deno:<id>`, `gather:<id>` (median wall ms),
 * `startupOverheadMs` and `cachedRatio` (gather's cached rerun over deno task's).
 *
 * @example Usage
 * ```ts ignore
 * import { runDenoTasks } from "./deno_tasks.ts";
 *
 * const section = await runDenoTasks(env, { reps: 10, tasks: 50, members: 20, inputs: 200 });
 * ```
 */
export async function runDenoTasks(env: BenchEnv, options: DenoTasksOptions): Promise<Section> {
  const root = join(OUT_DIR, "deno-tasks");
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const scenarios = await writeProjects(root, env, options);
  const deno = env.installed.deno;
  const commands = (scenario: Scenario): [string, Command][] => [
    ["deno task", { argv: [deno, "task", "-q", ...scenario.task], cwd: scenario.dir }],
    ["gather", {
      argv: [deno, "run", "-A", env.gather.main, "--reporter", "plain", "-q", ...scenario.task],
      cwd: scenario.dir,
    }],
  ];
  const problems: string[] = [];
  const samples = new Map<string, Sample[]>();
  for (let rep = 0; rep < WARMUP_ROUNDS + options.reps; rep++) {
    for (const scenario of scenarios) {
      await scenario.before?.(rep);
      for (const [tool, command] of commands(scenario)) {
        const result = await measure(command);
        if (result.code !== 0) {
          problems.push(`${scenario.id}, ${tool}: exit code ${result.code}: ${result.stderrTail}`);
        }
        if (rep < WARMUP_ROUNDS) continue; // warm-up, and the runs that fill the caches
        const label = `${scenario.id}|${tool}`;
        samples.set(label, [...(samples.get(label) ?? []), sampleOf(result)]);
      }
    }
  }
  const series: Series[] = [...samples].map(([label, list]) => seriesOf(label, list));
  const wall = (id: string, tool: string) =>
    series.find((s) => s.label === `${id}|${tool}`)?.median.wallMs;
  const cpu = (id: string, tool: string) =>
    series.find((s) => s.label === `${id}|${tool}`)?.median.cpuMs;
  const facts: Section["facts"] = {};
  const rows = scenarios.map((scenario) => {
    const [denoMs, gatherMs] = [wall(scenario.id, "deno task"), wall(scenario.id, "gather")];
    facts[`deno:${scenario.id}`] = denoMs;
    facts[`gather:${scenario.id}`] = gatherMs;
    const over = denoMs === undefined || gatherMs === undefined ? undefined : gatherMs - denoMs;
    return [
      scenario.title,
      num(denoMs),
      num(gatherMs),
      ratio(gatherMs, denoMs),
      num(over),
      `${num(cpu(scenario.id, "deno task"))} / ${num(cpu(scenario.id, "gather"))}`,
    ];
  });
  const one = scenarios[0]!.id;
  const startup = [wall(one, "gather"), wall(one, "deno task")];
  facts["startupOverheadMs"] = startup[0] === undefined || startup[1] === undefined
    ? undefined
    : startup[0] - startup[1];
  const over = (id: string) => {
    const [ours, theirs] = [wall(id, "gather"), wall(id, "deno task")];
    return ours === undefined || theirs === undefined ? undefined : ours / theirs;
  };
  facts["cachedRatio"] = over("cached");
  facts["revertRatio"] = over("revert");
  return {
    id: "deno-tasks",
    title: "deno.json tasks: gather vs deno task",
    notes: [
      `${options.reps} interleaved rounds after ${WARMUP_ROUNDS} untimed ones; whole runs from spawn, in ms`,
      "gather runs each task's command with `deno task -q --eval` in its own process group " +
      "(one Deno start per task); deno task runs a whole graph in one process",
      "gather waits for each member's imports in `-r`; deno task starts them in order without waiting",
      "revert: the input alternates between two contents, round by round; deno task keeps one " +
      "cache entry per task, gather one per key",
    ],
    problems,
    series,
    facts,
    table: {
      headers: [
        "what",
        "deno task ms",
        "gather ms",
        "gather / deno task",
        "gather − deno task ms",
        "CPU ms deno task / gather",
      ],
      rows,
    },
  };
}

async function writeProjects(
  root: string,
  env: BenchEnv,
  options: DenoTasksOptions,
): Promise<Scenario[]> {
  const write = async (path: string, value: unknown) => {
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, JSON.stringify(value, null, 1) + "\n");
  };
  const one = join(root, "one");
  await write(join(one, "deno.json"), { tasks: { noop: "true" } });

  const graph = join(root, "graph");
  const layered = makeGraph({ shape: "layered", n: options.tasks, layers: 5, seed: 5 });
  await Deno.mkdir(graph, { recursive: true });
  await Deno.writeTextFile(join(graph, "deno.json"), denoTasks(layered, env.programs));

  // Members in layers of five; each imports the member five before it.
  const ws = join(root, "workspace");
  await write(join(ws, "deno.json"), { workspace: ["./packages/*"] });
  for (let i = 0; i < options.members; i++) {
    const name = `m${String(i).padStart(2, "0")}`;
    const imports = i >= 5
      ? {
        [`@bench/m${String(i - 5).padStart(2, "0")}`]: `jsr:@bench/m${
          String(i - 5).padStart(2, "0")
        }@^1.0.0`,
      }
      : {};
    await write(join(ws, "packages", name, "deno.json"), {
      name: `@bench/${name}`,
      version: "1.0.0",
      imports,
      tasks: { noop: `${env.programs.true}` },
    });
  }

  // A task with inputs, cached by both tools after the warm-up round.
  const cached = join(root, "cached");
  await write(join(cached, "deno.json"), {
    tasks: {
      build: {
        command: `${env.programs.sleep} 0.2 && mkdir -p dist && cat src/*.txt > dist/all.txt`,
        files: ["src/**"],
        output: ["dist/**"],
      },
    },
  });
  await Deno.mkdir(join(cached, "src"), { recursive: true });
  for (let i = 0; i < options.inputs; i++) {
    await Deno.writeTextFile(join(cached, "src", `f${i}.txt`), `file ${i}\n`.repeat(20));
  }
  // The same, its input alternating between two contents: a change, then its revert.
  const revert = join(root, "revert");
  await write(join(revert, "deno.json"), {
    tasks: {
      build: {
        command: `${env.programs.sleep} 0.2 && mkdir -p dist && cat src/*.txt > dist/all.txt`,
        files: ["src/**"],
        output: ["dist/**"],
      },
    },
  });
  await Deno.mkdir(join(revert, "src"), { recursive: true });
  const toggle = (round: number) =>
    Deno.writeTextFile(join(revert, "src", "state.txt"), round % 2 === 0 ? "A\n" : "B\n");
  return [
    { id: "one", title: "start-up: a one-task config", dir: one, task: ["noop"] },
    { id: "graph", title: `${options.tasks} tasks with dependencies`, dir: graph, task: ["all"] },
    {
      id: "workspace",
      title: `${options.members}-member workspace, -r`,
      dir: ws,
      task: ["-r", "noop"],
    },
    {
      id: "cached",
      title: `cached rerun (${options.inputs} input files)`,
      dir: cached,
      task: ["build"],
    },
    {
      id: "revert",
      title: "rerun after a change is reverted",
      dir: revert,
      task: ["build"],
      before: toggle,
    },
  ];
}
