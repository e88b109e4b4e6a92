/**
 * A NATS server without JetStream: the coordinator and the worker say so in
 * one line and exit 2, not with an internal error.
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "../src/deps/path.ts";
import { natsMissing, startNats } from "../tools/nats_server.ts";
import { gather } from "./_cli.ts";
import { checkout, layeredTaskFile } from "./_distributed.ts";

const missing = natsMissing();

Deno.test({
  name:
    "gather --nats and gather worker --nats on a server without JetStream: one clear line, exit 2",
  ignore: missing !== undefined && Deno.env.get("CI") !== "true",
}, async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-nojs-" }));
  try {
    const nats = await startNats(join(dir, "nats"), 20_000, false);
    try {
      const project = await checkout(join(dir, "p"), layeredTaskFile({ jobs: 1, layers: 1 }), 1);
      const env = {
        NO_COLOR: "1",
        GATHER_REMOTE_CACHE_URL: "http://127.0.0.1:9",
        GATHER_REMOTE_CACHE_TOKEN: "t",
      };
      for (
        const args of [["--nats", nats.url], ["worker", "--nats", nats.url, "--name", "w1"]]
      ) {
        const run = await gather(args, { cwd: project, env });
        assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
        assertStringIncludes(run.stderr, "runs without JetStream: start it with nats-server -js");
        assertEquals(run.stderr.includes("internal error"), false, run.stderr);
      }
    } finally {
      await nats.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
