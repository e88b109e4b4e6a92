/**
 * Jobs on workers that nobody needs any more are stopped: those of a
 * coordinator that was killed (it never said its run ended).
 *
 * @module
 */

import { assertEquals, assertMatch } from "@std/assert";
import { connect, jetstreamManager } from "../src/deps/nats.ts";
import { join } from "../src/deps/path.ts";
import { ROOT } from "./_cli.ts";
import {
  alive,
  checkout,
  distributedTest,
  pidsOf,
  startCoordinator,
  startWorker,
  stopWorkers,
  waitFor,
} from "./_distributed.ts";

const MOD = JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href);

/** How many jobs wait in the work queue (queued, or handed out and not acknowledged). */
async function queued(url: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    return (await (await jetstreamManager(nc)).streams.info("GATHER_JOBS")).state.messages;
  } finally {
    await nc.close();
  }
}

distributedTest(
  "gather --nats: a coordinator killed with SIGKILL: its workers cancel its jobs, one line each, and drop them from the queue",
  async ({ dir, env, nats }) => {
    // Far longer than the test: only a cancel ends them.
    const taskFile = [`import { job } from ${MOD};`];
    for (const n of [0, 1]) {
      taskFile.push(
        `export const s${n} = job({ inputs: [] }, (ctx) => ctx.sh\`echo $$ >> pids.txt; exec sleep 600\`);`,
      );
    }
    const text = taskFile.join("\n") + "\n";
    const coordinatorDir = await checkout(join(dir, "coordinator"), text, 0);
    const workerDir = await checkout(join(dir, "w1"), text, 0);
    const worker = startWorker(workerDir, "w1", env, ["-j", "2"]);
    try {
      const coordinator = startCoordinator(coordinatorDir, env, ["-j", "2"]);
      await waitFor("both jobs running on w1", () => pidsOf(workerDir).length === 2);
      const running = pidsOf(workerDir);
      coordinator.child.kill("SIGKILL");
      await coordinator.done;
      const cancelled = () => worker.output().split("\n").filter((line) => line.includes("⊘"));
      await waitFor("w1 to cancel both jobs", () => cancelled().length === 2);
      for (const job of ["s0", "s1"]) {
        const lines = cancelled().filter((line) => line.includes(`⊘ ${job} `));
        assertEquals(lines.length, 1, worker.output());
        assertMatch(lines[0]!, / cancelled .*: its coordinator is gone/);
      }
      assertEquals(running.filter(alive), [], "job processes still running");
      // Terminated, not given back: they never run again.
      await waitFor("the queue to be empty", async () => await queued(nats.url) === 0);
      assertEquals(worker.output().match(/▶/g)?.length, 2, worker.output());
    } finally {
      await stopWorkers([worker]);
    }
  },
);
