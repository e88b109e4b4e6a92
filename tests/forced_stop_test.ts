/**
 * A second signal ("stop at once") ends the wait for cancelled jobs; it
 * blames a job for ignoring its cancellation only when the job had a fair
 * chance to stop (a second on this machine, or the grace period if shorter).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { job, run } from "../mod.ts";
import type { GatherEvent, JobEndEvent } from "../src/events.ts";

async function stopTwice(secondAfterMs: number) {
  const stop = new AbortController();
  const force = new AbortController();
  const events: GatherEvent[] = [];
  let started!: () => void;
  const running = new Promise<void>((resolve) => started = resolve);
  const deaf = job(() => {
    started();
    return new Promise<never>(() => {}); // never ends, whatever its signal says
  });
  const report = run({ deaf }, {
    signal: stop.signal,
    forceSignal: force.signal,
    grace: "10s",
    onEvent: (event) => events.push(event),
  });
  await running;
  stop.abort(new Error("interrupted by SIGINT"));
  await new Promise((resolve) => setTimeout(resolve, secondAfterMs));
  force.abort(new Error("interrupted by SIGINT again"));
  const result = await report;
  const end = events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === "deaf");
  const blamed = events.filter((e) => e.type === "diagnostic" && e.kind === "ignored-cancellation");
  return { result, end, blamed };
}

Deno.test("a second signal right after the first stops the jobs without saying they ignored their cancellation", async () => {
  const { result, end, blamed } = await stopTwice(10);
  assertEquals(result.status, "cancelled");
  assertEquals(end?.status, "cancelled");
  assertEquals(end?.ignoredCancellation, undefined);
  assertEquals(blamed, []);
});

Deno.test("a second signal after the job had a fair chance still names it as ignoring its cancellation", async () => {
  const { result, end, blamed } = await stopTwice(1_200);
  assertEquals(result.status, "cancelled");
  assert(end?.ignoredCancellation, JSON.stringify(end));
  assertEquals(blamed.length, 1);
  const message = blamed[0]!.type === "diagnostic" ? blamed[0]!.message : "";
  assertStringIncludes(message, 'Job "deaf" was still running');
  assertStringIncludes(message, "when told to stop at once");
});
