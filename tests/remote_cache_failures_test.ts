/**
 * The remote cache never fails a run: a server killed mid-run, one that is
 * down, hangs or answers 500 gives one warning per cause, every job runs
 * locally, and after repeated failures the server is not asked again. The
 * end of the run waits for uploads with a progress line, and Ctrl-C
 * abandons them.
 */

import { assert, assertEquals, assertLess, assertMatch } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { GatherEvent, JobEndEvent } from "../src/events.ts";
import { Output } from "../src/reporters/output.ts";
import { palette } from "../src/reporters/palette.ts";
import { PlainReporter } from "../src/reporters/plain.ts";
import { ROOT } from "./_cli.ts";
import { LiveGather } from "./_live.ts";
import { ALL, CACHED, checkout, remoteEnv, runIn, serverTest } from "./_remote_project.ts";

/** A chain of slow cached jobs, s0 -> s1 -> ... -> s5, each writing an output. */
const SLOW_TASKS = `import { job } from ${JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)};

let previous;
const all = [];
for (let i = 0; i < 6; i++) {
  const name = "s" + i;
  previous = job({ name, deps: previous ? [previous] : [], inputs: [], outputs: ["out/" + name + ".txt"] }, async () => {
    await Deno.mkdir("out", { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 250));
    await Deno.writeTextFile("out/" + name + ".txt", name);
    return name;
  });
  all.push(previous);
}
export default all;
`;

serverTest(
  "remote cache: a server killed mid-run gives a warning, and the run completes",
  {},
  async ({ server, dir }) => {
    const project = await checkout(join(dir, "slow"));
    await Deno.writeTextFile(join(project, "tasks.ts"), SLOW_TASKS);
    const run = new LiveGather(["--no-logs"], { cwd: project, env: remoteEnv(server) });
    await run.waitFor((events) => events.some((e) => e.type === "job:start" && e.job === "s2"));
    await server.kill();
    const result = await run.result();
    assertEquals(result.code, 0, result.stderr);
    const ends = result.events.filter((e): e is JobEndEvent => e.type === "job:end");
    assertEquals(ends.map((e) => [e.job, e.status, e.cache]), [
      ["s0", "ok", "miss"],
      ["s1", "ok", "miss"],
      ["s2", "ok", "miss"],
      ["s3", "ok", "miss"],
      ["s4", "ok", "miss"],
      ["s5", "ok", "miss"],
    ]);
    const warnings = warningsOf(result.events);
    assert(warnings.length >= 1 && warnings.length <= 2, warnings.join("\n"));
    assertMatch(warnings[0]!, /^remote cache http:\/\/127\.0\.0\.1:\d+: cannot connect \(/);
    assertEquals(await Deno.readTextFile(join(project, "out/s5.txt")), "s5");
  },
);

/** A stand-in server on loopback that fails in one way, and counts what it was asked. */
class BadServer {
  readonly requests: string[] = [];
  readonly url: string;
  #server: Deno.HttpServer;
  #release = new AbortController();

  constructor(answer: (request: Request) => Response | "hang") {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
      this.requests.push(`${request.method} ${new URL(request.url).pathname}`);
      const how = answer(request);
      if (how !== "hang") return how;
      const gone = AbortSignal.any([request.signal, this.#release.signal]);
      return new Promise((resolve) => {
        gone.addEventListener("abort", () => resolve(new Response(null, { status: 503 })), {
          once: true,
        });
      });
    });
    this.url = `http://127.0.0.1:${(this.#server.addr as Deno.NetAddr).port}`;
  }

  async close(): Promise<void> {
    this.#release.abort();
    await this.#server.shutdown();
  }
}

function warningsOf(events: GatherEvent[]): string[] {
  return events.flatMap((e) => e.type === "warning" ? [e.message] : []);
}

const FAILING: [string, (request: Request) => Response | "hang", string, RegExp][] = [
  [
    "hangs",
    () => "hang",
    "300ms",
    /: no answer within 300 ms \(--remote-cache-timeout\); jobs run locally$/,
  ],
  [
    "answers 500",
    () => Response.json({ message: "boom" }, { status: 500 }),
    "20s", // a loaded machine must not turn the 500 into a timeout
    /: the server failed \(GET answered HTTP 500: boom\); jobs run locally$/,
  ],
];

for (const [how, answer, timeout, message] of FAILING) {
  Deno.test(`remote cache: a server that ${how}: one warning per cause, jobs run locally, and it is not asked again`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "gather-remote-" });
    const server = new BadServer(answer);
    try {
      const project = await checkout(join(dir, "p"));
      const run = await runIn(project, {
        ...remoteEnv({ url: server.url, token: "t" }),
      }, ["--remote-cache-timeout", timeout]);
      assertEquals(run.code, 0, run.stderr);
      assertEquals(run.ran, ALL);
      assertEquals(run.warnings.length, 1, run.warnings.join("\n"));
      assertMatch(run.warnings[0]!, message);
      // The 4 cached jobs' GETs go out at once (looked up ahead of their slots), and a job
      // that ran after the first failure may upload before the third one lands (after one GET
      // that asks, without a key, how the server answers a miss); nothing after. Without the
      // limit: a GET and a PUT for each of the 4 cached jobs, the events, and that GET (10).
      assertLess(server.requests.length, 8, server.requests.join("\n"));
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("remote cache: a server that is down gives one warning, and every job runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gather-remote-" });
  try {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    listener.close();
    const project = await checkout(join(dir, "p"));
    const run = await runIn(project, remoteEnv({ url, token: "t" }));
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.ran, ALL);
    assertEquals(run.warnings, [
      `remote cache ${url}: cannot connect (connection refused); jobs run locally`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("remote cache: the run waits for its uploads with a progress line, and Ctrl-C abandons them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gather-remote-" });
  const server = new BadServer((request) =>
    request.method === "PUT" ? "hang" : new Response(null, { status: 404 })
  );
  try {
    const project = await checkout(join(dir, "p"));
    const run = new LiveGather(["--no-logs", "--remote-cache-timeout", "60s"], {
      cwd: project,
      env: remoteEnv({ url: server.url, token: "t" }),
    });
    await run.waitFor((events) => events.some((e) => e.type === "cache:upload"));
    const waiting = run.events.find((e) => e.type === "cache:upload");
    assert(waiting?.type === "cache:upload" && waiting.pending >= 1, JSON.stringify(waiting));
    assertEquals(run.events.filter((e) => e.type === "job:end").length, 5); // every job is done
    const sentAt = performance.now();
    run.kill("SIGINT");
    const result = await run.result();
    assertEquals(result.code, 130, result.stderr);
    assertLess(result.exitedAt - sentAt, 2_000);
    assertEquals(result.events.at(-1)?.type, "run:end");
    assertEquals(warningsOf(result.events), []);
    assert(server.requests.some((r) => r.startsWith("PUT ")));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("remote cache: the plain reporter prints the upload progress line", () => {
  let text = "";
  const output = new Output({ writeSync: (p) => (text += new TextDecoder().decode(p), p.length) });
  const reporter = new PlainReporter({ output, palette: palette(false) });
  reporter.handle({ type: "cache:upload", time: 0, pending: 3 });
  output.flush();
  assertEquals(text, "⇡ waiting for 3 uploads to the remote cache (Ctrl-C abandons them)\n");
});

Deno.test("remote cache: a cold run asks the server once per cached job: no record is asked for jobs that discover nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gather-remote-" });
  // A server that has nothing (every GET a miss) and takes every upload.
  const server = new BadServer((request) =>
    request.method === "GET" ? new Response(null, { status: 404 }) : new Response(null)
  );
  try {
    const project = await checkout(join(dir, "p"));
    const run = await runIn(project, remoteEnv({ url: server.url, token: "t" }));
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.ran, ALL);
    const gets = server.requests.filter((r) => r.startsWith("GET /v8/artifacts/"));
    // One GET per cached job, and at most the one that learns whether the server keeps signatures.
    assert(gets.length <= CACHED.length + 1, gets.join("\n"));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
