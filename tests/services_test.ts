/**
 * Services with real processes: each probe kind, readiness timeouts, a
 * service stopped when its last dependent ends (its process gone), a crash
 * that fails its dependents with its output, a port already taken, `-j 1`.
 */
import { assert, assertEquals, assertLess, assertMatch, assertStringIncludes } from "@std/assert";
import { delay } from "@std/async/delay";
import { type GatherEvent, job, type JobContext, run, type RunReport } from "../mod.ts";
import { FIXTURES } from "./_cli.ts";
import { liveProcesses } from "./_processes.ts";

const SERVER = `${FIXTURES}services/server.ts`;

/** Start the fixture server with flags, tagged so its process can be found. */
function server(ctx: JobContext, tag: string, ...flags: string[]) {
  return ctx.exec(Deno.execPath(), ["run", "-A", SERVER, "--tag", tag, ...flags]);
}

function uniqueTag(): string {
  return `svc-${crypto.randomUUID().slice(0, 8)}`;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

const outcome = (report: RunReport, name: string) => report.jobs.find((j) => j.name === name)!;

async function eventually(test: () => Promise<boolean>, what: string, ms = 10_000) {
  const until = performance.now() + ms;
  while (!(await test())) {
    if (performance.now() > until) throw new Error(`timed out waiting until ${what}`);
    await delay(25);
  }
}

Deno.test("a service with a line probe is ready and its dependent gets the first capture group (-j 1)", async () => {
  const tag = uniqueTag();
  const api = job(
    { service: { ready: { line: /listening on http:\/\/127\.0\.0\.1:(\d+)/ }, timeout: "20s" } },
    (ctx) => server(ctx, tag),
  );
  const e2e = job({ deps: [api] }, async (ctx) => {
    const port = ctx.result(api);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    return { port, body: await response.text() };
  });
  const events: GatherEvent[] = [];
  const report = await run({ api, e2e }, { concurrency: 1, onEvent: (e) => events.push(e) });
  assertEquals(report.status, "ok");
  const { port, body } = outcome(report, "e2e").result as { port: string; body: string };
  assertMatch(port, /^\d+$/);
  assertMatch(body, /^hello from \d+$/);
  // The service ends ok: being stopped is how a service ends. Its ready value is its result.
  assertEquals(outcome(report, "api").status, "ok");
  assertEquals(outcome(report, "api").result, port);
  const ready = events.find((e) => e.type === "job:ready");
  assertEquals(ready?.type === "job:ready" && ready.probe.startsWith("line /listening on"), true);
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("a service with a port probe is ready once the port accepts connections; its dependent gets the port", async () => {
  const tag = uniqueTag();
  const port = freePort();
  const api = job(
    { service: { ready: { port } } },
    (ctx) => server(ctx, tag, "--port", String(port), "--delay", "300"),
  );
  const e2e = job({ deps: [api] }, async (ctx) => {
    const response = await fetch(`http://127.0.0.1:${ctx.result(api)}/`);
    return await response.text();
  });
  const report = await run({ api, e2e });
  assertEquals(report.status, "ok", report.errors[0]?.message);
  assertEquals(outcome(report, "api").result, port);
  assertMatch(outcome(report, "e2e").result as string, /^hello from/);
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("a service with a url probe waits for a 2xx answer; its dependent gets the URL", async () => {
  const tag = uniqueTag();
  const port = freePort();
  const url = `http://127.0.0.1:${port}/health`;
  const api = job(
    { service: { ready: { url } } },
    (ctx) => server(ctx, tag, "--port", String(port), "--delay", "300"),
  );
  const e2e = job({ deps: [api] }, async (ctx) => (await fetch(ctx.result(api))).status);
  const events: GatherEvent[] = [];
  const report = await run({ api, e2e }, { onEvent: (e) => events.push(e) });
  assertEquals(report.status, "ok", report.errors[0]?.message);
  assertEquals(outcome(report, "api").result, url);
  assertEquals(outcome(report, "e2e").result, 200);
  const ready = events.find((e) => e.type === "job:ready");
  assert(ready?.type === "job:ready" && ready.durationMs >= 250, "ready only once it answered");
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("a service declared with service: true is ready when it calls ctx.ready(value)", async () => {
  let stopped = false;
  const api = job<string>({ service: true }, async (ctx) => {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ctx.signal, onListen() {} },
      () => new Response("in-process"),
    );
    ctx.ready(`http://127.0.0.1:${server.addr.port}/`);
    await server.finished;
    stopped = true;
  });
  const e2e = job({ deps: [api] }, async (ctx) => await (await fetch(ctx.result(api))).text());
  const report = await run({ api, e2e });
  assertEquals(report.status, "ok", report.errors[0]?.message);
  assertEquals(outcome(report, "e2e").result, "in-process");
  assert(stopped, "its signal aborted, and it finished");
});

Deno.test("a service that is not ready in time fails, naming its probe and saying it printed nothing; its dependents are skipped", async () => {
  const tag = uniqueTag();
  const api = job(
    { service: { ready: { line: /listening/ }, timeout: 600 } },
    (ctx) => server(ctx, tag, "--silent"),
  );
  const e2e = job({ deps: [api] }, () => "never");
  const report = await run({ api, e2e });
  assertEquals(report.status, "failed");
  const error = outcome(report, "api").error!;
  assertStringIncludes(error.message, 'Service "api" was not ready after 0.6s');
  assertStringIncludes(error.message, "no line of its output matched /listening/");
  assertStringIncludes(error.message, "it printed nothing");
  assertEquals(outcome(report, "e2e").status, "skipped");
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("a service not ready in time shows its last output lines, and a port probe says what it saw", async () => {
  const tag = uniqueTag();
  const port = freePort();
  const api = job(
    { service: { ready: { port }, timeout: 500 } },
    (ctx) => server(ctx, tag, "--port", String(port), "--delay", "5000"),
  );
  const report = await run({ api });
  const message = outcome(report, "api").error!.message;
  assertStringIncludes(message, `port ${port} did not accept connections (connection refused)`);
  assertStringIncludes(message, `\nstarting ${tag}`);
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("a service is stopped (its process gone) as soon as its last dependent ends, not at the end of the run", async () => {
  const tag = uniqueTag();
  const api = job(
    { service: { ready: { line: /listening on http:\/\/127\.0\.0\.1:(\d+)/ } } },
    (ctx) => server(ctx, tag),
  );
  const quick = job({ deps: [api] }, () => delay(50));
  const slower = job({ deps: [api] }, () => delay(300));
  let apiEnded!: () => void;
  const ended = new Promise<void>((resolve) => apiEnded = resolve);
  // Runs on after the dependents: it sees the service's processes gone while the run goes on.
  const other = job(async () => {
    await ended;
    await eventually(async () => (await liveProcesses(tag)).length === 0, "the service is gone");
    return "gone while the run went on";
  });
  const events: GatherEvent[] = [];
  const report = await run({ api, quick, slower, other }, {
    onEvent: (e) => {
      events.push(e);
      if (e.type === "job:end" && e.job === "api") apiEnded();
    },
  });
  assertEquals(report.status, "ok", report.errors[0]?.message);
  assertEquals(outcome(report, "other").result, "gone while the run went on");
  const order = events.filter((e) => e.type === "job:end").map((e) => (e as { job: string }).job);
  assertEquals(order, ["quick", "slower", "api", "other"]);
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("a service that crashes while a dependent needs it fails; the dependent is cancelled with its output", async () => {
  const tag = uniqueTag();
  const api = job(
    { service: { ready: { line: /listening/ } } },
    (ctx) => server(ctx, tag, "--crash-after", "300"),
  );
  const e2e = job({ deps: [api] }, (ctx) => delay(10_000, { signal: ctx.signal }));
  const started = performance.now();
  const report = await run({ api, e2e }, { onFailure: "continue" });
  assertLess(performance.now() - started, 8_000);
  assertEquals(report.status, "failed");
  const apiError = outcome(report, "api").error!.message;
  assertStringIncludes(apiError, 'Service "api" stopped on its own while it was needed');
  assertStringIncludes(apiError, "crashing now: out of cheese");
  const e2eOutcome = outcome(report, "e2e");
  assertEquals(e2eOutcome.status, "cancelled");
  assertStringIncludes(e2eOutcome.error!.message, 'the service it needs, "api", failed');
  assertStringIncludes(e2eOutcome.error!.message, "crashing now: out of cheese");
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("a service whose port another process holds fails at once and says so", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    let started = false;
    const api = job({ service: { ready: { port } } }, () => void (started = true));
    const report = await run({ api });
    const message = outcome(report, "api").error!.message;
    assertStringIncludes(message, `port ${port} is already taken by process ${Deno.pid}`);
    assertEquals(started, false, "the service never started");
  } finally {
    listener.close();
  }
});

Deno.test("ctx.ready() in a job that is not a service fails it, and says what to do", async () => {
  const plain = job((ctx) => ctx.ready(1));
  const report = await run({ plain });
  assertStringIncludes(outcome(report, "plain").error!.message, "declare it with service: true");
});
