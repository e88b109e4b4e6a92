/**
 * Distributed runs end to end: a real `nats-server -js`, a real shared cache
 * server, `gather worker` processes in checkouts of their own and a
 * coordinator, all the real CLI, with real signals.
 *
 * @module
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { GatherEvent, JobEndEvent, JobWorkerEvent } from "../src/events.ts";
import { assertComplete, gather, parseEvents } from "./_cli.ts";
import {
  alive,
  checkout,
  distributedTest,
  finished,
  layeredTaskFile,
  outputsOf,
  pidsOf,
  sleepersTaskFile,
  startCoordinator,
  startWorker,
  stopWorkers,
  waitFor,
  type WorkerProcess,
} from "./_distributed.ts";

/**
 * Each job's log lines (its results' sums), by job: those of its last
 * delivery (a worker that died mid-job sent lines before the job moved on).
 */
function logsOf(events: GatherEvent[]): Record<string, string[]> {
  const logs: Record<string, string[]> = {};
  for (const event of events) {
    if (event.type === "job:worker") delete logs[event.job];
    if (event.type === "job:log") (logs[event.job] ??= []).push(event.line);
  }
  return logs;
}

distributedTest(
  "gather --nats: a 200-job layered graph on three workers gives the local run's outputs and results",
  async ({ dir, env }) => {
    const shape = { jobs: 200, layers: 10 };
    const taskFile = layeredTaskFile(shape);
    const local = await checkout(join(dir, "local"), taskFile, shape.jobs);
    const localRun = await gather(["--reporter", "json", "--no-logs", "--no-cache", "-j", "4"], {
      cwd: local,
    });
    assertEquals(localRun.code, 0, localRun.stderr);
    const coordinator = await checkout(join(dir, "coordinator"), taskFile, shape.jobs);
    const workers: WorkerProcess[] = [];
    for (const name of ["w1", "w2", "w3"]) {
      workers.push(
        startWorker(await checkout(join(dir, name), taskFile, shape.jobs), name, env, ["-j", "2"]),
      );
    }
    try {
      const run = startCoordinator(coordinator, env, ["-j", "8"]);
      assertEquals((await finished(run)).code, 0, run.stderr());
      const events = parseEvents(run.stdout());
      assertComplete(events);
      const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
      assertEquals(ends.length, 201);
      assert(
        ends.every((end) => end.status === "ok" && end.worker !== undefined),
        "every job on a worker",
      );
      const used = new Set(ends.map((end) => end.worker));
      assert(used.size >= 2, `the jobs spread over the workers: ${[...used]}`);
      assertEquals(await outputsOf(coordinator), await outputsOf(local));
      assertEquals(logsOf(events), logsOf(parseEvents(localRun.stdout)));
    } finally {
      await stopWorkers(workers);
    }
    for (const worker of workers) assertStringIncludes(worker.output(), "stopping");
  },
);

distributedTest(
  "gather --nats: a worker killed with SIGKILL mid-run loses no job, and none completes twice",
  async ({ dir, env }) => {
    const shape = { jobs: 40, layers: 5, command: "sleep 0.4" };
    const taskFile = layeredTaskFile(shape);
    const local = await checkout(join(dir, "local"), taskFile, shape.jobs);
    const localRun = await gather(["--reporter", "json", "--no-logs", "--no-cache", "-j", "8"], {
      cwd: local,
    });
    assertEquals(localRun.code, 0, localRun.stderr);
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, shape.jobs);
    const workers: WorkerProcess[] = [];
    for (const name of ["w1", "w2", "w3"]) {
      workers.push(
        startWorker(await checkout(join(dir, name), taskFile, shape.jobs), name, env, ["-j", "2"]),
      );
    }
    try {
      const coordinator = startCoordinator(coordinatorDir, env, [
        "-j",
        "8",
        "--worker-timeout",
        "3s",
      ]);
      const victim = workers[0]!;
      // Mid-job: it has taken a few jobs and one is running.
      await waitFor(
        "w1 to be running its third job",
        () => (victim.output().match(/▶/g) ?? []).length >= 3,
      );
      victim.child.kill("SIGKILL");
      const status = await finished(coordinator);
      assertEquals(status.code, 0, coordinator.stderr() + coordinator.stdout().slice(-3000));
      const events = parseEvents(coordinator.stdout());
      assertComplete(events);
      const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
      assert(ends.every((end) => end.status === "ok"), "every job ok");
      // Each job the victim took and did not finish moved to another worker, by redelivery.
      const claims = events.filter((e): e is JobWorkerEvent => e.type === "job:worker");
      const unfinished = claims.filter((claim) =>
        claim.worker === "w1" && ends.find((end) => end.job === claim.job)?.worker !== "w1"
      );
      assert(unfinished.length >= 1, `w1 was killed mid-job: ${victim.output()}`);
      for (const lost of unfinished) {
        assert(
          claims.some((c) => c.job === lost.job && c.worker !== "w1" && c.delivery > 1),
          `${lost.job} was redelivered`,
        );
      }
      assertEquals(await outputsOf(coordinatorDir), await outputsOf(local));
      assertEquals(logsOf(events), logsOf(parseEvents(localRun.stdout)));
    } finally {
      await stopWorkers(workers);
    }
  },
);

distributedTest(
  "gather --nats: Ctrl-C at the coordinator stops every worker's job processes within the grace period, exit 130",
  async ({ dir, env }) => {
    const taskFile = sleepersTaskFile(6);
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, 0);
    const workers: WorkerProcess[] = [];
    const checkouts: string[] = [];
    for (const name of ["w1", "w2", "w3"]) {
      const at = await checkout(join(dir, name), taskFile, 0);
      checkouts.push(at);
      workers.push(startWorker(at, name, env, ["-j", "2"]));
    }
    try {
      const coordinator = startCoordinator(coordinatorDir, env, ["-j", "6", "--grace", "3s"]);
      const pids = () => checkouts.flatMap(pidsOf);
      await waitFor("six jobs running on the workers", () => pids().length === 6);
      const running = pids();
      const interruptedAt = performance.now();
      coordinator.child.kill("SIGINT");
      const status = await finished(coordinator);
      const tookMs = performance.now() - interruptedAt;
      assert(status.code === 130 || status.signal === "SIGINT", `exit ${status.code}`);
      assert(tookMs < 3_000 + 2_500, `the coordinator exited ${Math.round(tookMs)}ms after Ctrl-C`);
      assertEquals(running.filter(alive), [], "job processes still running");
      const events = parseEvents(coordinator.stdout());
      assertComplete(events);
      assert(events.some((e) => e.type === "run:cancel"));
      // Not redelivered: no worker starts them again.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assertEquals(pids().length, 6, "a cancelled job ran again");
      for (const worker of workers) {
        assertEquals(worker.output().match(/▶/g)?.length ?? 0, 2, worker.output());
        // Each cancel line says the cause, and names no other job (the batch shared one reason).
        const lines = worker.output().split("\n").filter((line) => line.includes("⊘"));
        assertEquals(lines.length, 2, worker.output());
        for (const line of lines) {
          const [, own] = / ⊘ (s\d) cancelled /.exec(line) ?? [];
          const named = [...line.matchAll(/"(s\d)"/g)].map((match) => match[1]);
          assert(own !== undefined && named.every((name) => name === own), line);
          assertStringIncludes(line, "SIGINT");
        }
      }
    } finally {
      await stopWorkers(workers);
    }
  },
);

distributedTest(
  "gather --nats: a worker whose task file differs refuses the jobs with a clear message; with no other worker, they run on the coordinator",
  async ({ dir, env }) => {
    const shape = { jobs: 4, layers: 2 };
    const taskFile = layeredTaskFile(shape);
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, shape.jobs);
    const stale = await checkout(join(dir, "stale"), taskFile + "// another commit\n", shape.jobs);
    const worker = startWorker(stale, "stale", env, ["-j", "2"]);
    try {
      const run = startCoordinator(coordinatorDir, env);
      assertEquals((await finished(run, 90_000)).code, 0, run.stderr());
      const events = parseEvents(run.stdout());
      const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
      assert(ends.every((end) => end.status === "ok" && end.worker === undefined), run.stdout());
      const warnings = events.filter((e) => e.type === "warning").map((e) =>
        (e as { message: string }).message
      );
      const refused = warnings.filter((message) => message.includes(`Worker "stale" refused`));
      assert(refused.length >= 1, warnings.join("\n"));
      assertStringIncludes(refused[0]!, "every worker it went to refused it (stale;");
      assertStringIncludes(refused[0]!, "tasks.ts differs from the coordinator's");
      assertStringIncludes(refused[0]!, "same commit");
      assertStringIncludes(worker.output(), "refused");
    } finally {
      await stopWorkers([worker]);
    }
  },
);

distributedTest(
  "gather --nats: the NATS server stopped mid-run fails the run with a clear message, and no worker keeps a job running",
  async ({ dir, env, nats }) => {
    const taskFile = sleepersTaskFile(4);
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, 0);
    const workers: WorkerProcess[] = [];
    const checkouts: string[] = [];
    for (const name of ["w1", "w2"]) {
      const at = await checkout(join(dir, name), taskFile, 0);
      checkouts.push(at);
      workers.push(startWorker(at, name, env, ["-j", "2"]));
    }
    try {
      const coordinator = startCoordinator(coordinatorDir, env, ["-j", "4", "--grace", "2s"]);
      const pids = () => checkouts.flatMap(pidsOf);
      await waitFor("four jobs running on the workers", () => pids().length === 4);
      const running = pids();
      await nats.stop();
      const status = await finished(coordinator);
      assertEquals(status.code, 1, coordinator.stderr());
      const events = parseEvents(coordinator.stdout());
      assertComplete(events);
      const failed = events.filter((e): e is JobEndEvent =>
        e.type === "job:end" && e.status === "failed"
      );
      assert(failed.length >= 1);
      assertStringIncludes(failed[0]!.error!.message, "Lost the connection to the NATS server");
      const exits = await Promise.all(workers.map((worker) => worker.done));
      for (const [i, exit] of exits.entries()) {
        assertEquals(exit.code, 1, workers[i]!.output());
        assertStringIncludes(workers[i]!.output(), "Lost the connection to the NATS server");
      }
      assertEquals(running.filter(alive), [], "job processes still running");
    } finally {
      await stopWorkers(workers);
    }
  },
);

distributedTest(
  "gather --nats: local: true, jobs without inputs and unstorable results stay on the coordinator; results travel inline",
  async ({ dir, env }) => {
    const mod = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
    const taskFile = `import { job } from ${mod};
export const config = job(() => ({ n: 2, at: new Date(0) }));
export const build = job({ deps: [config], inputs: [], outputs: ["out/b.txt"] }, async (ctx) => {
  await Deno.mkdir("out", { recursive: true });
  await Deno.writeTextFile("out/b.txt", "n=" + ctx.result(config).n + " " + ctx.result(config).at.getTime());
  return "built";
});
export const deploy = job({ deps: [build], inputs: [], local: true }, (ctx) => {
  ctx.log("deploying " + Deno.readTextFileSync("out/b.txt") + " " + ctx.result(build));
});
export const handle = job({ inputs: [] }, () => () => 1);
export const big = job({ inputs: [] }, (ctx) => ctx.log("x".repeat(1_500_000)));
export const orphan = job({ inputs: [] }, async () => {
  Promise.reject(new Error("nobody awaits me"));
  await new Promise((resolve) => setTimeout(resolve, 200));
  return 1;
});
export const useHandle = job({ deps: [handle] }, (ctx) => ctx.log("handle is a " + typeof ctx.result(handle)));
`;
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, 0);
    const worker = startWorker(await checkout(join(dir, "w1"), taskFile, 0), "w1", env);
    try {
      const coordinator = startCoordinator(coordinatorDir, env, [
        "deploy",
        "useHandle",
        "orphan",
        "big",
      ]);
      const status = await finished(coordinator, 60_000);
      assertEquals(status.code, 0, coordinator.stderr() + coordinator.stdout());
      const events = parseEvents(coordinator.stdout());
      assertComplete(events);
      const where = Object.fromEntries(
        events.filter((e): e is JobEndEvent => e.type === "job:end").map((
          e,
        ) => [e.job, e.worker ?? "coordinator"]),
      );
      assertEquals(where, {
        config: "coordinator",
        build: "w1",
        deploy: "coordinator",
        handle: "coordinator",
        useHandle: "coordinator",
        orphan: "w1",
        big: "w1",
      });
      // A line longer than a NATS message takes is cut on the way, and says so.
      const long = events.find((e) => e.type === "job:log" && e.job === "big");
      assert(long?.type === "job:log" && long.line.startsWith("xxxxxxxx"));
      assertStringIncludes(long.line, "characters cut on the way from w1");
      // A promise a job left behind on the worker is reported here, and the worker lives on.
      const orphaned = events.find((e) => e.type === "diagnostic" && e.job === "orphan");
      assertEquals(orphaned?.type === "diagnostic" && orphaned.kind, "unhandled-rejection");
      const lines = events.flatMap((e) => e.type === "job:log" ? [e.line] : []);
      assert(lines.includes("deploying n=2 0 built"), lines.join("\n"));
      assert(lines.includes("handle is a function"), lines.join("\n"));
      const warnings = events.flatMap((e) => e.type === "warning" ? [e.message] : []);
      assert(
        warnings.some((w) => w.includes(`jobs without "inputs" run on the coordinator`)),
        warnings.join("\n"),
      );
      assert(
        warnings.some((w) =>
          w.includes("runs on the coordinator (w1 gave it back)") && w.includes("cannot travel")
        ),
        warnings.join("\n"),
      );
    } finally {
      await stopWorkers([worker]);
    }
  },
);

distributedTest(
  "gather worker: Ctrl-C gives its running jobs back to the queue at once (exit 130)",
  async ({ dir, env }) => {
    const mod = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
    const taskFile = `import { job } from ${mod};
export const a = job({ inputs: [] }, (ctx) => ctx.sh\`sleep 2\`.then(() => 1));
export const b = job({ inputs: [] }, (ctx) => ctx.sh\`sleep 2\`.then(() => 2));
`;
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, 0);
    const first = startWorker(await checkout(join(dir, "w1"), taskFile, 0), "w1", env, ["-j", "2"]);
    const workers = [first];
    try {
      const coordinator = startCoordinator(coordinatorDir, env, ["a", "b"]);
      await waitFor("w1 to run both jobs", () => (first.output().match(/▶/g) ?? []).length === 2);
      workers.push(
        startWorker(await checkout(join(dir, "w2"), taskFile, 0), "w2", env, ["-j", "2"]),
      );
      const stoppedAt = performance.now();
      first.child.kill("SIGINT");
      const exit = await first.done;
      assert(exit.code === 130 || exit.signal === "SIGINT", `w1 exit ${exit.code}`);
      assertStringIncludes(first.output(), "given back to the queue");
      const status = await finished(coordinator, 60_000);
      assertEquals(status.code, 0, coordinator.stderr());
      // Well before the 30 s worker timeout: handed back, not waited out.
      assert(performance.now() - stoppedAt < 20_000);
      const ends = parseEvents(coordinator.stdout()).filter((e): e is JobEndEvent =>
        e.type === "job:end"
      );
      assertEquals(ends.map((end) => [end.job, end.status, end.worker]).sort(), [
        ["a", "ok", "w2"],
        ["b", "ok", "w2"],
      ]);
    } finally {
      await stopWorkers(workers);
    }
  },
);

distributedTest(
  "gather worker: Ctrl-C while a run's task file still loads gives the job back, without running it",
  async ({ dir, env }) => {
    const mod = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
    // The task file takes 1.5 s to load in w1 only (the same text everywhere: the keys agree).
    const taskFile = `import { job } from ${mod};
if (Deno.env.get("GATHER_TEST_SLOW_LOAD")) await new Promise((r) => setTimeout(r, 1500));
export const a = job({ inputs: [] }, (ctx) => ctx.sh\`sleep 1\`.then(() => 1));
`;
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, 0);
    const slow = { ...env, GATHER_TEST_SLOW_LOAD: "1" };
    const first = startWorker(await checkout(join(dir, "w1"), taskFile, 0), "w1", slow);
    const workers = [first];
    try {
      const coordinator = startCoordinator(coordinatorDir, env, ["a"]);
      await waitFor("w1 to take the job", () => first.output().includes("▶ a"));
      const stoppedAt = performance.now();
      first.child.kill("SIGINT"); // while w1 still loads the run's task file
      const exit = await first.done;
      assert(exit.code === 130 || exit.signal === "SIGINT", `w1 exit ${exit.code}`);
      assertStringIncludes(first.output(), "↩ a given back to the queue");
      assert(!first.output().includes("✔ a"), first.output());
      workers.push(startWorker(await checkout(join(dir, "w2"), taskFile, 0), "w2", env));
      const status = await finished(coordinator, 60_000);
      assertEquals(status.code, 0, coordinator.stderr());
      // Handed straight to w2: not swallowed by a pull w1 still had out, which would wait out the
      // 30 s ack time. A give-back goes on the queue again as a new message: its first delivery.
      assert(performance.now() - stoppedAt < 20_000);
      assertStringIncludes(workers[1]!.output(), "▶ a  (run");
      assert(!workers[1]!.output().includes("delivery"), workers[1]!.output());
      const ends = parseEvents(coordinator.stdout()).filter((e): e is JobEndEvent =>
        e.type === "job:end"
      );
      assertEquals(ends.map((end) => [end.job, end.status, end.worker]), [["a", "ok", "w2"]]);
    } finally {
      await stopWorkers(workers);
    }
  },
);

distributedTest(
  "gather --nats: a job whose workers all die fails after the delivery limit, naming them",
  async ({ dir, env }) => {
    const mod = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
    // The job kills the worker that runs it, every time.
    const taskFile = `import { job } from ${mod};
export const bomb = job({ inputs: [] }, () => Deno.kill(Deno.pid, "SIGKILL"));
`;
    const coordinatorDir = await checkout(join(dir, "coordinator"), taskFile, 0);
    const workers: WorkerProcess[] = [];
    for (const name of ["w1", "w2", "w3"]) {
      workers.push(startWorker(await checkout(join(dir, name), taskFile, 0), name, env));
    }
    try {
      const coordinator = startCoordinator(coordinatorDir, env, ["--worker-timeout", "2s"]);
      const status = await finished(coordinator, 90_000);
      assertEquals(status.code, 1, coordinator.stderr());
      const events = parseEvents(coordinator.stdout());
      assertComplete(events);
      const end = events.find((e): e is JobEndEvent => e.type === "job:end")!;
      assertEquals(end.status, "failed");
      assertStringIncludes(
        end.error!.message,
        `Job "bomb" was handed out 3 times and never finished`,
      );
      const taken = events.flatMap((e) => e.type === "job:worker" ? [e.worker] : []);
      assertEquals(taken.length, 3);
      for (const worker of taken) assertStringIncludes(end.error!.message, worker);
    } finally {
      await stopWorkers(workers);
    }
  },
);
