/**
 * The remote cache, side by side with the local one, on one generated
 * project of cached jobs (a layered DAG; each job reads one input file and
 * writes one 1 KiB output): a cold run without the remote cache, a cold run
 * (every job runs, is stored, and is uploaded to a real
 * `turborepo-remote-cache` on loopback), a local-hit run (the same checkout,
 * its outputs deleted: every job restored from the local cache), a
 * remote-hit run (a second checkout at another path with an
 * empty `.gather/`: every job downloaded, checked and restored), and a
 * local-hit run in that second checkout (its outputs deleted again: every job
 * restored from what the remote-hit run kept), and a remote-hit run in the
 * first checkout with its `.gather/` set aside: runs compared in two folders
 * compare folders too. What a run leaves is moved aside, not deleted, until
 * the section ends (see `aside.ts`: deleting thousands of files makes
 * creating the next thousands slow on this disk). A floor
 * beside them: the same downloads by a bare loop of `fetch`, no gather, as
 * many at once as gather's `-j`: what the server itself costs. Skipped, with
 * a note, when the server is not installed.
 *
 * @module
 */

import { serverMissing, startServer } from "../tools/remote-cache-server/server.ts";
import type { BenchEnv } from "./env.ts";
import { makeGraph } from "./graphs.ts";
import { Aside } from "./aside.ts";
import { measure } from "./measure.ts";
import { join, OUT_DIR } from "./paths.ts";
import { sampleOf, type Section, type Series, seriesOf } from "./section.ts";
import { num } from "./stats.ts";
import { gatherCommand } from "./tools.ts";
import { checkAllOk } from "./verify.ts";

/** Options of {@linkcode runRemoteCache}. */
export interface RemoteCacheBenchOptions {
  /** Jobs in the graph. */
  jobs: number;
  /** Runs of each kind. */
  reps: number;
  /** `-j`. */
  slots: number;
}

type Kind =
  | "cold, no remote cache"
  | "cold"
  | "local hits"
  | "remote hits"
  | "local hits, second checkout"
  | "remote hits, first checkout"
  | "server floor: the GETs alone";
const EXPECTED: Record<Kind, string> = {
  "cold, no remote cache": "miss",
  cold: "miss",
  "local hits": "hit",
  "remote hits": "hit-remote",
  "local hits, second checkout": "hit",
  "remote hits, first checkout": "hit-remote",
  "server floor: the GETs alone": "",
};

/**
 * Measure cold, local-hit and remote-hit runs of one graph.
 *
 * @param env The installed tools and the progress log.
 * @param options Jobs, runs and slots.
 * @returns The section; its facts hold `wall:<kind>` and `remote/local`.
 *
 * @example Usage
 * ```ts ignore
 * import { runRemoteCache } from "./remote_cache.ts";
 *
 * const section = await runRemoteCache(env, { jobs: 1000, reps: 3, slots: 8 });
 * ```
 */
export async function runRemoteCache(
  env: BenchEnv,
  options: RemoteCacheBenchOptions,
): Promise<Section> {
  const title =
    `Remote cache: ${options.jobs} cached jobs (layered DAG, 1 KiB output each), -j ${options.slots}`;
  const missing = serverMissing();
  if (missing !== undefined) {
    env.log(`remote cache: skipped (${missing})`);
    return {
      id: "remote-cache",
      title,
      notes: [`skipped: ${missing}`],
      problems: [],
      series: [],
      facts: {},
      table: { headers: ["run", "wall ms"], rows: [] },
    };
  }
  const root = join(OUT_DIR, `remote-cache-${options.jobs}`);
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const a = await writeProject(join(root, "a"), options.jobs, env.gather.modUrl);
  const b = await writeProject(
    join(root, "machine-b", "checkout"),
    options.jobs,
    env.gather.modUrl,
  );
  const server = await startServer({ storageDir: join(root, "server") });
  const aside = new Aside(join(root, "aside"));
  const problems: string[] = [];
  const samples = new Map<Kind, ReturnType<typeof sampleOf>[]>();
  try {
    const remote: Record<string, string> = {
      GATHER_REMOTE_CACHE_URL: server.url,
      GATHER_REMOTE_CACHE_TOKEN: server.token,
    };
    const run = async (kind: Kind, dir: string) => {
      const command = gatherCommand(
        env.installed.deno,
        env.gather.main,
        join(dir, "tasks.ts"),
        dir,
        options.slots,
        "json",
        ["--no-logs", "--no-history"],
      );
      const settings = kind === "cold, no remote cache" ? { GATHER_REMOTE_CACHE_URL: "" } : remote;
      const result = await measure({ ...command, env: settings }, { marker: '"job:start"' });
      const wrong = checkAllOk(
        result.code,
        result.stdout,
        options.jobs,
        (end) =>
          end.cache === EXPECTED[kind]
            ? undefined
            : `${end.job}: cache ${end.cache}, expected ${EXPECTED[kind]}`,
      );
      if (wrong !== undefined) problems.push(`${kind}: ${wrong} ${result.stderrTail}`);
      const list = samples.get(kind) ?? [];
      list.push(sampleOf(result, { firstJobMs: result.markerMs }));
      samples.set(kind, list);
    };
    for (let rep = 0; rep < options.reps; rep++) {
      env.log(`remote cache: round ${rep + 1} of ${options.reps}`);
      // Cold: no local entries, nothing on the server (a team of its own each round).
      for (const kind of ["cold, no remote cache", "cold"] as const) {
        await aside.move(join(a, ".gather"));
        await aside.move(join(a, "out"));
        if (kind === "cold") remote["GATHER_REMOTE_CACHE_TEAM"] = `bench-${rep}`;
        await run(kind, a);
      }
      await aside.move(join(a, "out"));
      await run("local hits", a);
      // The same checkout with an empty .gather/ (its own set aside, then put back).
      await Deno.rename(join(a, ".gather"), join(root, "a-gather"));
      await aside.move(join(a, "out"));
      await run("remote hits, first checkout", a);
      await aside.move(join(a, ".gather"));
      await Deno.rename(join(root, "a-gather"), join(a, ".gather"));
      await aside.move(join(b, ".gather"));
      await aside.move(join(b, "out"));
      await run("remote hits", b);
      await aside.move(join(b, "out"));
      await run("local hits, second checkout", b);
      const floor = samples.get("server floor: the GETs alone") ?? [];
      floor.push({ wallMs: await downloadAll(remote, join(root, "server"), options.slots) });
      samples.set("server floor: the GETs alone", floor);
    }
  } finally {
    await server.stop();
    await aside.clear();
  }
  const series: Series[] = [...samples].map(([kind, list]) => seriesOf(kind, list));
  const wall = (kind: Kind) => series.find((s) => s.label === kind)?.median.wallMs;
  const local = wall("local hits");
  const remoteHits = wall("remote hits");
  const ratio = local === undefined || remoteHits === undefined ? undefined : remoteHits / local;
  const localB = wall("local hits, second checkout");
  const ratioB = localB === undefined || remoteHits === undefined ? undefined : remoteHits / localB;
  const remoteA = wall("remote hits, first checkout");
  const ratioA = local === undefined || remoteA === undefined ? undefined : remoteA / local;
  return {
    id: "remote-cache",
    title,
    notes: [
      `${options.reps} round(s); cold, no remote cache = every job runs and is stored locally; ` +
      "cold = the same, and every entry is uploaded (the run waits for the uploads); " +
      "local hits = the same checkout with its outputs deleted; remote hits = a second checkout, " +
      "empty .gather/, every artifact downloaded from turborepo-remote-cache on loopback, checked " +
      "and restored; local hits, second checkout = that checkout again, its outputs deleted (its " +
      "entries are in the pack its remote-hit run kept); remote hits, first checkout = the " +
      "first checkout with its .gather/ set aside: remote hits in the folder of the local hits " +
      "(creating the same files costs differently in different folders on this disk); server floor = the same downloads by a bare fetch loop in the bench's " +
      "process (no Deno start-up, nothing written). Wall time includes Deno's start-up.",
    ],
    problems,
    series,
    facts: {
      "wall:cold": wall("cold"),
      "wall:cold-local-only": wall("cold, no remote cache"),
      "wall:local": local,
      "wall:remote": remoteHits,
      "remote/local": ratio,
      "wall:local-b": localB,
      "remote/local-same-checkout": ratioB,
      "wall:remote-a": remoteA,
      "remote/local-same-folder": ratioA,
      "wall:server-floor": wall("server floor: the GETs alone"),
    },
    table: {
      headers: [
        "run",
        "wall ms",
        "cpu ms",
        "peak RSS MiB",
        "vs local hits",
        "vs local hits, 2nd checkout",
      ],
      rows: series.map((s) => [
        s.label,
        num(s.median.wallMs),
        num(s.median.cpuMs),
        s.median.peakRssKb === undefined ? "" : num(s.median.peakRssKb / 1024),
        local === undefined ? "" : `${num(s.median.wallMs / local)}×`,
        localB === undefined ? "" : `${num(s.median.wallMs / localB)}×`,
      ]),
    },
  };
}

/** Download every artifact of the round's team with a bare loop of `fetch`, `slots` at once; ms. */
async function downloadAll(
  remote: Record<string, string>,
  storage: string,
  slots: number,
): Promise<number> {
  const team = remote["GATHER_REMOTE_CACHE_TEAM"]!;
  const hashes = [...Deno.readDirSync(join(storage, team))]
    .map((entry) => entry.name)
    .filter((name) => !name.endsWith(".tag"));
  const headers = { authorization: `Bearer ${remote["GATHER_REMOTE_CACHE_TOKEN"]}` };
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: slots }, async () => {
    while (next < hashes.length) {
      const hash = hashes[next++]!;
      const url = `${remote["GATHER_REMOTE_CACHE_URL"]}/v8/artifacts/${hash}?slug=${team}`;
      await (await fetch(url, { headers })).arrayBuffer();
    }
  }));
  return performance.now() - started;
}

/** Write a project of `jobs` cached jobs in a layered DAG. */
async function writeProject(dir: string, jobs: number, modUrl: string): Promise<string> {
  const graph = makeGraph({ shape: "layered", n: jobs, layers: 10, seed: 11 });
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  for (const job of graph.jobs) {
    await Deno.writeTextFile(join(dir, "src", `${job.name}.txt`), `input of ${job.name}\n`);
  }
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
  }, async () => {
    const text = await Deno.readTextFile("src/" + name + ".txt");
    await Deno.mkdir("out", { recursive: true });
    await Deno.writeTextFile("out/" + name + ".txt", text.repeat(1024 / text.length + 1).slice(0, 1024));
    return i;
  }));
}
export default jobs;
`,
  );
  return dir;
}
