/**
 * A distributed run's jobs wait in the work queue before a worker takes
 * them: the coordinator says so (`job:queued`), and a job runs, and is timed,
 * from its worker's claim: its `job:end`, the summary and the history leave
 * its wait out.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { join, toFileUrl } from "../src/deps/path.ts";
import type { GatherEvent, JobEndEvent, JobWorkerEvent, RunEndEvent } from "../src/events.ts";
import { History } from "../src/state/history.ts";
import { assertComplete, parseEvents } from "./_cli.ts";
import {
  checkout,
  distributedTest,
  finished,
  MOD,
  startCoordinator,
  startWorker,
  stopWorkers,
} from "./_distributed.ts";

/** Where each of a job's events is in the stream. */
function indexOf(events: GatherEvent[], type: GatherEvent["type"], job: string): number {
  return events.findIndex((e) => e.type === type && "job" in e && e.job === job);
}

distributedTest(
  "gather --nats: a job waiting for a worker is queued, not running: its duration, the summary and the history count from its claim",
  async ({ dir, env }) => {
    const taskFile = [
      `import { job } from ${MOD};`,
      `export const a = job({ inputs: [] }, (ctx) => ctx.sh\`sleep 1\`.then(() => "a"));`,
      `export const b = job({ inputs: [] }, (ctx) => ctx.sh\`sleep 1\`.then(() => "b"));`,
      "",
    ].join("\n");
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, 0);
    // One slot for two jobs: the second waits in the queue while the first runs.
    const worker = startWorker(await checkout(join(dir, "w1"), taskFile, 0), "w1", env, [
      "-j",
      "1",
    ]);
    try {
      const run = startCoordinator(coordinatorDir, env, ["-j", "2", "a", "b"]);
      assertEquals((await finished(run, 60_000)).code, 0, run.stderr() + worker.output());
      const events = parseEvents(run.stdout());
      assertComplete(events);
      const claims = events.filter((e): e is JobWorkerEvent => e.type === "job:worker");
      assertEquals(claims.map((claim) => claim.worker), ["w1", "w1"]);
      for (const job of ["a", "b"]) {
        const order = ["job:start", "job:queued", "job:worker", "job:end"] as const;
        const at = order.map((type) => indexOf(events, type, job));
        assertEquals([...at].sort((x, y) => x - y), at, `${job}: ${order.join(" < ")}`);
        assertEquals(events.filter((e) => e.type === "job:queued" && e.job === job).length, 1);
      }
      // The job the worker took second waited for the first one's whole run.
      const second = claims[1]!;
      const queuedAt = events[indexOf(events, "job:queued", second.job)]!.time;
      const end = events[indexOf(events, "job:end", second.job)] as JobEndEvent;
      assert(
        end.durationMs <= end.time - second.time + 1,
        `${second.job} is timed from its claim: ${end.durationMs}ms, claimed ${
          end.time - second.time
        }ms before its end`,
      );
      assert(end.durationMs >= 1000, `${second.job} ran its sleep 1: ${end.durationMs}ms`);
      assert(
        end.queuedMs !== undefined && end.queuedMs >= second.time - queuedAt - 1,
        `its wait is queuedMs: ${end.queuedMs}, ${second.time - queuedAt}ms from queued to claimed`,
      );
      // The summary and the history (the next run's critical-path weights) take that duration.
      const summary = (events.at(-1) as RunEndEvent).summary!;
      assertEquals(
        summary.slowest.find((job) => job.name === second.job)?.durationMs,
        end.durationMs,
      );
      const history = History.load(
        join(coordinatorDir, ".gather", "history.json"),
        toFileUrl(join(coordinatorDir, "tasks.ts")).href,
      );
      const weight = history.weights([second.job]).get(second.job)!;
      assert(
        Math.abs(weight - end.durationMs) <= 1,
        `history ${weight}, job:end ${end.durationMs}`,
      );
    } finally {
      await stopWorkers([worker]);
    }
  },
);
