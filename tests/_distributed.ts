/**
 * Distributed runs for tests: a layered project whose every job reads its
 * dependencies' output files and results and writes its own, checked out
 * several times (one checkout per "machine"), a real NATS server, a real
 * shared cache server, `gather worker` processes and a coordinator, all run
 * by the real CLI.
 *
 * @module
 */

import { join } from "../src/deps/path.ts";
import { serverMissing, startServer } from "../tools/remote-cache-server/server.ts";
import type { RunningServer } from "../tools/remote-cache-server/server.ts";
import { ROOT } from "./_cli.ts";
import { natsMissing, type NatsServer, startNats } from "../tools/nats_server.ts";

/** gather's `mod.ts` as a quoted specifier, for a task file's `import { job } from ${MOD};`. */
export const MOD = JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href);

/** The shape of a generated project. */
export interface ProjectShape {
  /** Jobs in all. */
  jobs: number;
  /** Layers they are spread over (each job depends on up to two of the layer before). */
  layers: number;
  /** A shell command each job runs first (`sleep 0.2`, say). @default {none} */
  command?: string;
}

/**
 * The task file of a layered project: job `jN` depends on up to two jobs of
 * the layer before, reads their outputs (`out/<dep>.txt`) and results, and
 * writes `out/jN.txt`; `all` depends on the last layer and writes
 * `out/all.txt` with every result it sees. Every job is cached (inputs:
 * `src/jN.txt`), so it can run on a worker.
 *
 * @param shape The size and the command.
 * @returns The task file's text.
 */
export function layeredTaskFile(shape: ProjectShape): string {
  const perLayer = Math.ceil(shape.jobs / shape.layers);
  const lines = [
    `import { job } from ${MOD};`,
    `type R = { n: number; sum: number; text: string };`,
    `async function work(ctx: any, n: number, deps: any[]): Promise<R> {`,
    shape.command ? `  await ctx.sh\`${shape.command}\`;` : "",
    `  const input = (await Deno.readTextFile(\`src/j\${n}.txt\`)).trim();`,
    `  let sum = n, text = input;`,
    `  for (const dep of deps) {`,
    `    const r = ctx.result(dep) as R;`,
    `    sum += r.sum;`,
    `    text += "|" + (await Deno.readTextFile(\`out/j\${r.n}.txt\`)).length;`,
    `  }`,
    `  await Deno.mkdir("out", { recursive: true });`,
    `  const own = \`j\${n}:\${text}:\${sum}\`;`,
    `  await Deno.writeTextFile(\`out/j\${n}.txt\`, own);`,
    `  ctx.log(\`j\${n} sum \${sum}\`);`,
    `  return { n, sum, text: own };`,
    `}`,
  ];
  const names: string[] = [];
  for (let n = 0; n < shape.jobs; n++) {
    const layer = Math.floor(n / perLayer);
    const deps: string[] = [];
    if (layer > 0) {
      const before = (layer - 1) * perLayer;
      const width = Math.min(perLayer, shape.jobs - before);
      deps.push(`j${before + (n * 7) % width}`);
      const second = `j${before + (n * 13 + 3) % width}`;
      if (!deps.includes(second)) deps.push(second);
    }
    lines.push(
      `export const j${n} = job({ deps: [${
        deps.join(", ")
      }], inputs: ["src/j${n}.txt"], outputs: ["out/j${n}.txt"] }, (ctx) => work(ctx, ${n}, [${
        deps.join(", ")
      }]));`,
    );
    names.push(`j${n}`);
  }
  const last = names.slice(-perLayer);
  lines.push(
    `export const all = job({ deps: [${
      last.join(", ")
    }], inputs: [], outputs: ["out/all.txt"] }, async (ctx) => {`,
    `  const seen = [${last.join(", ")}].map((dep) => (ctx.result(dep) as R).text);`,
    `  await Deno.mkdir("out", { recursive: true });`,
    `  await Deno.writeTextFile("out/all.txt", seen.join("\\n") + "\\n");`,
    `  return seen.length;`,
    `});`,
    `export default all;`,
  );
  return lines.filter((line) => line !== "").join("\n") + "\n";
}

/**
 * Make a checkout of a project.
 *
 * @param dir Where (made).
 * @param taskFile The task file's text.
 * @param jobs How many `src/jN.txt` inputs to write.
 * @returns The folder.
 */
export async function checkout(dir: string, taskFile: string, jobs: number): Promise<string> {
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile);
  for (let n = 0; n < jobs; n++) {
    await Deno.writeTextFile(join(dir, "src", `j${n}.txt`), `input ${n}\n`);
  }
  return dir;
}

/**
 * Every output file of a checkout, by path.
 *
 * @param dir The checkout.
 * @returns The files' contents.
 */
export async function outputsOf(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(join(dir, "out"))) {
    files[entry.name] = await Deno.readTextFile(join(dir, "out", entry.name));
  }
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
}

/** A `gather worker` process. */
export interface WorkerProcess {
  /** Its name. */
  name: string;
  /** The process. */
  child: Deno.ChildProcess;
  /** What it printed on stderr so far. */
  output: () => string;
  /** Resolves with its exit status (and all its output read). */
  done: Promise<Deno.CommandStatus>;
}

/**
 * Start a worker in a checkout.
 *
 * @param dir The checkout.
 * @param name Its name.
 * @param env Its environment (the NATS server, the cache's token).
 * @param args More arguments (`-j 2`).
 * @returns The worker.
 */
export function startWorker(
  dir: string,
  name: string,
  env: Record<string, string>,
  args: string[] = [],
): WorkerProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "worker", "--name", name, ...args],
    cwd: dir,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const read = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  const done = Promise.all([child.status, read]).then(([status]) => status);
  return { name, child, output: () => text, done };
}

/**
 * Stop workers with Ctrl-C (SIGINT: each gives its jobs back) and wait for them to exit.
 *
 * @param workers The workers (some may have exited already).
 */
export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const worker of workers) {
    try {
      worker.child.kill("SIGINT");
    } catch {
      // already gone
    }
  }
  await Promise.all(workers.map((worker) => worker.done));
}

/** What a distributed test gets. */
export interface DistributedContext {
  /** A temporary folder (removed after). */
  dir: string;
  /** The NATS server. */
  nats: NatsServer;
  /** The shared cache server. */
  cache: RunningServer;
  /** The environment that points gather at both. */
  env: Record<string, string>;
  /** The test's context. */
  t: Deno.TestContext;
}

/**
 * A test with its own NATS server and shared cache server, started before and
 * stopped (by pid) after, in the same test. Skipped with a note when either
 * is not installed, except in CI, where that is a failure.
 *
 * @param name The test's name.
 * @param fn The test.
 */
export function distributedTest(
  name: string,
  fn: (context: DistributedContext) => Promise<void>,
): void {
  const missing = natsMissing() ?? serverMissing();
  const ignore = missing !== undefined && Deno.env.get("CI") !== "true";
  Deno.test({ name: ignore ? `${name} (skipped: ${missing})` : name, ignore }, async (t) => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-nats-" }));
    try {
      const nats = await startNats(join(dir, "nats"));
      try {
        const cache = await startServer({ storageDir: join(dir, "cache-server") });
        try {
          const env = {
            GATHER_NATS_URL: nats.url,
            GATHER_REMOTE_CACHE_URL: cache.url,
            GATHER_REMOTE_CACHE_TOKEN: cache.token,
            GATHER_REMOTE_CACHE_TEAM: "",
            GATHER_REMOTE_CACHE_SIGNATURE_KEY: "",
          };
          await fn({ dir, nats, cache, env, t });
        } finally {
          await cache.stop();
        }
      } finally {
        await nats.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  });
}

/** A coordinator (`gather --nats`) started in the background. */
export interface CoordinatorProcess {
  /** The process. */
  child: Deno.ChildProcess;
  /** What it printed on stdout so far. */
  stdout: () => string;
  /** What it printed on stderr so far. */
  stderr: () => string;
  /** Resolves with its exit status, all its output read. */
  done: Promise<Deno.CommandStatus>;
}

/**
 * Start a coordinator (JSON events on stdout, no logs) in a checkout.
 *
 * @param dir The checkout.
 * @param env Its environment.
 * @param args More arguments.
 * @returns The process.
 */
export function startCoordinator(
  dir: string,
  env: Record<string, string>,
  args: string[] = [],
): CoordinatorProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "--reporter", "json", "--no-logs", ...args],
    cwd: dir,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const reads = [
    (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) out += chunk;
    })(),
    (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
    })(),
  ];
  const done = Promise.all([child.status, ...reads]).then(([status]) => status);
  return { child, stdout: () => out, stderr: () => err, done };
}

/**
 * Whether a process is alive (a zombie is not).
 *
 * @param pid The process id.
 * @returns `true` while it runs.
 */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/**
 * Wait until a condition holds.
 *
 * @param what What is waited for, for the error.
 * @param test The condition.
 * @param timeoutMs How long at most.
 */
export async function waitFor(
  what: string,
  test: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!await test()) {
    if (performance.now() > until) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The process ids a checkout's jobs wrote to `pids.txt` (one per line).
 *
 * @param dir The checkout.
 * @returns The ids.
 */
export function pidsOf(dir: string): number[] {
  try {
    return Deno.readTextFileSync(join(dir, "pids.txt")).split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * A task file of `count` independent cached jobs that each write their shell's
 * pid to `pids.txt` and sleep for a long time (replaced by `sleep`: same pid).
 *
 * @param count How many.
 * @returns The task file's text.
 */
export function sleepersTaskFile(count: number): string {
  const lines = [
    `import { job } from ${MOD};`,
  ];
  for (let n = 0; n < count; n++) {
    lines.push(
      `export const s${n} = job({ inputs: [] }, (ctx) => ctx.sh\`echo $$ >> pids.txt; exec sleep 60\`);`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Wait for a coordinator to exit; past the time limit, kill it and fail (a
 * run that would wait forever for a worker that is gone).
 *
 * @param coordinator The coordinator.
 * @param timeoutMs How long at most.
 * @returns Its exit status.
 */
export async function finished(
  coordinator: CoordinatorProcess,
  timeoutMs = 120_000,
): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) =>
    timer = setTimeout(() => resolve("late"), timeoutMs)
  );
  const status = await Promise.race([coordinator.done, late]);
  clearTimeout(timer);
  if (status !== "late") return status;
  coordinator.child.kill("SIGKILL");
  await coordinator.done;
  throw new Error(
    `the coordinator was still running after ${timeoutMs}ms: ${coordinator.stderr()}`,
  );
}
