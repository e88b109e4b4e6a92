/**
 * Jobs on workers that nobody needs any more are stopped: those of a
 * coordinator that was killed (it never said its run ended), and the copy a
 * slow worker still runs of a job another worker has reported.
 *
 * @module
 */

import { assertEquals, assertMatch } from "@std/assert";
import { connect, jetstreamManager } from "../src/deps/nats.ts";
import { join } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { parseEvents } from "./_cli.ts";
import {
  alive,
  checkout,
  distributedTest,
  finished,
  MOD,
  pidsOf,
  startCoordinator,
  startWorker,
  stopWorkers,
  waitFor,
  type WorkerProcess,
} from "./_distributed.ts";

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

distributedTest(
  "gather --nats: a job redelivered while its first worker was stopped: once the second reports, the first is told to stop its copy",
  async ({ dir, env }) => {
    // On w1 (GATHER_TEST_SLOW set there only) x runs far longer than the test; on w2 at once.
    // `hold` keeps the run going until the test is done with w1.
    const text = [
      `import { job } from ${MOD};`,
      `const slow = Deno.env.get("GATHER_TEST_SLOW") === "1";`,
      `export const x = job({ inputs: [] }, (ctx) =>`,
      `  (slow ? ctx.sh\`echo $$ >> pids.txt; exec sleep 600\` : ctx.sh\`true\`).then(() => 1));`,
      `export const hold = job({ local: true }, async () => {`,
      `  while (!(await Deno.stat("release").then(() => true, () => false))) {`,
      `    await new Promise((resolve) => setTimeout(resolve, 50));`,
      `  }`,
      `});`,
      "",
    ].join("\n");
    const coordinatorDir = await checkout(join(dir, "coordinator"), text, 0);
    const w1Dir = await checkout(join(dir, "w1"), text, 0);
    const first = startWorker(w1Dir, "w1", { ...env, GATHER_TEST_SLOW: "1" }, ["-j", "1"]);
    const workers: WorkerProcess[] = [first];
    try {
      const coordinator = startCoordinator(coordinatorDir, env, [
        "--worker-timeout",
        "2s",
        "x",
        "hold",
      ]);
      await waitFor("x running on w1", () => pidsOf(w1Dir).length === 1);
      const [copy] = pidsOf(w1Dir);
      // Silent, not dead: the queue gives x to w2 after the worker timeout.
      first.child.kill("SIGSTOP");
      workers.push(startWorker(await checkout(join(dir, "w2"), text, 0), "w2", env, ["-j", "1"]));
      const ended = () =>
        parseEvents(coordinator.stdout()).find((e): e is JobEndEvent =>
          e.type === "job:end" && e.job === "x"
        );
      try {
        await waitFor("x to end, reported by w2", () => ended() !== undefined);
      } finally {
        first.child.kill("SIGCONT");
      }
      assertEquals([ended()!.status, ended()!.worker], ["ok", "w2"]);
      // w1 reads what came while it was stopped: the cancel of its copy.
      await waitFor("w1 to end its copy of x", () => /[✔✖⊘] x /.test(first.output()));
      assertMatch(first.output(), /⊘ x cancelled .*: w2 reported it first/);
      await waitFor("w1's copy of x to stop", () => !alive(copy!));
      await Deno.writeTextFile(join(coordinatorDir, "release"), "");
      assertEquals((await finished(coordinator, 60_000)).code, 0, coordinator.stderr());
    } finally {
      await stopWorkers(workers);
    }
  },
);
