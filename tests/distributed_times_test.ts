/**
 * The times of a distributed run's events: what a worker sends is stamped
 * with the coordinator's clock as it arrives, so the JSON stream's times
 * never go back, whatever the worker's clock says.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { GatherEvent } from "../src/events.ts";
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

distributedTest(
  "gather --nats: a worker whose clock is off cannot make the event stream's times go back",
  async ({ dir, env }) => {
    // On the worker (GATHER_TEST_SKEW set there only: the task files are the same), the job logs
    // with a clock an hour behind, then an hour ahead.
    const taskFile = [
      `import { job } from ${MOD};`,
      `const skew = Number(Deno.env.get("GATHER_TEST_SKEW") ?? 0);`,
      `export const a = job({ inputs: [] }, (ctx) => {`,
      `  const realNow = Date.now;`,
      `  for (const [line, by] of [["behind", -skew], ["ahead", skew]] as const) {`,
      `    Date.now = () => realNow() + by;`,
      `    try { ctx.log(line); } finally { Date.now = realNow; }`,
      `  }`,
      `  return 1;`,
      `});`,
      "",
    ].join("\n");
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, 0);
    const workerDir = await checkout(join(dir, "w1"), taskFile, 0);
    const worker = startWorker(workerDir, "w1", { ...env, GATHER_TEST_SKEW: "3600000" });
    try {
      const run = startCoordinator(coordinatorDir, env, ["a"]);
      assertEquals((await finished(run, 60_000)).code, 0, run.stderr() + worker.output());
      const events = parseEvents(run.stdout());
      assertComplete(events);
      const times = events.map((event) => event.time);
      assertEquals(times, [...times].sort((x, y) => x - y), describe(events));
      // Each line arrived after the worker took the job and before it ended.
      const at = (match: (event: GatherEvent) => boolean) => events.find(match)!.time;
      const claimed = at((e) => e.type === "job:worker");
      const ended = at((e) => e.type === "job:end");
      for (const line of ["behind", "ahead"]) {
        const time = at((e) => e.type === "job:log" && e.line === line);
        assert(claimed <= time && time <= ended, describe(events));
      }
      // And the stream spans the run's duration (an hour's skew held over would not).
      const end = events.at(-1)!;
      assert(
        end.type === "run:end" && end.time - events[0]!.time <= end.durationMs + 100,
        describe(events),
      );
    } finally {
      await stopWorkers([worker]);
    }
  },
);

function describe(events: GatherEvent[]): string {
  return events.map((e) => `${e.time} ${e.type} ${"line" in e ? e.line : ""}`).join("\n");
}
