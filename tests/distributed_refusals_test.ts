/**
 * Why a worker refuses a job, and what becomes of it: only the job's own
 * declarations (and its dependencies') can make a worker refuse it.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
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
      await stopWorkers([worker]);
    }
  },
);

/**
 * A project whose `useDep` reads `src/dep.txt`, and whose `hold` (another
 * task file) waits until the test creates `release`.
 */
async function project(at: string, dep: string, release: string): Promise<string> {
  const dir = await checkout(at, "", 0);
  await Deno.writeTextFile(join(dir, "src", "dep.txt"), dep);
  await Deno.writeTextFile(
    join(dir, "tasks.ts"),
    [
      `import { job } from ${MOD};`,
      `export const useDep = job({ inputs: ["src/dep.txt"], outputs: ["out/use.txt"] }, async () => {`,
      `  const text = await Deno.readTextFile("src/dep.txt");`,
      `  await Deno.mkdir("out", { recursive: true });`,
      `  await Deno.writeTextFile("out/use.txt", text);`,
      `  return text;`,
      `});`,
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(
    join(dir, "hold.ts"),
    [
      `import { job } from ${MOD};`,
      `export const hold = job({ inputs: [] }, async () => {`,
      `  while (true) {`,
      `    try { await Deno.stat(${JSON.stringify(release)}); return; } catch { /* not yet */ }`,
      `    await new Promise((r) => setTimeout(r, 50));`,
      `  }`,
      `});`,
      "",
    ].join("\n"),
  );
  return dir;
}

distributedTest(
  "gather --nats: a job a worker refuses (another input here) goes to another worker, and the run succeeds",
  async ({ dir, env }) => {
    const release = join(dir, "release");
    const coordinatorDir = await project(join(dir, "coordinator"), "same\n", release);
    const good = await project(join(dir, "w1"), "same\n", release);
    const other = await project(join(dir, "w2"), "changed\n", release);
    const workers: WorkerProcess[] = [];
    try {
      // w1, alone, takes another run's job that holds its only slot.
      workers.push(startWorker(good, "w1", env, ["-j", "1"]));
      const holder = startCoordinator(await project(join(dir, "holder"), "x\n", release), env, [
        "-f",
        "hold.ts",
      ]);
      await waitFor("w1 to run hold", () => workers[0]!.output().includes("▶ hold"));
      // Then w2 is the only free worker: it takes useDep and refuses it.
      workers.push(startWorker(other, "w2", env, ["-j", "1"]));
      const run = startCoordinator(coordinatorDir, env, ["useDep"]);
      await waitFor("w2 to refuse useDep", () => workers[1]!.output().includes("refused useDep"));
      // w1's slot frees up: the job comes back to it.
      await Deno.writeTextFile(release, "");
      assertEquals((await finished(holder, 60_000)).code, 0, holder.stderr());
      const status = await finished(run, 60_000);
      const all = run.stdout() + run.stderr() + workers.map((w) => w.output()).join("\n");
      assertEquals(status.code, 0, all);
      const events = parseEvents(run.stdout());
      const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
      assertEquals(ends.map((end) => [end.job, end.status, end.worker]), [["useDep", "ok", "w1"]]);
      assertEquals(events.filter((e) => e.type === "warning"), [], all);
      assertEquals(await Deno.readTextFile(join(coordinatorDir, "out", "use.txt")), "same\n");
      assertStringIncludes(workers[1]!.output(), "(on w2: input src/dep.txt changed)");
    } finally {
      await stopWorkers(workers);
    }
  },
);

distributedTest(
  "gather --nats: a job every worker refuses runs on the coordinator, with one warning naming the workers and why",
  async ({ dir, env }) => {
    const release = join(dir, "release");
    const coordinatorDir = await project(join(dir, "coordinator"), "same\n", release);
    const worker = startWorker(await project(join(dir, "w2"), "changed\n", release), "w2", env);
    try {
      const run = startCoordinator(coordinatorDir, env, ["useDep"]);
      const status = await finished(run, 60_000);
      assertEquals(status.code, 0, run.stderr() + worker.output());
      const events = parseEvents(run.stdout());
      const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
      assertEquals(ends.map((end) => [end.job, end.status, end.worker]), [
        ["useDep", "ok", undefined],
      ]);
      const warnings = events.filter((e) => e.type === "warning").map((e) =>
        (e as { message: string }).message
      );
      assertEquals(warnings.length, 1, warnings.join("\n"));
      assertStringIncludes(warnings[0]!, "runs on the coordinator");
      assertStringIncludes(warnings[0]!, "every worker it went to refused it (w2;");
      assertStringIncludes(warnings[0]!, `Worker "w2" refused "useDep"`);
      assertStringIncludes(warnings[0]!, "(on w2: input src/dep.txt changed)");
      assert(!warnings[0]!.includes("(here:"));
      assertEquals(await Deno.readTextFile(join(coordinatorDir, "out", "use.txt")), "same\n");
      // The worker took it once, and only said no when it came back.
      assertEquals(worker.output().match(/▶ useDep/g)?.length, 1, worker.output());
    } finally {
      await stopWorkers([worker]);
    }
  },
);

distributedTest(
  "gather worker: without the remote cache's token it refuses to start, in one line, exit 2",
  async ({ dir, env }) => {
    const release = join(dir, "release");
    const worker = startWorker(await project(join(dir, "w1"), "x\n", release), "w1", {
      ...env,
      GATHER_REMOTE_CACHE_TOKEN: "",
    });
    // A worker that starts serving would wait for jobs forever: stopped after a generous bound.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) =>
      timer = setTimeout(() => resolve("late"), 30_000)
    );
    const status = await Promise.race([worker.done, late]);
    clearTimeout(timer);
    if (status === "late") {
      worker.child.kill("SIGINT");
      await worker.done;
      throw new Error(`the worker started without a token: ${worker.output()}`);
    }
    assertEquals(status.code, 2, worker.output());
    const lines = worker.output().trim().split("\n");
    assertEquals(lines.length, 1, worker.output());
    assertStringIncludes(
      lines[0]!,
      `cannot use the remote cache ${env["GATHER_REMOTE_CACHE_URL"]}`,
    );
    assertStringIncludes(lines[0]!, "GATHER_REMOTE_CACHE_TOKEN");
    assert(!worker.output().includes("serving"));
  },
);

distributedTest(
  "gather --nats: a job whose entry a worker cannot upload fails with the cause, not only in the worker's log",
  async ({ dir, env }) => {
    const release = join(dir, "release");
    const coordinatorDir = await project(join(dir, "coordinator"), "same\n", release);
    // No cache address of its own (it takes the coordinator's), so nothing to check at start-up.
    const worker = startWorker(await project(join(dir, "w1"), "same\n", release), "w1", {
      ...env,
      GATHER_REMOTE_CACHE_URL: "",
      GATHER_REMOTE_CACHE_TOKEN: "",
    });
    try {
      const run = startCoordinator(coordinatorDir, env, ["useDep"]);
      assertEquals((await finished(run, 60_000)).code, 1, run.stderr() + worker.output());
      const ends = parseEvents(run.stdout()).filter((e): e is JobEndEvent => e.type === "job:end");
      assertEquals(ends.length, 1);
      const message = ends[0]!.error!.message;
      assertStringIncludes(message, "could not be uploaded to the shared cache (remote cache");
      assertStringIncludes(message, "GATHER_REMOTE_CACHE_TOKEN");
    } finally {
      await stopWorkers([worker]);
    }
  },
);
