/**
 * A worker stopped with Ctrl-C gives its job back to the queue: a give-back
 * is an answer, not a silence, so it never counts toward the delivery limit
 * (a worker restarted many times, a deploy, a CI runner recycled, must not
 * fail the run).
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { parseEvents } from "./_cli.ts";
import {
  checkout,
  distributedTest,
  finished,
  MOD,
  startCoordinator,
  startWorker,
  stopWorkers,
  waitFor,
  type WorkerProcess,
} from "./_distributed.ts";

/** `x` runs far longer than the test where GATHER_TEST_SLOW is set, and at once elsewhere. */
const TASK_FILE = [
  `import { job } from ${MOD};`,
  `const slow = Deno.env.get("GATHER_TEST_SLOW") === "1";`,
  `export const x = job({ inputs: [] }, (ctx) =>`,
  `  (slow ? ctx.sh\`sleep 600\` : ctx.sh\`true\`).then(() => 1));`,
  "",
].join("\n");

distributedTest(
  "gather --nats: a worker stopped with Ctrl-C mid-job four times: each give-back goes back to the queue uncounted, and the run succeeds on the next worker",
  async ({ dir, env }) => {
    const coordinatorDir = await checkout(join(dir, "coordinator"), TASK_FILE, 0);
    const workerDir = await checkout(join(dir, "w1"), TASK_FILE, 0);
    const coordinator = startCoordinator(coordinatorDir, env, ["--worker-timeout", "2s", "x"]);
    const workers: WorkerProcess[] = [];
    try {
      for (let round = 1; round <= 4; round++) {
        const worker = startWorker(workerDir, "w1", { ...env, GATHER_TEST_SLOW: "1" });
        workers.push(worker);
        await waitFor(`x running on w1 (round ${round})`, () => worker.output().includes("▶ x"));
        worker.child.kill("SIGINT");
        assertEquals((await worker.done).code, 130, worker.output());
        assertStringIncludes(worker.output(), "↩ x given back to the queue");
      }
      workers.push(startWorker(await checkout(join(dir, "w2"), TASK_FILE, 0), "w2", env));
      const status = await finished(coordinator, 60_000);
      const events = parseEvents(coordinator.stdout());
      const end = events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === "x");
      assertEquals([status.code, end?.status, end?.worker], [0, "ok", "w2"], coordinator.stdout());
      // Queued again after each give-back (the live display shows it queued, not running on a
      // worker that exited), until the next worker claims it.
      const moves = events.filter((e) => e.type === "job:queued" || e.type === "job:worker")
        .map((e) => e.type === "job:worker" ? e.worker : "queued");
      assertEquals(moves, [..."1234".split("").flatMap(() => ["queued", "w1"]), "queued", "w2"]);
    } finally {
      await stopWorkers(workers);
      if (coordinator.child.pid !== undefined) {
        try {
          coordinator.child.kill("SIGKILL");
        } catch {
          // it exited
        }
      }
      await coordinator.done;
    }
  },
);
