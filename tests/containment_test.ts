/**
 * Nothing a run starts outlives it, whatever tries to get away: a job that
 * calls Deno.exit(), processes that leave their process group, gather killed
 * with SIGKILL, an embedded run() interrupted by Ctrl-C.
 */
import { assert, assertEquals, assertLess, assertStringIncludes } from "@std/assert";
import type { GatherEvent, JobEndEvent } from "../src/events.ts";
import { assertComplete, FIXTURES } from "./_cli.ts";
import { LiveGather, logged } from "./_live.ts";
import { liveProcesses, uniqueSleep } from "./_processes.ts";

const end = (events: GatherEvent[], job: string) =>
  events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === job);

async function until(test: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

Deno.test("a job that calls Deno.exit() fails with a clear message; the run ends in order", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", `${FIXTURES}exits.ts`, "-j", "2", "tree", "exits"], {
    env: { MARK: mark },
  });
  const result = await run.result();
  assertEquals(result.code, 1);
  assertComplete(result.events);
  assertEquals(end(result.events, "exits")?.status, "failed");
  assertStringIncludes(
    end(result.events, "exits")?.error?.message ?? "",
    'Job "exits" called Deno.exit(3), which would end gather and every other job',
  );
  assertEquals(end(result.events, "tree")?.status, "cancelled");
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("Deno.exit() from code outside every job still kills the run's process trees", async () => {
  const mark = uniqueSleep();
  const run = new LiveGather(["-f", `${FIXTURES}exits.ts`, "-j", "2", "tree", "exitsOutside"], {
    env: { MARK: mark },
  });
  await run.waitFor(logged("tree", "tree started"));
  const result = await run.result();
  assertEquals(result.code, 4);
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("an embedded run() cancels on Ctrl-C, kills its trees, and gives the signal back after", async () => {
  const mark = uniqueSleep();
  const host = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${FIXTURES}embedded.ts`],
    env: { MARK: mark },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = host.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  const readUntil = async (text: string) => {
    while (!stdout.includes(text)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`ended before "${text}": ${stdout}`);
      stdout += value;
    }
  };
  await readUntil("tree started");
  await until(async () => (await liveProcesses(mark)).length >= 2);
  host.kill("SIGINT");
  await readUntil("status cancelled");
  assertEquals(await liveProcesses(mark), []);
  // run() has returned and removed its listeners: Ctrl-C ends the program as usual.
  host.kill("SIGINT");
  const status = await host.status;
  assertEquals(status.signal, "SIGINT");
  lines.releaseLock();
  await host.stdout.cancel().catch(() => {});
  await host.stderr.cancel();
});
