import { assert, assertEquals } from "@std/assert";
import { Deadlines } from "../src/cache/_deadlines.ts";

const aborted = (request: AbortController) =>
  new Promise<string>((resolve) =>
    request.signal.addEventListener("abort", () => resolve((request.signal.reason as Error).name))
  );

Deno.test("remote cache timeouts: each request is aborted once its own timeout has passed, oldest first", async () => {
  const deadlines = new Deadlines(60);
  const first = new AbortController();
  const second = new AbortController();
  const order: string[] = [];
  const done = [aborted(first), aborted(second)].map((p, i) =>
    p.then((name) => order.push(`${i === 0 ? "first" : "second"} ${name}`))
  );
  const start = performance.now();
  deadlines.add(first);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const secondStart = performance.now();
  deadlines.add(second);
  await done[0];
  // The second request started later: it is still in flight when the first times out.
  assertEquals(second.signal.aborted, false);
  assert(performance.now() - start >= 59);
  await done[1];
  assert(performance.now() - secondStart >= 59, "the second is timed from its own start");
  assertEquals(order, ["first TimeoutError", "second TimeoutError"]);
  assertEquals([...deadlines.requests()], []);
});

Deno.test("remote cache timeouts: a request that ends in time is never aborted, and no timer outlives the last one", async () => {
  const deadlines = new Deadlines(40);
  const answered = new AbortController();
  const slow = new AbortController();
  deadlines.add(answered);
  deadlines.add(slow);
  deadlines.delete(answered);
  assertEquals(await aborted(slow), "TimeoutError");
  assertEquals(answered.signal.aborted, false);
  // With nothing in flight no timer is left (Deno's test sanitizer fails a test that leaks one).
  const idle = new AbortController();
  deadlines.add(idle);
  deadlines.delete(idle);
  assertEquals(idle.signal.aborted, false);
});
