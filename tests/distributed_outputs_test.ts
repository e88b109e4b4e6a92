/**
 * A distributed run whose workers' outputs cannot be brought to the
 * coordinator (its remote cache is unreachable, or it refuses the workers'
 * signatures) never reports them ok with stale outputs: the jobs run again
 * on the coordinator, and its checkout is what a local run leaves.
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { gather, parseEvents } from "./_cli.ts";
import {
  checkout,
  distributedTest,
  finished,
  layeredTaskFile,
  outputsOf,
  startCoordinator,
  startWorker,
  stopWorkers,
} from "./_distributed.ts";

const shape = { jobs: 4, layers: 2 };

async function check(
  dir: string,
  workerEnv: Record<string, string>,
  coordinatorEnv: Record<string, string>,
  args: string[],
): Promise<string> {
  const taskFile = layeredTaskFile(shape);
  const local = await checkout(join(dir, "local"), taskFile, shape.jobs);
  const localRun = await gather(["--reporter", "json", "--no-logs", "--no-cache"], { cwd: local });
  assertEquals(localRun.code, 0, localRun.stderr);
  const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, shape.jobs);
  // Stale outputs from an earlier run: they must not survive.
  await Deno.mkdir(join(coordinatorDir, "out"));
  for (let n = 0; n < shape.jobs; n++) {
    await Deno.writeTextFile(join(coordinatorDir, "out", `j${n}.txt`), "stale");
  }
  const worker = startWorker(
    await checkout(join(dir, "w1"), taskFile, shape.jobs),
    "w1",
    workerEnv,
  );
  try {
    const run = startCoordinator(coordinatorDir, coordinatorEnv, args);
    const status = await finished(run, 90_000);
    assertEquals(status.code, 0, run.stderr());
    const events = parseEvents(run.stdout());

    const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
    assertEquals(ends.filter((end) => end.status !== "ok"), []);
    assertEquals(await outputsOf(coordinatorDir), await outputsOf(local));
    return run.stdout();
  } finally {
    await stopWorkers([worker]);
  }
}

distributedTest(
  "gather --nats: with the coordinator's remote cache unreachable, jobs the workers ran run again on the coordinator",
  async ({ dir, env }) => {
    const out = await check(dir, env, env, ["--remote-cache", "http://127.0.0.1:9"]);
    assertStringIncludes(out, "runs again on the coordinator");
    assertStringIncludes(
      out,
      "could not be brought to this checkout: remote cache http://127.0.0.1:9",
    );
  },
);

distributedTest(
  "gather --nats: a worker signing with another key: its jobs run again on the coordinator, never ok with stale outputs",
  async ({ dir, env }) => {
    const out = await check(
      dir,
      { ...env, GATHER_REMOTE_CACHE_SIGNATURE_KEY: "the-workers-key-0123456789" },
      { ...env, GATHER_REMOTE_CACHE_SIGNATURE_KEY: "the-coordinators-key-0123456789" },
      [],
    );
    assertStringIncludes(out, "runs again on the coordinator");
    // The real cause, not a fetch that failed.
    assertStringIncludes(
      out,
      "could not be brought to this checkout: its artifact was refused for its signature",
    );
    // Its dependents run here too, saying why: not a job to mark local: true.
    assertEquals(out.includes("mark it local: true"), false, out);
    assertStringIncludes(out, "it ran on w1, which signs with another key than this machine");
    assertStringIncludes(out, "give every machine the same GATHER_REMOTE_CACHE_SIGNATURE_KEY");
  },
);
