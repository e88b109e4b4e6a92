/**
 * Services through the real CLI: bad declarations are refused at load time
 * (exit 2, one line), a run with only services keeps them up until Ctrl-C
 * (exit 130, nothing left), and a service with its dependent ends on its own.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { assertComplete, FIXTURES, gather, parseEvents } from "./_cli.ts";
import { LiveGather } from "./_live.ts";
import { liveProcesses } from "./_processes.ts";

const BAD = `${FIXTURES}services/bad.ts`;
const SERVE = `${FIXTURES}services/serve.ts`;
const FAILING = `${FIXTURES}services/failing.ts`;

/** A port nothing listens on. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

for (
  const [bad, expected] of [
    ["probe", 'option "service.ready.line" must be a RegExp, e.g. /listening on/, got a string'],
    ["shape", 'option "service.ready" must be { line: /pattern/ }, { port: 8000 } or { url:'],
    ["ready", 'option "ready" belongs to a service: write service: { ready: { port: 8000 } }'],
    ["outputs", 'a service has no outputs: it is never cached, so remove "outputs"'],
    ["timeout", "a service runs until no job needs it: write service: { timeout } for how"],
  ] as const
) {
  Deno.test(`gather refuses a bad service declaration (${bad}) at load time: one line, exit 2`, async () => {
    const result = await gather(["-f", BAD], { env: { BAD: bad } });
    assertEquals(result.code, 2);
    const lines = result.stderr.trim().split("\n");
    assertEquals(lines.length, 1, result.stderr);
    assertStringIncludes(lines[0]!, `gather: Cannot schedule "api" in "${BAD}": ${expected}`);
  });
}

Deno.test("gather with only a service selected keeps it running until Ctrl-C, then exits 130 with nothing left", async () => {
  const tag = `serve-${crypto.randomUUID().slice(0, 8)}`;
  const live = new LiveGather(["-f", SERVE, "api"], { env: { TAG: tag } });
  await live.waitFor((events) => events.some((e) => e.type === "job:ready" && e.job === "api"));
  const ready = live.events.find((e) => e.type === "job:ready");
  const port = ready?.type === "job:ready" ? ready.value : undefined;
  // Still up, and still serving, well after it was ready.
  await new Promise((resolve) => setTimeout(resolve, 700));
  assertEquals(live.events.some((e) => e.type === "job:end"), false);
  assertMatch(await (await fetch(`http://127.0.0.1:${port}/`)).text(), /^hello from \d+$/);
  assertEquals((await liveProcesses(tag)).length > 0, true);
  live.kill("SIGINT");
  const result = await live.result();
  assertEquals(result.code, 130);
  assertComplete(result.events);
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("gather with a service and its dependent stops the service after it and exits 0", async () => {
  const tag = `serve-${crypto.randomUUID().slice(0, 8)}`;
  const result = await gather(["-f", SERVE, "--reporter", "json"], { env: { TAG: tag } });
  assertEquals(result.code, 0, result.stderr);
  const events = parseEvents(result.stdout);
  assertComplete(events);
  const ends = events.filter((e) => e.type === "job:end").map((e) => e.type === "job:end" && e.job);
  assertEquals(ends, ["e2e", "api"]);
  assert(events.some((e) => e.type === "job:log" && e.job === "e2e" && e.line.startsWith("hello")));
  assertEquals(await liveProcesses(tag), []);
});

Deno.test("gather's plain reporter shows when a service is ready", async () => {
  const tag = `serve-${crypto.randomUUID().slice(0, 8)}`;
  const result = await gather(["-f", SERVE, "--reporter", "plain", "--no-logs"], {
    env: { TAG: tag },
  });
  assertEquals(result.code, 0, result.stderr);
  assertMatch(result.stderr, /api +│ ● ready \d+ms \(line \/listening on .*\/ → \d+\)/);
});

Deno.test("gather's plain reporter prints a service that was never ready with its output once, and the summary names it in one line", async () => {
  const port = freePort();
  const result = await gather(["-f", FAILING, "never", "dep", "--reporter", "plain", "--no-logs"], {
    env: { PORT: String(port) },
  });
  assertEquals(result.code, 1, result.stderr);
  for (const line of ["starting up", "still loading"]) {
    assertEquals(
      result.stderr.split(line).length,
      2,
      `not printed once: ${line}\n${result.stderr}`,
    );
  }
  const why = `Service "never" was not ready after 1s: port ${port} did not accept connections`;
  assertMatch(result.stderr, new RegExp(`^never │ ✖ failed .*: ${why} \\([^)]+\\)$`, "m"));
  assertMatch(result.stderr, new RegExp(`^ {2}first failure never: ${why} \\([^)]+\\)$`, "m"));
  assertEquals(result.stderr.includes("its output"), false, result.stderr);
  // The JSON stream's error still carries the output, after its first line.
  const json = await gather(["-f", FAILING, "never", "--reporter", "json", "--no-logs"], {
    env: { PORT: String(port) },
  });
  const end = parseEvents(json.stdout).find((e) => e.type === "job:end" && e.job === "never");
  const message = end?.type === "job:end" ? end.error?.message : undefined;
  assertMatch(message ?? "", /\(connection refused\)\nits output:\nstarting up\nstill loading$/);
});

Deno.test("gather's plain reporter says which service failed under a cancelled job, and nothing more for a fail-fast cancellation", async () => {
  const result = await gather(["-f", FAILING, "e2e", "user", "--reporter", "plain", "--no-logs"]);
  assertEquals(result.code, 1, result.stderr);
  for (const name of ["e2e", "user"]) {
    assertMatch(
      result.stderr,
      new RegExp(
        `^${name} +│ ⊘ cancelled \\d+ms: the service it needs, "api", failed: Service "api" stopped on its own while it was needed: Command failed with exit code 3: echo listening;`,
        "m",
      ),
    );
  }
  // The service's output line, once: its error does not print it again.
  assertEquals(result.stderr.match(/^api +│ out of cheese$/gm)?.length, 1, result.stderr);
  const json = parseEvents(
    (await gather(["-f", FAILING, "e2e", "--reporter", "json", "--no-logs"])).stdout,
  );
  const e2e = json.find((e) => e.type === "job:end" && e.job === "e2e");
  assertEquals(e2e?.type === "job:end" && e2e.status, "cancelled");
  assertMatch(
    e2e?.type === "job:end" && e2e.reason || "",
    /^the service it needs, "api", failed: /,
  );

  const failFast = await gather([
    "-f",
    FAILING,
    "lint",
    "slow",
    "--reporter",
    "plain",
    "--no-logs",
  ]);
  assertEquals(failFast.code, 1, failFast.stderr);
  assertMatch(failFast.stderr, /^slow │ ⊘ cancelled \d+ms$/m);
});

Deno.test("gather caches a job that uses a service by the service's inputs, not by its ready value", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-svc-cache-" }));
  try {
    await Deno.writeTextFile(`${dir}/server.txt`, "v1");
    await Deno.writeTextFile(`${dir}/e2e.txt`, "test");
    await Deno.writeTextFile(
      `${dir}/tasks.ts`,
      `import { job } from "${ROOT_MOD}";
export const api = job({ service: true, inputs: ["server.txt"] }, async (ctx) => {
  ctx.ready("http://127.0.0.1:8000"); // the same every run, whatever the server's code
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
});
export const e2e = job({ deps: [api], inputs: ["e2e.txt"] }, () => {
  Deno.writeTextFileSync("runs.txt", "e2e\\n", { append: true });
});
`,
    );
    const runs = async () => {
      const result = await gather(["--no-logs"], { cwd: dir });
      assertEquals(result.code, 0, result.stderr);
      return (await Deno.readTextFile(`${dir}/runs.txt`)).trim().split("\n").length;
    };
    assertEquals(await runs(), 1);
    assertEquals(await runs(), 1); // a hit: nothing changed
    await Deno.writeTextFile(`${dir}/server.txt`, "v2");
    assertEquals(await runs(), 2); // the server changed: its test runs again
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const ROOT_MOD = new URL("../mod.ts", import.meta.url).pathname;
