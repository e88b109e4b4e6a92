/**
 * A worker with several slots that refuses a job gives it back only once
 * none of its own requests for jobs is waiting at the server: another
 * worker's request takes it, not another slot of the worker that refused it.
 * Driven through the `WorkerLink` seam, with a queue that answers pulls when
 * the test says.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { join } from "../src/deps/path.ts";
import { JobScope } from "../src/engine/scope.ts";
import type { Spawner } from "../src/process/spawn.ts";
import type { Delivery, WorkerLink } from "../src/remote/dispatcher.ts";
import { type JobMessage, PROTOCOL_VERSION } from "../src/remote/protocol.ts";
import { Worker } from "../src/remote/worker.ts";
import { waitFor } from "./_distributed.ts";

Deno.test("gather worker: a job it refused goes back only once none of its slots' pulls is out", async () => {
  const root = await Deno.makeTempDir({ prefix: "gather-refusal-" });
  try {
    await Deno.writeTextFile(join(root, "tasks.ts"), "export {};\n");
    const log: string[] = [];
    const pulls: ((delivery: Delivery | undefined) => void)[] = [];
    const link: WorkerLink = {
      url: "nats://fake",
      lost: new Promise(() => {}),
      next: () => {
        log.push("pull");
        return new Promise((resolve) => pulls.push(resolve));
      },
      claim: () => Promise.resolve("go"),
      report: (_run, result) => {
        log.push(`report ${result.outcome}`);
        return Promise.resolve("recorded");
      },
      events: () => {},
      alive: () => Promise.resolve("yes"),
      listen: () => {},
      close: () => Promise.resolve(),
    };
    // Another commit's task file: the worker refuses the job.
    const message: JobMessage = {
      v: PROTOCOL_VERSION,
      run: "r1",
      job: "x",
      key: "k",
      taskFile: "tasks.ts",
      taskHash: "0".repeat(64),
      cwd: "",
      deps: [],
      cache: { url: "http://cache.invalid", team: "" },
      force: false,
      graceMs: 1_000,
      ackWaitMs: 30_000,
    };
    const delivery: Delivery = {
      text: JSON.stringify(message),
      delivery: 1,
      working: () => {},
      ack: () => log.push("ack"),
      nak: () => log.push("nak"),
      term: () => log.push("term"),
    };
    const worker = new Worker({
      link,
      slots: 2,
      worker: "w1",
      root,
      cacheDir: join(root, ".gather", "cache"),
      remote: () => ({ url: "http://cache.invalid", team: "", readOnly: false, timeoutMs: 1_000 }),
      scope: new JobScope(),
      spawner: {} as Spawner,
      forceSignal: new AbortController().signal,
      print: (line) => log.push(`print ${line.split(":")[0]}`),
    });
    const stop = new AbortController();
    const serving = worker.serve(stop.signal);
    await waitFor("both slots to pull", () => pulls.length === 2);
    pulls[0]!(delivery); // the first slot takes x, and refuses it
    await waitFor("the refusal", () => log.includes("report refused"));
    assertEquals(log.includes("nak"), false, "given back while the second slot's pull is out");
    log.push("the second slot's pull ends empty");
    pulls[1]!(undefined);
    await waitFor("x given back", () => log.includes("nak"));
    await waitFor("a slot to pull again", () => log.filter((e) => e === "pull").length >= 3);
    assertEquals(log.filter((entry) => !entry.startsWith("print")).slice(0, 6), [
      "pull",
      "pull",
      "report refused",
      "the second slot's pull ends empty",
      "nak",
      "pull",
    ]);
    let served = false;
    serving.then(() => served = true);
    stop.abort();
    await waitFor("the worker to stop", () => {
      for (const answer of pulls.splice(0)) answer(undefined); // the pulls still out end empty
      return served;
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
