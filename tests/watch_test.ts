/**
 * `gather --watch` with real files and real processes: an edit reruns
 * exactly the affected jobs, a burst of changes is one rerun, the task file
 * is reloaded, a failure does not end watch mode, Ctrl-C ends it (130) with
 * nothing left running.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { JobReadyEvent } from "../src/events.ts";
import { gather } from "./_cli.ts";
import { liveProcesses } from "./_processes.ts";
import { MOD, project, quiet, WatchSession, write } from "./_watch.ts";

/** Three jobs: `a` and `b` read their own folders, `c` uses `a`'s result. */
const ABC = `
import { job } from "${MOD}";
const read = async (dir: string) => {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.length;
};
export const a = job({ inputs: ["a/**"] }, async (ctx) => {
  ctx.log("ran a");
  return await read("a");
});
export const b = job({ inputs: ["b/**"] }, async (ctx) => {
  ctx.log("ran b");
  return await read("b");
});
export const c = job({ deps: [a] }, (ctx) => {
  ctx.log("ran c");
  ctx.log(\`a saw \${ctx.result(a)} files\`);
});
`;

Deno.test("--watch: editing one input reruns exactly that job and its dependents", async () => {
  const dir = await project({ "tasks.ts": ABC, "a/1.txt": "1", "b/1.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    assertEquals(session.ran(1).sort(), ["a", "b", "c"]);
    await write(dir, "a/1.txt", "changed");
    await session.waitForRun(2);
    assertEquals(session.ran(2).sort(), ["a", "c"]);
    const change = session.changes[1]!;
    assertEquals([change.run, change.reason, change.jobs], [2, "1 file changed: a/1.txt", [
      "a",
      "c",
    ]]);
    // b kept its result: it ended ok in run 2 without running.
    const bEnd = session.runs[1]!.find((e) => e.type === "job:end" && e.job === "b");
    assertEquals(bEnd?.type === "job:end" && [bEnd.status, bEnd.cache], ["ok", "hit"]);
    await write(dir, "b/2.txt", "new file");
    await session.waitForRun(3);
    assertEquals(session.ran(3), ["b"]);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a burst of 1,000 changes is one rerun, which sees them all", async () => {
  const dir = await project({ "tasks.ts": ABC, "a/1.txt": "1", "b/1.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    // As a checkout does: one process writes the files one after the other.
    for (let i = 0; i < 1000; i++) Deno.writeTextFileSync(`${dir}/a/f${i}.txt`, `${i}`);
    await session.waitForRun(2);
    await quiet(1000); // no second rerun comes
    assertEquals(
      session.changes.length,
      2,
      JSON.stringify(session.changes.map((c) => [c.reason, c.count, c.jobs])),
    );
    // The batch holds the events read before the debounce ended: all 1,000 unless the writer was
    // held up for longer than the debounce mid-burst (a loaded machine); events that come later
    // are for files the rerun already sees, and cause no second rerun.
    const count = session.changes[1]!.count;
    assert(count > 0 && count <= 1000, String(count));
    assertEquals(session.ran(2).sort(), ["a", "c"]);
    const saw = session.runs[1]!.find((e) => e.type === "job:log" && e.line.startsWith("a saw"));
    assertEquals(saw?.type === "job:log" && saw.line, "a saw 1001 files");
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: files written with pauses longer than the debounce cost two reruns, not one per file", async () => {
  const dir = await project({ "tasks.ts": ABC, "a/1.txt": "1", "b/1.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    for (let i = 0; i < 10; i++) {
      await Deno.writeTextFile(`${dir}/a/slow${i}.txt`, `${i}`);
      await quiet(150); // more than the 100 ms debounce
    }
    await session.live.waitFor((events) =>
      events.some((e) => e.type === "job:log" && e.line === "a saw 11 files")
    );
    await quiet(1000);
    assert(session.changes.length <= 3, JSON.stringify(session.changes.map((c) => c.reason)));
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a deleted file, and a watched folder removed and recreated, rerun with the right files", async () => {
  const dir = await project({ "tasks.ts": ABC, "a/1.txt": "1", "a/2.txt": "2", "b/1.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    await Deno.remove(`${dir}/a/2.txt`);
    await session.waitForRun(2);
    assertEquals(session.ran(2).sort(), ["a", "c"]);
    await Deno.remove(`${dir}/a`, { recursive: true });
    await quiet(300);
    await write(dir, "a/x.txt", "x");
    await write(dir, "a/y.txt", "y");
    await write(dir, "a/z.txt", "z");
    await session.live.waitFor((events) =>
      events.some((e) => e.type === "job:log" && e.line === "a saw 3 files")
    );
    // Still watched after that: one more edit inside the new folder reruns a.
    const runs = session.changes.length;
    await session.waitForRun(runs);
    await write(dir, "a/x.txt", "edited");
    await session.waitForRun(runs + 1);
    assertEquals(session.ran(runs + 1).sort(), ["a", "c"]);
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a failure does not end watch mode; fixing the input reruns", async () => {
  const tasks = `
import { job } from "${MOD}";
export const check = job({ inputs: ["src/*.txt"] }, async (ctx) => {
  ctx.log("ran check");
  const text = await Deno.readTextFile("src/value.txt");
  if (text.trim() !== "good") throw new Error(\`bad value: \${text.trim()}\`);
});
`;
  const dir = await project({ "tasks.ts": tasks, "src/value.txt": "bad" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    const end1 = session.runs[0]!.find((e) => e.type === "run:end");
    assertEquals(end1?.type === "run:end" && end1.status, "failed");
    await write(dir, "src/value.txt", "good");
    await session.waitForRun(2);
    const end2 = session.runs[1]!.find((e) => e.type === "run:end");
    assertEquals(end2?.type === "run:end" && end2.status, "ok");
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: an edit of the task file reloads it in a fresh process and runs what changed", async () => {
  const dir = await project({ "tasks.ts": ABC, "a/1.txt": "1", "b/1.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    const edited = ABC.replace('ctx.log("ran b");', 'ctx.log("ran b"); ctx.log("b, edited");');
    await Deno.writeTextFile(`${dir}/tasks.ts`, edited);
    await session.waitForRun(2);
    const change = session.changes[1]!;
    assertEquals(change.run, 2);
    assertStringIncludes(change.reason, "task file changed (tasks.ts): reloaded");
    assert(session.runs[1]!.some((e) => e.type === "job:log" && e.line === "b, edited"));
    // The edit was inside b's function: the cache restores a (c, uncached, runs again).
    assertEquals(session.ran(2).sort(), ["b", "c"]);
    const hits = session.runs[1]!.filter((e) => e.type === "job:end" && e.cache === "hit");
    assertEquals(hits.map((e) => e.type === "job:end" && e.job), ["a"]);
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a change while a job runs cancels it, its process tree gone before it runs again", async () => {
  const tasks = `
import { job } from "${MOD}";
export const slow = job({ inputs: ["src/**"] }, async (ctx) => {
  // The previous run's process, if it survived, would still be alive now (a zombie is not).
  let survivor = "none";
  try {
    const pid = (await Deno.readTextFile("pid")).trim();
    const stat = await Deno.readTextFile(\`/proc/\${pid}/stat\`);
    if (stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z") survivor = pid;
  } catch { /* first run, or gone */ }
  ctx.log(\`survivor: \${survivor}\`);
  await ctx.sh\`sh -c 'echo $$ > pid; exec sleep 30'\`;
});
`;
  const dir = await project({ "tasks.ts": tasks, "src/x.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.live.waitFor((events) =>
      events.some((e) => e.type === "job:log" && e.line === "survivor: none")
    );
    await quiet(300); // the sleep is running
    await write(dir, "src/x.txt", "2");
    await session.live.waitFor((events) =>
      events.filter((e) => e.type === "job:log" && e.line.startsWith("survivor:")).length === 2
    );
    const lines = session.live.events.flatMap((e) =>
      e.type === "job:log" && e.line.startsWith("survivor:") ? [e.line] : []
    );
    assertEquals(lines, ["survivor: none", "survivor: none"]);
    const cancel = session.runs[0]!.find((e) => e.type === "run:cancel");
    assertEquals(
      cancel?.type === "run:cancel" && cancel.reason,
      "1 file changed: src/x.txt: rerunning",
    );
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: Ctrl-C stops everything, services included: exit 130, nothing left running", async () => {
  const tag = `watch-${crypto.randomUUID().slice(0, 8)}`;
  const tasks = `
import { job } from "${MOD}";
export const api = job(
  { service: { ready: { line: /listening on http:\\/\\/127\\.0\\.0\\.1:(\\d+)/ } }, inputs: ["server/**"] },
  (ctx) => ctx.exec(Deno.execPath(), ["run", "-A", "${ROOT_SERVER}", "--tag", "${tag}"]),
);
export const e2e = job({ deps: [api], inputs: ["e2e/**"] }, async (ctx) => {
  ctx.log("ran e2e");
  ctx.log(await (await fetch(\`http://127.0.0.1:\${ctx.result(api)}/\`)).text());
});
`;
  const dir = await project({ "tasks.ts": tasks, "server/x.txt": "1", "e2e/x.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    assertEquals((await liveProcesses(tag)).length > 0, true, "the service keeps running");
    const wait = session.live.events.find((e) => e.type === "watch:wait");
    assertEquals(wait?.type === "watch:wait" && wait.services, ["api"]);
    // An e2e edit reruns e2e against the same service.
    await write(dir, "e2e/x.txt", "2");
    await session.waitForRun(2);
    assertEquals(session.ran(2), ["e2e"]);
    assertEquals(
      session.runs[1]!.some((e) => e.type === "job:log" && e.line.startsWith("starting")),
      false,
    );
    // Run 2's job:ready says the service was kept (the reporters print `still running`); run 1's
    // started it.
    const ready = (n: number) =>
      session.runs[n - 1]!.find((e): e is JobReadyEvent => e.type === "job:ready");
    assertEquals(ready(1)?.kept, undefined);
    assertEquals(ready(2)?.kept, true);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    assertEquals(await liveProcesses(tag), []);
    await Deno.remove(dir, { recursive: true });
  }
});

const ROOT_SERVER = new URL("./fixtures/services/server.ts", import.meta.url).pathname;

Deno.test("--watch: 50 restarts of a service that binds a fixed port, and never a survivor", async () => {
  const tag = `restart-${crypto.randomUUID().slice(0, 8)}`;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const tasks = `
import { job } from "${MOD}";
export const api = job(
  { service: { ready: { port: ${port} } }, inputs: ["server/**"] },
  (ctx) => ctx.exec(Deno.execPath(), ["run", "-A", "${ROOT_SERVER}", "--port", "${port}", "--tag", "${tag}"]),
);
`;
  const dir = await project({ "tasks.ts": tasks, "server/x.txt": "0" });
  const session = new WatchSession(dir, ["--watch-debounce", "10ms"]);
  try {
    await session.waitForRun(1);
    for (let n = 1; n <= 50; n++) {
      await write(dir, "server/x.txt", String(n));
      await session.waitForRun(n + 1);
      const run = session.runs[n]!;
      const end = run.find((e) => e.type === "run:end");
      assertEquals(
        end?.type === "run:end" && end.status,
        "ok",
        `restart ${n}: ${JSON.stringify(run)}`,
      );
      // Started again, not kept from the run before: ready, not `still running`.
      assert(run.some((e) => e.type === "job:ready" && !e.kept), `restart ${n} became ready`);
      assertEquals((await liveProcesses(tag)).length, 1, `restart ${n}: one server, no survivor`);
    }
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    assertEquals(await liveProcesses(tag), []);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch polls where file events are unavailable (GATHER_WATCH_POLL=1), and says so", async () => {
  const dir = await project({ "tasks.ts": ABC, "a/1.txt": "1", "b/1.txt": "1" });
  const session = new WatchSession(dir, [], { GATHER_WATCH_POLL: "1" });
  try {
    await session.waitForRun(1);
    const wait = session.live.events.find((e) => e.type === "watch:wait");
    assertEquals(wait?.type === "watch:wait" && wait.mode, "polling");
    await write(dir, "b/1.txt", "changed, and longer");
    await session.waitForRun(2);
    assertEquals(session.ran(2), ["b"]);
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a service that stops on its own between runs is reported in a run of its own", async () => {
  const tasks = `
import { job } from "${MOD}";
export const api = job(
  { service: { ready: { line: /listening/ } }, inputs: ["server/**"] },
  (ctx) => ctx.exec(Deno.execPath(), ["run", "-A", "${ROOT_SERVER}", "--crash-after", "500"]),
);
`;
  const dir = await project({ "tasks.ts": tasks, "server/x.txt": "0" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(2);
    assertEquals(session.changes[1]!.reason, 'service "api" stopped on its own');
    const end = session.runs[1]!.find((e) => e.type === "job:end");
    assertEquals(end?.type === "job:end" && end.status, "failed");
    assertStringIncludes(
      end?.type === "job:end" && end.error?.message || "",
      "crashing now: out of cheese",
    );
    await quiet(1500); // not restarted, so no storm of crashes
    assertEquals(session.changes.length, 2);
    await write(dir, "server/x.txt", "1"); // an edit starts it again
    await session.waitForRun(3);
    assert(session.runs[2]!.some((e) => e.type === "job:ready"));
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a service killed while no job needs it is reported as such and not restarted, the header rerunning nothing; a change starts it again", async () => {
  const tag = `idle-${crypto.randomUUID().slice(0, 8)}`;
  const tasks = `
import { job } from "${MOD}";
export const api = job(
  { service: { ready: { line: /listening on http:\\/\\/127\\.0\\.0\\.1:(\\d+)/ } }, inputs: ["server/**"] },
  (ctx) => ctx.exec(Deno.execPath(), ["run", "-A", "${ROOT_SERVER}", "--tag", "${tag}"]),
);
export const e2e = job({ deps: [api] }, async (ctx) => {
  ctx.log("ran e2e");
  ctx.log(await fetch(\`http://127.0.0.1:\${ctx.result(api)}/\`).then((r) => r.text()));
});
`;
  const dir = await project({ "tasks.ts": tasks, "server/x.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    const hello = session.runs[0]!.find((e) => e.type === "job:log" && e.line.startsWith("hello"));
    const pid = Number(hello?.type === "job:log" && hello.line.split(" ").at(-1));
    Deno.kill(pid, "SIGTERM"); // from outside, while the run is over and nothing needs it
    await session.waitForRun(2);
    const change = session.changes[1]!;
    assertEquals([change.reason, change.jobs], ['service "api" stopped on its own', []]);
    assertEquals(session.ran(2), []);
    const end = session.runs[1]!.find((e) => e.type === "job:end" && e.job === "api");
    const message = end?.type === "job:end" && end.error?.message || "";
    assertEquals(end?.type === "job:end" && end.status, "failed");
    assertStringIncludes(message, 'Service "api" stopped on its own while no job needed it');
    assert(!message.includes("while it was needed"), message);
    await quiet(1500); // not restarted: no run, no server
    assertEquals(session.changes.length, 2);
    assertEquals(await liveProcesses(tag), []);
    await write(dir, "server/x.txt", "2");
    await session.waitForRun(3);
    assertEquals(session.changes[2]!.jobs, ["api", "e2e"]);
    assertEquals(session.ran(3), ["e2e"]);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    assertEquals(await liveProcesses(tag), []);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a task file importing a module whose folder is missing reloads once the module is created, with its folder or after it", async () => {
  const importing = (path: string) => `
import { job } from "${MOD}";
import { v } from "./${path}";
export const a = job((ctx) => ctx.log(\`ran a \${v}\`));
`;
  const dir = await project({ "tasks.ts": importing("lib/v.ts") });
  const session = new WatchSession(dir);
  const waiting = (n: number) =>
    session.live.waitFor(
      () => session.live.stderrLines.filter((line) => line.includes("for a fix")).length === n,
      20_000,
    );
  try {
    await waiting(1);
    await quiet(500); // watching, through the project's folder
    await write(dir, "lib/v.ts", "export const v = 1;"); // mkdir lib, then the module at once
    await session.waitForRun(1);
    assertEquals(session.ran(1), ["a 1"]);
    assertStringIncludes(session.changes[0]!.reason, "task file changed (lib/v.ts): reloaded");
    await Deno.writeTextFile(`${dir}/tasks.ts`, importing("gen/deep/w.ts"));
    await waiting(2);
    await quiet(500);
    await Deno.mkdir(`${dir}/gen/deep`, { recursive: true });
    await quiet(500); // the folders in a batch of their own: then gen/deep is watched
    await write(dir, "gen/deep/w.ts", "export const v = 2;");
    await session.waitForRun(2);
    assertEquals(session.ran(2), ["a 2"]);
    // Written as soon as the child says it waits: before its watch begins, or after.
    await Deno.writeTextFile(`${dir}/tasks.ts`, importing("more/x.ts"));
    await waiting(3);
    await write(dir, "more/x.ts", "export const v = 3;");
    await session.waitForRun(3);
    assertEquals(session.ran(3), ["a 3"]);
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a failing test does not stop the service it uses; fixing the test reuses it", async () => {
  const tag = `keep-${crypto.randomUUID().slice(0, 8)}`;
  const tasks = `
import { job } from "${MOD}";
export const api = job(
  { service: { ready: { line: /listening on http:\\/\\/127\\.0\\.0\\.1:(\\d+)/ } }, inputs: ["server/**"] },
  (ctx) => ctx.exec(Deno.execPath(), ["run", "-A", "${ROOT_SERVER}", "--tag", "${tag}"]),
);
export const e2e = job({ deps: [api], inputs: ["e2e/**"] }, async (ctx) => {
  ctx.log("ran e2e");
  await fetch(\`http://127.0.0.1:\${ctx.result(api)}/\`).then((r) => r.text());
  if ((await Deno.readTextFile("e2e/expect.txt")).trim() !== "pass") throw new Error("test failed");
});
`;
  const dir = await project({ "tasks.ts": tasks, "server/x.txt": "1", "e2e/expect.txt": "fail" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    const wait = session.live.events.find((e) => e.type === "watch:wait");
    assertEquals(wait?.type === "watch:wait" && wait.services, ["api"]);
    await write(dir, "e2e/expect.txt", "pass");
    await session.waitForRun(2);
    const end = session.runs[1]!.find((e) => e.type === "run:end");
    assertEquals(end?.type === "run:end" && end.status, "ok");
    assertEquals(session.ran(2), ["e2e"]);
    const restarted = session.runs[1]!.some((e) =>
      e.type === "job:log" && e.line.startsWith("starting")
    );
    assertEquals(restarted, false, "the same server served the fixed test");
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    assertEquals(await liveProcesses(tag), []);
    await Deno.remove(dir, { recursive: true });
  }
});

for (
  const [args, message] of [
    [["--watch", "--list"], "gather: Options --watch and --list cannot be combined: pick one"],
    [
      ["--watch", "--watch-debounce", "1x"],
      'gather: Invalid --watch-debounce "1x": expected a duration',
    ],
    [
      ["--watch-debounce", "50ms"],
      "gather: Option --watch-debounce goes with --watch: add --watch",
    ],
  ] as const
) {
  Deno.test(`gather ${args.join(" ")}: one line, exit 2`, async () => {
    const result = await gather(["-f", "tasks/dev.ts", ...args]);
    assertEquals(result.code, 2);
    assertEquals(result.stderr.trim().split("\n").length, 1, result.stderr);
    assertStringIncludes(result.stderr, message);
  });
}

Deno.test("--watch -r in a workspace: an edit of a member's deno.json reloads, and the waiting line counts the members' configs", async () => {
  const member = (name: string, word: string) =>
    JSON.stringify({ name: `@ws/${name}`, tasks: { test: `echo ran ${name} ${word}` } });
  const dir = await project({
    "deno.json": JSON.stringify({ workspace: ["packages/a", "packages/b"] }),
    "packages/a/deno.json": member("a", "one"),
    "packages/b/deno.json": member("b", "one"),
  });
  const session = new WatchSession(dir, ["-r", "test"], {}, null);
  try {
    await session.waitForRun(1);
    assertEquals(session.ran(1).sort(), ["a one", "b one"]);
    const wait = session.live.events.find((e) => e.type === "watch:wait");
    assertEquals(wait?.type === "watch:wait" && wait.files, 3); // the root's and both members'
    await write(dir, "packages/b/deno.json", member("b", "two"));
    await session.waitForRun(2);
    assertStringIncludes(session.changes[1]!.reason, "packages/b/deno.json");
    assertEquals(session.ran(2).sort(), ["a one", "b two"]);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    await Deno.remove(dir, { recursive: true });
  }
});

/** One job per C file the task file finds in lib/ as it loads, as tasks/incremental.ts does. */
const PER_FILE = `
import { job } from "${MOD}";
export const jobs = [...Deno.readDirSync("lib")]
  .filter((entry) => entry.name.endsWith(".c"))
  .map((entry) => \`lib/\${entry.name}\`)
  .sort()
  .map((src) =>
    job({ name: \`cc:\${src}\`, inputs: [src, "include/*.h"] }, async (ctx) => {
      ctx.log(\`ran cc:\${src} \${(await Deno.readTextFile(src)).trim()}\`);
    })
  );
export default jobs;
`;

Deno.test("--watch: a file added to, renamed in or removed from a folder the task file lists reloads it, so its job list follows", async () => {
  const dir = await project({
    "tasks.ts": PER_FILE,
    "lib/a.c": "a",
    "lib/f7b.c": "f7",
    "include/x.h": "",
  });
  const session = new WatchSession(dir);
  const reason = (n: number) => session.changes[n - 1]!.reason;
  try {
    await session.waitForRun(1);
    assertEquals(session.ran(1).sort(), ["cc:lib/a.c a", "cc:lib/f7b.c f7"]);
    const wait = session.live.events.find((e) => e.type === "watch:wait");
    assertEquals(wait?.type === "watch:wait" && wait.folders, 1); // lib/
    await Deno.rename(`${dir}/lib/f7b.c`, `${dir}/lib/f7.c`);
    await session.waitForRun(2);
    assertEquals(reason(2), "lib/f7b.c renamed to lib/f7.c in a folder tasks.ts lists: reloaded");
    const end = session.runs[1]!.find((e) => e.type === "run:end");
    assertEquals(end?.type === "run:end" && end.status, "ok");
    assertEquals(session.ran(2), ["cc:lib/f7.c f7"]); // a.c's job: a cache hit
    await write(dir, "lib/newfile.c", "new");
    await session.waitForRun(3);
    assertEquals(reason(3), "lib/newfile.c added to a folder tasks.ts lists: reloaded");
    assertEquals(session.ran(3), ["cc:lib/newfile.c new"]);
    await Deno.remove(`${dir}/lib/a.c`);
    await session.waitForRun(4);
    assertEquals(reason(4), "lib/a.c removed from a folder tasks.ts lists: reloaded");
    assertEquals(session.changes[3]!.jobs, ["cc:lib/f7.c", "cc:lib/newfile.c"]);
    assertEquals(session.ran(4), []); // cache hits
    // An edit of a listed file is an input's edit: its job reruns, the task file is not reloaded.
    await write(dir, "lib/f7.c", "f7, edited");
    await session.waitForRun(5);
    assertEquals(reason(5), "1 file changed: lib/f7.c");
    assertEquals(session.ran(5), ["cc:lib/f7.c f7, edited"]);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: outputs written into folders the task file lists do not reload it, and an undeclared file written there costs one reload, not a loop", async () => {
  // lib/ is listed with Deno.readDir (as @std/fs's walk lists), build/ with Deno.readDirSync
  // before any run has made it; the jobs write build/*.o and lib/gen/*.h, declared as outputs.
  const tasks = `
import { job } from "${MOD}";
const sources: string[] = [];
for await (const entry of Deno.readDir("lib")) if (entry.name.endsWith(".c")) sources.push(entry.name);
let built: string[] = [];
try { built = [...Deno.readDirSync("build")].map((entry) => entry.name); } catch { /* not yet */ }
export const jobs = sources.sort().map((name) =>
  job({ name, inputs: [\`lib/\${name}\`], outputs: [\`build/\${name}.o\`, \`lib/gen/\${name}.h\`] }, async (ctx) => {
    ctx.log(\`ran \${name}\`);
    await Deno.mkdir("build", { recursive: true });
    await Deno.mkdir("lib/gen", { recursive: true });
    await Deno.writeTextFile(\`build/\${name}.o\`, "o");
    await Deno.writeTextFile(\`lib/gen/\${name}.h\`, "h");
  })
);
export const note = job(async (ctx) => {
  ctx.log(\`ran note \${built.length}\`);
  if (Deno.env.get("UNDECLARED")) await Deno.writeTextFile("lib/notes.txt", "written by a job");
});
export default [...jobs, note];
`;
  const dir = await project({ "tasks.ts": tasks, "lib/a.c": "a" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
    assertEquals(session.ran(1).sort(), ["a.c", "note 0"]);
    await quiet(1500); // build/, build/a.c.o, lib/gen/ and lib/gen/a.c.h came: no reload
    assertEquals(session.changes.length, 1, JSON.stringify(session.changes.map((c) => c.reason)));
    await write(dir, "lib/b.c", "b");
    await session.waitForRun(2);
    assertEquals(session.changes[1]!.reason, "lib/b.c added to a folder tasks.ts lists: reloaded");
    assertEquals(session.ran(2).sort(), ["b.c", "note 1"]);
    await quiet(1500);
    assertEquals(session.changes.length, 2, JSON.stringify(session.changes.map((c) => c.reason)));
  } finally {
    await session.stop();
  }
  // A job writing a file it does not declare into a listed folder: one reload, then the listing
  // is what the new child's task file saw, and the same writes change nothing.
  const undeclared = new WatchSession(dir, [], { UNDECLARED: "1" });
  try {
    await undeclared.waitForRun(2);
    assertEquals(
      undeclared.changes[1]!.reason,
      "lib/notes.txt added to a folder tasks.ts lists: reloaded",
    );
    await quiet(1500);
    assertEquals(undeclared.changes.length, 2, JSON.stringify(undeclared.changes));
  } finally {
    await undeclared.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a task file that does not load waits for a folder it listed too, and polling sees an entry come", async () => {
  const tasks = `
import { job } from "${MOD}";
const names = [...Deno.readDirSync("lib")].map((entry) => entry.name).sort();
if (names.includes("bad.c")) throw new Error("lib/bad.c is not allowed");
export default job((ctx) => ctx.log(\`ran \${names.join(" ")}\`));
`;
  const dir = await project({ "tasks.ts": tasks, "lib/a.c": "", "lib/bad.c": "" });
  const session = new WatchSession(dir, [], { GATHER_WATCH_POLL: "1" });
  try {
    await session.live.waitFor(() =>
      session.live.stderrLines.some((line) => line.includes("for a fix"))
    );
    await Deno.remove(`${dir}/lib/bad.c`);
    await session.waitForRun(1);
    assertEquals(
      session.changes[0]!.reason,
      "lib/bad.c removed from a folder tasks.ts lists: reloaded",
    );
    assertEquals(session.ran(1), ["a.c"]);
    await write(dir, "lib/b.c", "");
    await session.waitForRun(2);
    assertEquals(session.changes[1]!.reason, "lib/b.c added to a folder tasks.ts lists: reloaded");
    assertEquals(session.ran(2), ["a.c b.c"]);
  } finally {
    await session.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch -r in a workspace: a member folder that comes, or gets its deno.json later, reloads", async () => {
  const member = (name: string) =>
    JSON.stringify({ name: `@ws/${name}`, tasks: { test: `echo ran ${name}` } });
  const dir = await project({
    "deno.json": JSON.stringify({ workspace: ["./packages/*", "./tools"] }),
    "packages/a/deno.json": member("a"),
  });
  const session = new WatchSession(dir, ["-r", "test"], {}, null);
  try {
    await session.waitForRun(1);
    assertEquals(session.ran(1), ["a"]);
    await Deno.mkdir(`${dir}/packages/b`); // no member yet: its config comes in a later batch
    await session.waitForRun(2);
    assertEquals(
      session.changes[1]!.reason,
      "packages/b added to a folder deno.json lists: reloaded",
    );
    await write(dir, "packages/b/deno.json", member("b"));
    await session.waitForRun(3);
    assertStringIncludes(session.changes[2]!.reason, "packages/b/deno.json");
    assertEquals(session.ran(3).sort(), ["a", "b"]);
    // ./tools is named but missing (skipped with a warning): it comes, then its config.
    await Deno.mkdir(`${dir}/tools`);
    await quiet(500);
    await write(dir, "tools/deno.json", member("tools"));
    await session.waitForRun(4);
    assertStringIncludes(session.changes[3]!.reason, "tools/deno.json");
    assertEquals(session.ran(4).sort(), ["a", "b", "tools"]);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    await Deno.remove(dir, { recursive: true });
  }
});
