/**
 * CI shards sharing one NATS server: several coordinators at once, each
 * running its own part of a project on the same workers. A run that ends
 * must not take the others' queued jobs with it.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { connect, jetstream, jetstreamManager } from "../src/deps/nats.ts";
import { join } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { assertComplete, parseEvents, ROOT } from "./_cli.ts";
import {
  distributedTest,
  finished,
  startCoordinator,
  startWorker,
  stopWorkers,
  waitFor,
  type WorkerProcess,
} from "./_distributed.ts";

const JOBS = 20;

function shardsTaskFile(): string {
  const lines = [
    `import { job } from ${JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)};`,
  ];
  for (let n = 0; n < JOBS; n++) {
    lines.push(
      `export const f${n} = job({ inputs: ["src/f${n}.txt"] }, (ctx) => ctx.sh\`sleep 1; echo m${n}\`);`,
    );
  }
  return lines.join("\n") + "\n";
}

async function shardCheckout(dir: string): Promise<string> {
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  await Deno.writeTextFile(join(dir, "tasks.ts"), shardsTaskFile());
  for (let n = 0; n < JOBS; n++) {
    await Deno.writeTextFile(join(dir, "src", `f${n}.txt`), `input ${n}\n`);
  }
  return dir;
}

distributedTest(
  "gather --nats: three shards started at once on two workers all finish (one ending does not skip the others' queued jobs)",
  async ({ dir, env }) => {
    const workers: WorkerProcess[] = [];
    for (const name of ["w1", "w2"]) {
      workers.push(startWorker(await shardCheckout(join(dir, name)), name, env, ["-j", "2"]));
    }
    try {
      const shards = [0, 1, 2].map((shard) =>
        Array.from({ length: JOBS }, (_, n) => n).filter((n) => n % 3 === shard).map((n) => `f${n}`)
      );
      const dirs = await Promise.all(shards.map((_, i) => shardCheckout(join(dir, `c${i}`))));
      const runs = shards.map((names, i) =>
        startCoordinator(dirs[i]!, env, ["-j", "8", "--worker-timeout", "3s", ...names])
      );
      const statuses = await Promise.all(runs.map((run) => finished(run, 90_000)));
      for (const [i, status] of statuses.entries()) {
        assertEquals(status.code, 0, `shard ${i}: ${runs[i]!.stderr()}`);
        const events = parseEvents(runs[i]!.stdout());
        assertComplete(events);
        const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
        assertEquals(ends.map((end) => end.job).sort(), [...shards[i]!].sort());
        assert(ends.every((end) => end.status === "ok" && end.worker !== undefined));
      }
    } finally {
      await stopWorkers(workers);
    }
  },
);

distributedTest(
  "gather --nats: a job the queue handed out that no worker ever claims fails its run, saying so, rather than wait forever",
  async ({ dir, env, nats }) => {
    const coordinatorDir = await shardCheckout(join(dir, "c"));
    const run = startCoordinator(coordinatorDir, env, ["--worker-timeout", "1s", "f0"]);
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await waitFor("the job on the queue", async () => {
        const info = await jsm.consumers.info("GATHER_JOBS", "workers").catch(() => undefined);
        return (info?.num_pending ?? 0) > 0;
      });
      // What nats-server 2.9 does on a purge filtered by subject: the shared consumer skips
      // every queued job (here another program's; gather itself no longer purges so).
      await jetstream(nc).publish("gather.jobs.other", "{}");
      await jsm.streams.purge("GATHER_JOBS", { filter: "gather.jobs.other" });
      const status = await finished(run, 60_000);
      assertEquals(status.code, 1, run.stderr());
      const ends = parseEvents(run.stdout()).filter((e): e is JobEndEvent => e.type === "job:end");
      assertEquals(ends.map((end) => [end.job, end.status]), [["f0", "failed"]]);
      assertStringIncludes(ends[0]!.error?.message ?? "", "no worker claimed it");
    } finally {
      await nc.close();
      try {
        run.child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await run.done;
    }
  },
);
