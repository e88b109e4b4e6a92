/**
 * Distributed runs on this machine: one CPU-bound graph (a layered DAG of
 * cached jobs, each a `sh` busy loop of a set length) run by one local
 * process at `-j <cores>`, then by a coordinator with 2 and with 3 `gather
 * worker` processes (one slot each) on a real `nats-server -js` and a real
 * shared cache server, all on loopback. With as many slots as cores, the
 * difference from the local run over the number of jobs is what gather's
 * distribution costs per job (the queue, the claims and reports, and the
 * shared cache's uploads and downloads); the third worker shows that the
 * cores, not gather, bound the throughput. A local run with the remote cache
 * (uploads) is beside them, to tell the cache's share from the queue's.
 * Skipped, with a note, when nats-server or the cache server is missing.
 *
 * @module
 */

import { natsMissing, startNats } from "../tools/nats_server.ts";
import { serverMissing, startServer } from "../tools/remote-cache-server/server.ts";
import type { BenchEnv } from "./env.ts";
import { makeGraph } from "./graphs.ts";
import { measure } from "./measure.ts";
import { join, OUT_DIR } from "./paths.ts";
import { sampleOf, type Section, type Series, seriesOf } from "./section.ts";
import { num } from "./stats.ts";
import { gatherCommand } from "./tools.ts";
import { checkAllOk } from "./verify.ts";

/** Options of {@linkcode runDistributed}. */
export interface DistributedBenchOptions {
  /** Jobs in the graph. */
  jobs: number;
  /** CPU time of each job's busy loop, in ms. */
  jobMs: number;
  /** Runs of each kind. */
  reps: number;
}

type Kind =
  | "local"
  | "local, remote cache"
  | "2 workers"
  | "3 workers"
  | "chain: local"
  | "chain: 1 worker";

/** Jobs in the chain that measures one job's round trip. */
const CHAIN = 50;

/**
 * Measure one CPU-bound graph locally and on 2 and 3 workers.
 *
 * @param env The installed tools and the progress log.
 * @param options Jobs, their length, runs.
 * @returns The section; its facts hold `wall:<kind>` and `overhead ms/job`.
 *
 * @example Usage
 * ```ts ignore
 * import { runDistributed } from "./distributed.ts";
 *
 * const section = await runDistributed(env, { jobs: 200, jobMs: 200, reps: 2 });
 * ```
 */
export async function runDistributed(
  env: BenchEnv,
  options: DistributedBenchOptions,
): Promise<Section> {
  const cores = navigator.hardwareConcurrency;
  const title =
    `Distributed runs: ${options.jobs} CPU-bound jobs of ~${options.jobMs} ms (layered DAG), local -j ${cores} vs workers`;
  const missing = natsMissing() ?? serverMissing();
  if (missing !== undefined) {
    env.log(`distributed: skipped (${missing})`);
    return {
      id: "distributed",
      title,
      notes: [`skipped: ${missing}`],
      problems: [],
      series: [],
      facts: {},
      table: { headers: ["run", "wall ms"], rows: [] },
    };
  }
  const root = join(OUT_DIR, `distributed-${options.jobs}`);
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const loops = await calibrate(options.jobMs);
  env.log(`distributed: ${loops} shell loop iterations take ~${options.jobMs} ms here`);
  const write = (dir: string) => writeProject(dir, options.jobs, loops, env.gather.modUrl);
  const coordinator = await write(join(root, "coordinator"));
  const local = await write(join(root, "local"));
  const nats = await startNats(join(root, "nats"));
  const server = await startServer({ storageDir: join(root, "server") });
  const workers: Deno.ChildProcess[] = [];
  const problems: string[] = [];
  const samples = new Map<Kind, ReturnType<typeof sampleOf>[]>();
  const base: Record<string, string> = {
    GATHER_REMOTE_CACHE_URL: server.url,
    GATHER_REMOTE_CACHE_TOKEN: server.token,
    GATHER_REMOTE_CACHE_SIGNATURE_KEY: "",
  };
  let round = 0;
  const run = async (kind: Kind) => {
    const chain = kind.startsWith("chain");
    const dir = kind.includes("local") ? local : coordinator;
    await Deno.remove(join(dir, ".gather"), { recursive: true }).catch(() => {});
    await Deno.remove(join(dir, "out"), { recursive: true }).catch(() => {});
    const distributed = !kind.includes("local");
    const bare = kind === "local" || kind === "chain: local";
    const extra = ["--no-logs", "--no-history", ...(bare ? ["--no-cache"] : [])];
    if (distributed) extra.push("--nats", nats.url);
    const command = gatherCommand(
      env.installed.deno,
      env.gather.main,
      join(dir, chain ? "chain.ts" : "tasks.ts"),
      dir,
      distributed ? 2 * cores + 4 : cores, // workers' slots bound a distributed run, not -j
      "json",
      extra,
    );
    // A team of its own each run: the coordinator finds nothing and every job runs.
    const settings: Record<string, string> = {
      ...base,
      GATHER_REMOTE_CACHE_TEAM: `bench-${round++}`,
    };
    if (bare) settings["GATHER_REMOTE_CACHE_URL"] = "";
    const result = await measure({ ...command, env: settings }, { marker: '"job:start"' });
    const wrong = checkAllOk(
      result.code,
      result.stdout,
      chain ? CHAIN : options.jobs,
      (end) =>
        distributed && end.worker === undefined ? `${end.job} did not run on a worker` : undefined,
    );
    if (wrong !== undefined) problems.push(`${kind}: ${wrong} ${result.stderrTail}`);
    const list = samples.get(kind) ?? [];
    list.push(sampleOf(result, { firstJobMs: result.markerMs }));
    samples.set(kind, list);
  };
  const startWorker = async (n: number) => {
    const dir = await write(join(root, `worker-${n}`));
    workers.push(
      new Deno.Command(env.installed.deno, {
        args: ["run", "-A", env.gather.main, "worker", "-j", "1", "--name", `w${n}`],
        cwd: dir,
        env: { ...base, GATHER_NATS_URL: nats.url },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
  };
  // Each phase alternates its runs with local ones, so that a change in the machine's load
  // (it is shared) reaches both sides; a phase's first distributed run warms its workers up.
  const phase = async (workersWanted: number, kinds: Kind[], label: string) => {
    while (workers.length < workersWanted) await startWorker(workers.length + 1);
    const warm = kinds.find((kind) => !kind.includes("local"))!;
    env.log(`distributed: ${label}: warm-up`);
    await run(warm);
    samples.delete(warm);
    for (let rep = 0; rep < options.reps; rep++) {
      env.log(`distributed: ${label}: round ${rep + 1} of ${options.reps}`);
      for (const kind of kinds) await run(kind);
    }
  };
  try {
    await phase(1, ["chain: local", "chain: 1 worker"], "a chain on 1 worker");
    await phase(2, ["local", "local, remote cache", "2 workers"], "2 workers");
    await phase(3, ["local", "3 workers"], "3 workers");
  } finally {
    for (const worker of workers) {
      try {
        worker.kill("SIGINT");
      } catch {
        // gone
      }
      await worker.status;
    }
    await server.stop();
    await nats.stop();
  }
  const series: Series[] = [...samples].map(([kind, list]) => seriesOf(kind, list));
  const wall = (kind: Kind) => series.find((s) => s.label === kind)?.median.wallMs;
  const localMs = wall("local");
  const perJob = (kind: Kind) => {
    const ms = wall(kind);
    const chain = kind.startsWith("chain");
    const base = chain ? wall("chain: local") : localMs;
    return ms === undefined || base === undefined
      ? undefined
      : (ms - base) / (chain ? CHAIN : options.jobs);
  };
  return {
    id: "distributed",
    title,
    notes: [
      `${options.reps} round(s) each, each distributed run right after a local one (the machine's load drifts), after a warm-up run; every job is a \`sh\` loop of ${loops} iterations (~${options.jobMs} ms of CPU here), ` +
      `cached (its own input, one output file); local = one gather at -j ${cores}, --no-cache; ` +
      "local, remote cache = the same with every entry uploaded to turborepo-remote-cache; " +
      "N workers = a coordinator (gather --nats) and N `gather worker -j 1` processes already running, " +
      "nats-server -js and the cache server on loopback, all on this machine: every job is published, " +
      "claimed, run, stored, uploaded, reported and its outputs downloaded by the coordinator. " +
      "Wall time includes the coordinator's start-up; +ms/job = (wall - local wall) / jobs. " +
      `chain = ${CHAIN} jobs that only copy their input, each waiting for the one before: ` +
      "its +ms/job is one job's round trip (publish, claim, restore, run, upload, report, download), " +
      "latency rather than throughput.",
    ],
    problems,
    series,
    facts: {
      "wall:local": localMs,
      "wall:local-remote": wall("local, remote cache"),
      "wall:2-workers": wall("2 workers"),
      "wall:3-workers": wall("3 workers"),
      "overhead ms/job": perJob("2 workers"),
      "round trip ms/job": perJob("chain: 1 worker"),
    },
    table: {
      headers: ["run", "wall ms", "cpu ms", "vs local", "+ms/job"],
      rows: series.map((s) => [
        s.label,
        num(s.median.wallMs),
        num(s.median.cpuMs ?? NaN),
        localMs === undefined || s.label.startsWith("chain")
          ? ""
          : `${num(s.median.wallMs / localMs)}×`,
        perJob(s.label as Kind) === undefined ? "" : num(perJob(s.label as Kind)!),
      ]),
    },
  };
}

/** How many iterations of a `sh` counting loop take about `ms` of CPU here. */
async function calibrate(ms: number): Promise<number> {
  const time = async (loops: number) => {
    const started = performance.now();
    await new Deno.Command("sh", {
      args: ["-c", `i=0; while [ $i -lt ${loops} ]; do i=$((i+1)); done`],
    }).output();
    return performance.now() - started;
  };
  const probe = 200_000;
  const took = Math.min(await time(probe), await time(probe));
  return Math.max(1000, Math.round((probe * ms) / took));
}

/** Write a project of `jobs` cached CPU-bound jobs in a layered DAG. */
async function writeProject(
  dir: string,
  jobs: number,
  loops: number,
  modUrl: string,
): Promise<string> {
  const graph = makeGraph({ shape: "layered", n: jobs, layers: 10, seed: 5 });
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  for (const job of graph.jobs) {
    await Deno.writeTextFile(join(dir, "src", `${job.name}.txt`), `input of ${job.name}\n`);
  }
  for (let i = 0; i < CHAIN; i++) {
    await Deno.writeTextFile(join(dir, "src", `c${i}.txt`), `input of c${i}\n`);
  }
  await Deno.writeTextFile(
    join(dir, "chain.ts"),
    `import { job, type Job } from ${JSON.stringify(modUrl)};

const jobs: Job<number>[] = [];
for (let i = 0; i < ${CHAIN}; i++) {
  const name = "c" + i;
  jobs.push(job({
    name,
    deps: i === 0 ? [] : [jobs[i - 1]!],
    inputs: ["src/" + name + ".txt"],
    outputs: ["out/" + name + ".txt"],
  }, async () => {
    await Deno.mkdir("out", { recursive: true });
    await Deno.copyFile("src/" + name + ".txt", "out/" + name + ".txt");
    return i;
  }));
}
export default jobs;
`,
  );
  const deps = JSON.stringify(graph.jobs.map((job) => job.deps));
  await Deno.writeTextFile(
    join(dir, "tasks.ts"),
    `import { job, type Job } from ${JSON.stringify(modUrl)};

const DEPS: number[][] = ${deps};
const jobs: Job<number>[] = [];
for (let i = 0; i < DEPS.length; i++) {
  const name = "j" + i;
  jobs.push(job({
    name,
    deps: DEPS[i]!.map((d) => jobs[d]!),
    inputs: ["src/" + name + ".txt"],
    outputs: ["out/" + name + ".txt"],
  }, async (ctx) => {
    await ctx.sh\`i=0; while [ $i -lt ${loops} ]; do i=$((i+1)); done; mkdir -p out; cp src/\${name}.txt out/\${name}.txt\`;
    return i;
  }));
}
export default jobs;
`,
  );
  return dir;
}
