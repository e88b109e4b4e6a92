/**
 * A distributed run's warnings say where they happened: one a worker sent is
 * of the worker's checkout, and says so.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { WarningEvent } from "../src/events.ts";
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
} from "./_distributed.ts";

distributedTest(
  "gather --nats: a warning a worker sends (a half-written output removed there) names the worker, and the worker prints it too",
  async ({ dir, env }) => {
    const text = [
      `import { job } from ${MOD};`,
      `export const writer = job({ inputs: [], outputs: ["build/*.txt"] }, (ctx) =>`,
      `  ctx.sh\`mkdir -p build; echo new > build/half.txt; exec sleep 600\`);`,
      "",
    ].join("\n");
    const coordinatorDir = await checkout(join(dir, "coordinator"), text, 0);
    await Deno.mkdir(join(coordinatorDir, "build"));
    await Deno.writeTextFile(join(coordinatorDir, "build/half.txt"), "old\n");
    const workerDir = await checkout(join(dir, "w1"), text, 0);
    const worker = startWorker(workerDir, "w1", env);
    try {
      const coordinator = startCoordinator(coordinatorDir, env, ["--grace", "2s"]);
      const half = join(workerDir, "build/half.txt");
      await waitFor("writer running on w1", async () => {
        return await Deno.readTextFile(half).then((t) => t === "new\n", () => false);
      });
      coordinator.child.kill("SIGINT");
      await finished(coordinator, 60_000);
      const warnings = parseEvents(coordinator.stdout()).filter((e): e is WarningEvent =>
        e.type === "warning" && e.message.startsWith("removed what it was writing")
      );
      assertEquals(warnings.map((w) => [w.job, w.worker]), [["writer", "w1"]]);
      assertEquals(await Deno.readTextFile(join(coordinatorDir, "build/half.txt")), "old\n");
      assert(!(await Deno.stat(half).then(() => true, () => false)), "w1's half.txt is left");
      await waitFor("w1 to say it too", () => worker.output().includes("removed what it was"));
      assertStringIncludes(worker.output(), "⚠ writer: removed what it was writing");
    } finally {
      await stopWorkers([worker]);
    }
  },
);
