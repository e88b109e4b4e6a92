// deno-lint-ignore-file no-console
/**
 * `deno task bench`: gather side by side with Python asyncio, ninja, make,
 * `deno task` and bare-spawn floors, on the same generated graphs.
 *
 * ```sh
 * deno task bench                  # the full comparison, a few minutes on 2 cores
 * deno task bench --quick          # CI smoke run: small graphs, every installed tool
 * deno task bench --only process   # some sections: startup, overhead, process,
 *                                  # quality-j4, quality-j8, quality-process-j4,
 *                                  # diagnostics, deno-tasks, scale, cache, hash,
 *                                  # remote-cache, watch
 * deno task bench --gather /tmp/g  # measure another gather checkout
 * ```
 *
 * Full runs write `bench/results/<date>.json` and `bench/results/latest.md`;
 * quick runs write `bench/out/quick.md`. Exits 1 if gather's result is wrong
 * (a job missing or failed, a dependency order broken, a non-zero exit) or if
 * the generated formats disagree.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { disagreements } from "./agree.ts";
import { runComparison } from "./compare.ts";
import type { BenchEnv } from "./env.ts";
import { DEFAULT_PROGRAMS, type JobKind, type Programs } from "./formats/shared.ts";
import { makeGraph, type Shape } from "./graphs.ts";
import { describeMachine } from "./machine.ts";
import { hasGnuTime } from "./measure.ts";
import { findProgram, join, OUT_DIR, RESULTS_DIR, ROOT } from "./paths.ts";
import { fullPlan, quickPlan, type Step } from "./plan.ts";
import { formatText, type Results, saveResults } from "./results.ts";
import { runScale } from "./scale.ts";
import { runDiagnosticsCost } from "./diagnostics_cost.ts";
import { runDenoTasks } from "./deno_tasks.ts";
import { runCacheBench } from "./cache/run.ts";
import { runHashBench } from "./cache/hash.ts";
import { runRemoteCache } from "./remote_cache.ts";
import { runWatchBench } from "./watch.ts";
import { runDistributed } from "./distributed.ts";
import type { Section } from "./section.ts";
import { runStartup } from "./startup.ts";
import { judgeTargets } from "./targets.ts";
import { findInstalled, makeTools } from "./tools.ts";
import { writeGraph } from "./write.ts";

const args = parseArgs(Deno.args, {
  boolean: ["quick", "save", "help"],
  string: ["only", "gather", "label"],
  default: { save: true },
  negatable: ["save"],
});
if (args["help"]) {
  console.log(
    "Usage: deno run -A bench/run.ts [--quick] [--only id,...] [--gather <dir>] [--label text] [--no-save]",
  );
  Deno.exit(0);
}
const started = performance.now();
const quick = args["quick"] === true;
const gatherRoot = typeof args["gather"] === "string" ? args["gather"].replace(/\/?$/, "/") : ROOT;
const installed = await findInstalled();
const { tools, missing } = makeTools(installed, `${gatherRoot}main.ts`);
const env: BenchEnv = {
  installed,
  tools,
  programs: findPrograms(),
  gather: { main: `${gatherRoot}main.ts`, modUrl: new URL(`file://${gatherRoot}mod.ts`).href },
  log: (line) => console.error(line),
};
for (const note of missing) console.error(`skipped: ${note}`);
const gnuTime = await hasGnuTime();
if (!gnuTime) {
  console.error(
    "note: /usr/bin/time (Debian package `time`) is missing: CPU from /proc, no memory",
  );
}
const machine = await describeMachine(installed, gatherRoot, gnuTime);
console.error(
  `${machine.cores} cores, load ${machine.loadAtStart.toFixed(2)}, gather at ${gatherRoot}`,
);

const failures: string[] = [];
if (quick) {
  env.log("generator: every format of every shape, both job kinds");
  failures.push(...await checkGenerator(env));
}
const only = typeof args["only"] === "string" ? args["only"].split(",") : undefined;
const steps = (quick ? quickPlan() : fullPlan()).filter((step) =>
  only?.includes(stepId(step)) ?? true
);
const sections: Section[] = [];
for (const step of steps) {
  env.log(`${stepId(step)} ...`);
  const section = await runStep(step, env);
  sections.push(section);
  console.log(formatText({ ...emptyResults(), sections: [section] }));
  failures.push(...section.problems.map((problem) => `${section.id}: ${problem}`));
}
const results: Results = {
  ...emptyResults(),
  sections,
  // With --only, judge only what was measured.
  targets: quick
    ? []
    : judgeTargets(sections).filter((t) => only === undefined || t.met !== undefined),
  seconds: Math.round((performance.now() - started) / 100) / 10,
};
if (results.targets.length > 0) {
  console.log(formatText({ ...results, sections: [] }));
}
if (args["save"]) {
  const path = await saveResults(quick ? OUT_DIR : RESULTS_DIR, results);
  console.error(`\nwrote ${path}`);
}
console.error(`done in ${results.seconds} s`);
if (failures.length > 0) {
  console.error(`\nFAILED: gather's result is wrong or the formats disagree:`);
  for (const failure of failures.slice(0, 30)) console.error(`  ${failure}`);
  Deno.exit(1);
}

function emptyResults(): Results {
  const results: Results = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    machine,
    seconds: 0,
    sections: [],
    targets: [],
    skipped: missing,
  };
  if (typeof args["label"] === "string") results.label = args["label"];
  return results;
}

function stepId(step: Step): string {
  return step.kind === "compare" ? step.spec.id : step.kind;
}

function runStep(step: Step, env: BenchEnv): Promise<Section> {
  switch (step.kind) {
    case "startup":
      return runStartup(env, step.reps);
    case "compare":
      return runComparison(step.spec, env);
    case "scale":
      return runScale(env, step.options);
    case "diagnostics":
      return runDiagnosticsCost(env, step.options);
    case "deno-tasks":
      return runDenoTasks(env, step.options);
    case "cache":
      return runCacheBench(env, step.options);
    case "hash":
      return runHashBench(env, step.options);
    case "remote-cache":
      return runRemoteCache(env, step.options);
    case "watch":
      return runWatchBench(env, step.options);
    case "distributed":
      return runDistributed(env, step.options);
  }
}

function findPrograms(): Programs {
  return {
    true: findProgram("true") ?? DEFAULT_PROGRAMS.true,
    sleep: findProgram("sleep") ?? DEFAULT_PROGRAMS.sleep,
  };
}

/** Write every shape in both kinds and read each format back. */
async function checkGenerator(env: BenchEnv): Promise<string[]> {
  const problems: string[] = [];
  const shapes: Shape[] = ["chain", "wide", "diamond", "layered"];
  for (const shape of shapes) {
    for (const kind of ["async", "process"] as JobKind[]) {
      const graph = makeGraph({ shape, n: 40, layers: 4, durations: "random", seed: 3 });
      for (const style of ["exports", "loop"] as const) {
        const dir = join(OUT_DIR, `generator-${shape}-${kind}-${style}`);
        const files = await writeGraph(dir, graph, {
          kind,
          programs: env.programs,
          modUrl: env.gather.modUrl,
          style,
        });
        for (const problem of await disagreements(files, env.installed.python)) {
          problems.push(`generator ${shape} ${kind} ${style}: ${problem}`);
        }
      }
    }
  }
  return problems;
}
