/**
 * Why a worker refuses a job, and what becomes of it: only the job's own
 * declarations (and its dependencies') can make a worker refuse it.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { ROOT } from "./_cli.ts";
import { parseEvents } from "./_cli.ts";
import {
  checkout,
  distributedTest,
  finished,
  startCoordinator,
  startWorker,
  type WorkerProcess,
} from "./_distributed.ts";

const MOD = JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href);

async function stop(workers: WorkerProcess[]): Promise<void> {
  for (const worker of workers) {
    try {
      worker.child.kill("SIGINT");
    } catch {
      // already gone
    }
  }
  await Promise.all(workers.map((worker) => worker.done));
}

distributedTest(
  "gather --nats: a job of the task file that is not in the run cannot make a worker refuse the selected one",
  async ({ dir, env }) => {
    const taskFile = [
      `import { job } from ${MOD};`,
      `export const writesOutside = job({ inputs: [], outputs: ["out/w.txt"] }, async () => {`,
      `  await Deno.mkdir("out", { recursive: true });`,
      `  await Deno.writeTextFile("out/w.txt", "w");`,
      `});`,
      `export const declaresOutside = job({ inputs: [], outputs: ["../../outside2.txt"] }, () => {});`,
      "",
    ].join("\n");
    const coordinatorDir = await checkout(join(dir, "coordinator"), "", 0);
    const workerDir = await checkout(join(dir, "w1"), "", 0);
    for (const at of [coordinatorDir, workerDir]) {
      await Deno.writeTextFile(join(at, "outside.ts"), taskFile);
    }
    const worker = startWorker(workerDir, "w1", env);
    try {
      const run = startCoordinator(coordinatorDir, env, ["-f", "outside.ts", "writesOutside"]);
      const status = await finished(run, 60_000);
      assertEquals(status.code, 0, run.stderr() + run.stdout() + worker.output());
      const ends = parseEvents(run.stdout()).filter((e): e is JobEndEvent => e.type === "job:end");
      assertEquals(ends.map((end) => [end.job, end.status, end.worker]), [
        ["writesOutside", "ok", "w1"],
      ]);
      assertEquals(await Deno.readTextFile(join(coordinatorDir, "out", "w.txt")), "w");
    } finally {
      await stop([worker]);
    }
  },
);
