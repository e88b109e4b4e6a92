/**
 * The targets of the performance issue, judged on a full run's figures.
 *
 * @module
 */

import { RUN_2 } from "./compare.ts";
import type { Section } from "./section.ts";
import { num } from "./stats.ts";

/** One target and how the run did. */
export interface Target {
  /** What is asked. */
  goal: string;
  /** What was measured. */
  measured: string;
  /** Whether it is met; `undefined` if the figures are missing. */
  met: boolean | undefined;
}

/**
 * Judge the targets.
 *
 * @param sections The sections of a full run.
 * @returns One entry per target.
 *
 * @example Usage
 * ```ts
 * import { judgeTargets } from "./targets.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(judgeTargets([])[0]!.met, undefined);
 * ```
 */
export function judgeTargets(sections: readonly Section[]): Target[] {
  const fact = (id: string, key: string): number | undefined => {
    const value = sections.find((s) => s.id === id)?.facts[key];
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
  };
  const targets: Target[] = [];
  const check = (
    goal: string,
    value: number | undefined,
    shown: string,
    ok: (v: number) => boolean,
  ) =>
    targets.push({
      goal,
      measured: value === undefined ? "not measured" : shown,
      met: value === undefined ? undefined : ok(value),
    });

  const wall = fact("overhead", "wall:gather");
  const jobs = fact("overhead", "jobs");
  check("100,000 no-op jobs end to end < 1500 ms", wall, `${num(wall)} ms`, (v) => v < 1500);
  const rss = fact("overhead", "rss:gather");
  const perJob = rss === undefined || jobs === undefined ? undefined : rss / jobs; // KiB per job
  check(
    "< 1.5 KB of memory per job (peak RSS / N)",
    perJob,
    `${num(perJob)} KB/job`,
    (v) => v < 1.5,
  );
  // The same without what the task file takes by itself (imported, nothing run).
  const taskFile = fact("overhead", "rss:task-file");
  const gathersOwn = perJob === undefined || taskFile === undefined || jobs === undefined
    ? undefined
    : perJob - taskFile / jobs;
  check(
    "… gather's own: (peak RSS - the task file's alone) / N",
    gathersOwn,
    `${num(gathersOwn)} KB/job`,
    (v) => v < 1.5,
  );
  const python = fact("overhead", "wall:python");
  const vsPython = python === undefined || wall === undefined ? undefined : python / wall;
  check(
    "≥ 10× faster than Python asyncio (same graph)",
    vsPython,
    `${num(vsPython)}×`,
    (v) => v >= 10,
  );

  const gatherProc = fact("process", "wall:gather");
  const floor = fact("process", "wall:floor");
  const vsFloor = gatherProc === undefined || floor === undefined ? undefined : gatherProc / floor;
  check(
    "1,000 `true` jobs at -j 8 within 15 % of the bare-spawn floor",
    vsFloor,
    `${num(vsFloor)}× floor`,
    (v) => v <= 1.15,
  );
  const ninja = fact("process", "wall:ninja");
  const vsNinja = gatherProc === undefined || ninja === undefined ? undefined : gatherProc / ninja;
  check("… and no slower than ninja", vsNinja, `${num(vsNinja)}× ninja`, (v) => v <= 1);

  const quality = [["quality-j4", "-j 4"], ["quality-j8", "-j 8"], [
    "quality-tight-j8",
    "-j 8, tight",
  ]];
  for (const [id, where] of quality) {
    const value = fact(id!, "quality:gather");
    check(
      `makespan / lower bound ≤ 1.05 (${where}), run 1`,
      value,
      value?.toFixed(3) ?? "",
      (v) => v <= 1.05,
    );
  }
  for (const [id, where] of quality) {
    const value = fact(id!, `quality:${RUN_2}`);
    check(
      `makespan / lower bound ≤ 1.02 (${where}), run 2`,
      value,
      value?.toFixed(3) ?? "",
      (v) => v <= 1.02,
    );
  }

  // Diagnostics: the median of paired span ratios, with and without --no-diagnostics.
  const diagnosed = [
    ["layered", "layered DAG, -j 8"],
    ["layered-process", "processes, -j 4"],
    ["process", "1,000 `true` processes"],
    ["overhead", "100,000 no-op jobs"],
  ];
  for (const [id, where] of diagnosed) {
    const cost = fact("diagnostics", `cost:${id}`);
    check(
      `diagnostics cost < 2 % of run time (${where})`,
      cost,
      `${cost === undefined ? "" : cost.toFixed(2)} %`,
      (v) => v < 2,
    );
  }

  const first = fact("startup", "firstJobMs");
  check("start-up to first job < 60 ms (ten jobs)", first, `${num(first)} ms`, (v) => v < 60);
  const list = fact("startup", "listMs");
  check("`--list` < 60 ms", list, `${num(list)} ms`, (v) => v < 60);

  const overhead = fact("deno-tasks", "startupOverheadMs");
  check(
    "`gather <task>` start-up over `deno task <task>` < 40 ms (one-task deno.json)",
    overhead,
    `${num(overhead)} ms`,
    (v) => v < 40,
  );
  const cachedRatio = fact("deno-tasks", "cachedRatio");
  check(
    "a cached rerun faster than deno task's cached rerun",
    cachedRatio,
    `${num(cachedRatio)}× deno task`,
    (v) => v < 1,
  );
  const revertRatio = fact("deno-tasks", "revertRatio");
  check(
    "… after a change is reverted (deno task keeps one entry per task)",
    revertRatio,
    `${num(revertRatio)}× deno task`,
    (v) => v < 1,
  );
  const distributed = fact("distributed", "overhead ms/job");
  check(
    "distributed run (2 workers) < 5 ms per job over a local run",
    distributed,
    `${num(distributed)} ms/job`,
    (v) => v < 5,
  );

  const scale = sections.find((s) => s.id === "scale");
  if (scale) {
    const failures = scale.problems.length;
    targets.push({
      goal: "100,000-job chain and wide graph run (every reporter, no stack overflow)",
      measured: failures === 0 ? "all ok" : `${failures} problem(s)`,
      met: failures === 0,
    });
    const growth = Object.entries(scale.facts)
      .filter(([key, value]) =>
        key.startsWith("growth:") && !key.includes("json") && typeof value === "number"
      )
      .map(([, value]) => value as number);
    const worst = growth.length > 0 ? Math.max(...growth) : undefined;
    check(
      "plain and terminal reporters: cost per job independent of N (growth ≤ 1.5×)",
      worst,
      `worst ${num(worst)}×`,
      (v) => v <= 1.5,
    );
  }
  return targets;
}
