/**
 * A distributed run of jobs with depfiles, with the real `cc -MMD -MF`, a
 * real NATS server and a real shared cache: a worker compiles, stores each
 * entry under its final key and the record of the files it read under the
 * primary key; the coordinator, which sent the primary key, finds the entry
 * through that record, brings the outputs to its checkout, and keys the
 * dependents with the final keys.
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { parseEvents, ROOT } from "./_cli.ts";
import {
  distributedTest,
  finished,
  startCoordinator,
  startWorker,
  stopWorkers,
} from "./_distributed.ts";
import { compileJobs, writeCheckout } from "./_c_tasks.ts";

const CC = Deno.env.get("CC") ?? "cc";

const FILES: Record<string, string> = {
  "deno.json": "{}\n",
  "src/common.h": "#define BASE 40\n",
  "src/a.c": '#include "common.h"\nint a(void) { return BASE + 2; }\n',
  "src/main.c":
    '#include <stdio.h>\n#include "common.h"\nint a(void);\nint main(void) { printf("%d\\n", a() + BASE); return 0; }\n',
  "tasks.ts": `import { job } from ${JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)};

const CC = ${JSON.stringify(CC)};
${
    compileJobs(["a", "main"])
  }export const link = job({ deps: objects, inputs: [], outputs: ["build/app"] }, async (ctx) => {
  await ctx.sh\`\${CC} \${objects.map((o) => ctx.result(o) as string)} -o build/app\`;
});
export default link;
`,
};

function checkout(dir: string): Promise<string> {
  return writeCheckout(dir, FILES);
}

distributedTest(
  "gather --nats: jobs with depfiles run on a worker, and the coordinator restores them through their records",
  async ({ dir, env }) => {
    const coordinator = await checkout(join(dir, "coordinator"));
    const worker = startWorker(await checkout(join(dir, "w1")), "w1", env);
    try {
      const run = startCoordinator(coordinator, env);
      const status = await finished(run, 90_000);
      assertEquals(status.code, 0, run.stderr());
      const events = parseEvents(run.stdout());
      const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
      assertEquals(
        ends.map((end) => [end.job, end.status, end.worker]).sort(),
        [["compile:a", "ok", "w1"], ["compile:main", "ok", "w1"], ["link", "ok", "w1"]],
      );
      assertEquals(events.filter((e) => e.type === "warning"), []);
      const app = await new Deno.Command(join(coordinator, "build/app")).output();
      assertEquals(new TextDecoder().decode(app.stdout), "82\n");
      // The coordinator kept the records: its next run is all local hits.
      await stopWorkers([worker]);
      const { GATHER_NATS_URL: _, ...local } = env;
      const again = startCoordinator(coordinator, local);
      assertEquals((await finished(again, 60_000)).code, 0, again.stderr());
      const cached = parseEvents(again.stdout()).filter((e): e is JobEndEvent =>
        e.type === "job:end"
      );
      assertEquals(cached.map((end) => end.cache), ["hit", "hit", "hit"]);
    } finally {
      await stopWorkers([worker]);
    }
  },
);

distributedTest(
  "gather --nats: a worker that read another header than the coordinator's: its outputs are not brought back, and the warning says why",
  async ({ dir, env }) => {
    const coordinator = await checkout(join(dir, "coordinator"));
    const other = await checkout(join(dir, "w1"));
    // Not an input of the key (a discovered one): the worker takes the job, and reads another.
    await Deno.writeTextFile(join(other, "src/common.h"), "#define BASE 41\n");
    const worker = startWorker(other, "w1", env);
    try {
      const run = startCoordinator(coordinator, env, ["compile:a"]);
      const status = await finished(run, 90_000);
      assertEquals(status.code, 0, run.stderr());
      const warnings = parseEvents(run.stdout()).filter((e) => e.type === "warning")
        .map((e) => e.type === "warning" ? e.message : "");
      const brought = warnings.find((w) => w.includes("could not be brought")) ?? "";
      assertStringIncludes(brought, "src/common.h");
      assertStringIncludes(brought, "differ");
    } finally {
      await stopWorkers([worker]);
    }
  },
);
