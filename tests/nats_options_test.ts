import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { natsUrl, parseCli } from "../src/cli/options.ts";
import { GatherError } from "../src/errors.ts";
import { FIXTURES, gather } from "./_cli.ts";

const remote = (name: string) =>
  ({ GATHER_REMOTE_CACHE_URL: "http://127.0.0.1:1", GATHER_REMOTE_CACHE_TOKEN: "t" } as Record<
    string,
    string
  >)[name];

Deno.test("parseCli() takes --nats and --worker-timeout with a remote cache", () => {
  const options = parseCli(["--nats", "10.0.0.5:4222", "--worker-timeout", "5s"], remote, 2);
  assertEquals(options.nats, { url: "nats://10.0.0.5:4222", ackWaitMs: 5000 });
  const fromEnv = parseCli(
    [],
    (name) => name === "GATHER_NATS_URL" ? "nats://h:1" : remote(name),
    2,
  );
  assertEquals(fromEnv.nats?.url, "nats://h:1");
  assertEquals(fromEnv.nats?.ackWaitMs, 30_000);
  assertEquals(parseCli([], remote, 2).nats, undefined);
});

Deno.test("parseCli() refuses --nats without a shared cache, with --no-cache or read-only, and bad values", () => {
  const refused = (args: string[], env: (name: string) => string | undefined, text: string) =>
    assertStringIncludes(
      assertThrows(() => parseCli(args, env, 2), GatherError).message,
      text,
    );
  refused(["--nats", "127.0.0.1:4222"], () => undefined, "needs a shared cache");
  refused(["--nats", "127.0.0.1:4222", "--no-cache"], remote, "--no-cache disagree");
  refused(["--nats", "127.0.0.1:4222", "--remote-cache-read-only"], remote, "read-only disagree");
  refused(["--nats", "http://x:1"], remote, `Invalid --nats "http://x:1"`);
  refused(["--worker-timeout", "5s"], remote, "needs --nats");
  refused(["--nats", "h:1", "--worker-timeout", "10ms"], remote, "use 1s or more");
});

Deno.test("natsUrl() adds the scheme and refuses other ones", () => {
  assertEquals(natsUrl("nats://a:1/", "--nats"), "nats://a:1");
  assertEquals(natsUrl("tls://a:1", "--nats"), "tls://a:1");
  assertThrows(() => natsUrl("https://a:1", "--nats"), GatherError);
});

Deno.test("gather worker without a server, or with one that is not there, says so in one line (exit 2)", async () => {
  const none = await gather(["worker"], { env: { GATHER_NATS_URL: "" } });
  assertEquals(none.code, 2);
  assertEquals(
    none.stderr,
    "gather: gather worker needs --nats <url> (or GATHER_NATS_URL): the coordinator's NATS server\n",
  );
  const gone = await gather(["worker", "--nats", "127.0.0.1:1"]);
  assertEquals(gone.code, 2, gone.stderr);
  assertStringIncludes(
    gone.stderr,
    "gather: Cannot connect to the NATS server at nats://127.0.0.1:1",
  );
  assertEquals(gone.stderr.trim().split("\n").length, 1, gone.stderr);
});

Deno.test("gather --nats with a server that is not there fails before any job starts (exit 2)", async () => {
  const run = await gather(["-f", `${FIXTURES}wide.ts`, "--nats", "127.0.0.1:1"], {
    env: { GATHER_REMOTE_CACHE_URL: "http://127.0.0.1:1", GATHER_REMOTE_CACHE_TOKEN: "t" },
  });
  assertEquals(run.code, 2, run.stderr);
  assertStringIncludes(run.stderr, "Cannot connect to the NATS server at nats://127.0.0.1:1");
  assertEquals(run.stderr.includes("    at "), false, run.stderr);
});

Deno.test("parseCli() refuses --nats with --watch; $GATHER_NATS_URL alone leaves watch mode local", () => {
  assertStringIncludes(
    assertThrows(() => parseCli(["--watch", "--nats", "h:1"], remote, 2), GatherError).message,
    "Options --watch and --nats cannot be combined",
  );
  const env = (name: string) => name === "GATHER_NATS_URL" ? "nats://h:1" : remote(name);
  assertEquals(parseCli(["--watch"], env, 2).nats, undefined);
});

Deno.test("gather --nats in a folder with deno.json tasks and no task file says so in one line (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gather-nats-deno-" });
  try {
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ tasks: { hi: "echo hi" } }));
    const result = await gather(["--nats", "127.0.0.1:1", "hi"], {
      cwd: dir,
      env: { GATHER_REMOTE_CACHE_URL: "http://127.0.0.1:1", GATHER_REMOTE_CACHE_TOKEN: "t" },
    });
    assertEquals(result.code, 2, result.stderr);
    assertEquals(
      result.stderr,
      "gather: Option --nats runs a task file's jobs on workers, and there is no task file here: deno.json tasks run on this machine (drop --nats, or add a tasks.ts)\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
