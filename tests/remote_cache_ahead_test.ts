/**
 * Remote lookups ahead of the job slots, against the real server through a
 * recording proxy: jobs waiting for a slot are looked up while they wait,
 * each key is asked for once, and a dependent is never looked up before its
 * dependencies have settled (its key depends on what they restored).
 */

import { assert, assertEquals } from "@std/assert";
import { join } from "../src/deps/path.ts";
import type { GatherEvent } from "../src/events.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";
import { remoteEnv, serverTest } from "./_remote_project.ts";
import { gatherJson, writeFiles } from "./_deno_project.ts";

const CACHED = ["c1", "c2", "c3", "c4", "c5", "c6"];

/**
 * `hog` (not cached) heads the longest chain: with `-j 1` it takes the only
 * slot first, for 400 ms, while the cached jobs wait; `after` depends on `c1`.
 */
const TASK_FILE = `import { job } from ${JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)};

export const hog = job(() => new Promise((resolve) => setTimeout(resolve, 400)));
export const hogTail = job({ deps: [hog] }, () => {});
export const hogEnd = job({ deps: [hogTail] }, () => {});
${
  CACHED.map((name) =>
    `export const ${name} = job({ inputs: ["src/${name}.txt"], outputs: ["out/${name}.txt"] }, async () => {
  await Deno.mkdir("out", { recursive: true });
  await Deno.writeTextFile("out/${name}.txt", "made by ${name}");
  return "${name}";
});`
  ).join("\n")
}
export const after = job({ deps: [c1], inputs: ["out/c1.txt"], outputs: ["out/after.txt"] }, async (ctx) => {
  await Deno.writeTextFile("out/after.txt", ctx.result(c1) + " then after");
});
`;

async function checkout(dir: string): Promise<string> {
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  for (const name of CACHED) await Deno.writeTextFile(join(dir, "src", `${name}.txt`), name);
  await Deno.writeTextFile(join(dir, "tasks.ts"), TASK_FILE);
  return dir;
}

/** A proxy in front of the server that notes when each artifact was asked for. */
function recordingProxy(upstream: string) {
  const asked: { hash: string; at: number }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const hash = url.pathname.match(/^\/v8\/artifacts\/([0-9a-f]{64})$/)?.[1];
    if (hash !== undefined && request.method === "GET") asked.push({ hash, at: Date.now() });
    const answer = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, asked, stop: () => server.shutdown() };
}

function timeOf(events: GatherEvent[], type: string, job: string): number {
  const event = events.find((e) => e.type === type && "job" in e && e.job === job);
  assert(event !== undefined, `no ${type} for ${job}`);
  return event.time;
}

serverTest(
  "remote cache: jobs waiting for a slot are looked up while they wait, once each, and dependents only after their dependencies",
  {},
  async ({ server, dir }) => {
    const a = await checkout(join(dir, "a"));
    const first = await gather(["-f", "tasks.ts", "--reporter", "json", "--no-logs"], {
      cwd: a,
      env: remoteEnv(server),
    });
    assertEquals(first.code, 0, first.stderr);

    const proxy = recordingProxy(server.url);
    try {
      const b = await checkout(join(dir, "b"));
      const second = await gather(
        ["-f", "tasks.ts", "--reporter", "json", "--no-logs", "-j", "1"],
        { cwd: b, env: remoteEnv({ url: proxy.url, token: server.token }) },
      );
      assertEquals(second.code, 0, second.stderr);
      const events = parseEvents(second.stdout);
      const keys = new Map<string, string>();
      for (const event of events) {
        if (event.type === "job:cache") {
          assertEquals(event.status, "hit-remote", `${event.job}: ${event.status}`);
          keys.set(event.job, event.key);
        }
      }
      assertEquals([...keys.keys()].sort(), [...CACHED, "after"].sort());
      assertEquals(await Deno.readTextFile(join(b, "out", "after.txt")), "c1 then after");

      // The premise: hog holds the only slot first.
      const starts = events.filter((e) => e.type === "job:start");
      assertEquals(starts[0]?.type === "job:start" && starts[0].job, "hog");
      const hogEnd = timeOf(events, "job:end", "hog");

      const askedAt = new Map<string, number[]>();
      for (const { hash, at } of proxy.asked) askedAt.set(hash, [...askedAt.get(hash) ?? [], at]);
      for (const [job, key] of keys) {
        assertEquals(askedAt.get(key)?.length, 1, `${job}'s artifact asked for once`);
      }
      // Looked up while hog held the slot, before any of them could start.
      for (const job of CACHED) {
        const at = askedAt.get(keys.get(job)!)![0]!;
        assert(at < hogEnd, `${job} was asked for ${at - hogEnd} ms after hog ended`);
      }
      // after's key depends on c1's restored output: asked for only once c1 was restored.
      assert(askedAt.get(keys.get("after")!)![0]! >= hogEnd);
      assert(askedAt.get(keys.get("after")!)![0]! >= askedAt.get(keys.get("c1")!)![0]!);
    } finally {
      await proxy.stop();
    }
  },
);

serverTest(
  "remote cache: a workspace member's task that -r makes wait for another is keyed once that one has settled, not as the run starts",
  {},
  async ({ server, dir }) => {
    // a's build writes b/gen.txt without declaring it (a hit of a would not restore it); b's
    // build declares it as an input. Keyed as the run starts, b would be keyed before a ran.
    const aBuild = (version: string) => ({
      command: `echo ${version} > ../b/gen.txt`,
      files: ["src.txt"],
    });
    const config = (version: string) => ({
      name: "@w/a",
      version: "1.0.0",
      exports: "./mod.ts",
      tasks: { build: aBuild(version) },
    });
    const project = join(dir, "ws");
    await writeFiles(project, {
      "deno.json": { workspace: ["./a", "./b"] },
      "a/deno.json": config("v1"),
      "a/mod.ts": "export const a = 1;\n",
      "a/src.txt": "a\n",
      "b/deno.json": {
        name: "@w/b",
        version: "1.0.0",
        exports: "./mod.ts",
        imports: { "@w/a": "jsr:@w/a@^1.0.0" },
        tasks: {
          build: {
            command: "cat gen.txt src.txt > out.txt",
            files: ["src.txt", "gen.txt"],
            output: ["out.txt"],
          },
        },
      },
      "b/mod.ts": "export const b = 2;\n",
      "b/src.txt": "b\n",
      "b/gen.txt": "v1\n", // as a's build left it
    });
    const env = remoteEnv(server);
    const first = await gatherJson(["-r", "build"], project, env);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(await Deno.readTextFile(join(project, "b/out.txt")), "v1\nb\n");
    // a's command changes: a runs and rewrites gen.txt, so b must run too.
    await writeFiles(project, { "a/deno.json": config("v2") });
    const second = await gatherJson(["-r", "build"], project, env);
    assertEquals(second.code, 0, second.stderr);
    const cache = Object.fromEntries(
      second.events.flatMap((e) => e.type === "job:end" ? [[e.job, e.cache]] : []),
    );
    assertEquals(cache, { "@w/a#build": "miss", "@w/b#build": "miss" });
    assertEquals(await Deno.readTextFile(join(project, "b/out.txt")), "v2\nb\n");
  },
);
