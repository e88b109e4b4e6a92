/**
 * The cache's own file work when a job is stopped or gather is killed: a
 * large output's restore or store stops midway at the job's cancellation
 * (the file being written removed, nothing half-written left), and a file
 * gather was putting into place when it was killed (`<name>.gather-<pid>-…`)
 * is never stored as an output, and is removed the next time the job runs.
 */

import { assertEquals, assertRejects } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import type { Manifest } from "../src/cache/entry.ts";
import { parseGlob } from "../src/cache/glob.ts";
import { restoreOutputs, saveOutputs } from "../src/cache/outputs.ts";
import { StatIndex } from "../src/cache/stat_index.ts";
import { LocalStore } from "../src/cache/store.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";
import { LiveGather } from "./_live.ts";

const BIG = 64 << 20; // 64 chunks of the copy loops

/** A file of `size` bytes (not all the same, so its hash means something). */
async function writeBig(path: string, size: number): Promise<void> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = i % 251;
  await Deno.writeFile(path, bytes);
}

/** A project in a new folder: a deno.json, in.txt, and a task file of these jobs importing gather. */
async function projectWith(jobs: string): Promise<string> {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  await Deno.writeTextFile(join(dir, "in.txt"), "1\n");
  await Deno.writeTextFile(join(dir, "tasks.ts"), `import { job } from ${mod};\n${jobs}\n`);
  return dir;
}

function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
  } catch {
    return [];
  }
}

Deno.test("restoreOutputs and saveOutputs stop a large file's copy when their signal aborts, and leave nothing half-written", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    const store = new LocalStore(join(dir, "cache"), lazyHasher());
    await Deno.mkdir(join(dir, "out"));
    await writeBig(join(dir, "out/big.bin"), BIG);
    const saved = await saveOutputs(dir, [parseGlob("out/*", dir, dir)], store);
    await Deno.remove(join(dir, "out"), { recursive: true });
    const blobs = store.blobsOf({ outputs: saved.outputs } as unknown as Manifest);
    const index = () => StatIndex.load(join(dir, "index.json"), lazyHasher());
    // Aborted once the copy is under way (a timer fires between two chunks).
    const restoring = new AbortController();
    setTimeout(() => restoring.abort(new Error("stopped")), 0);
    await assertRejects(
      () => restoreOutputs(dir, saved.outputs, blobs, index(), [], restoring.signal),
      Error,
      "stopped",
    );
    assertEquals(names(join(dir, "out")), []); // neither big.bin nor its temporary file
    // The same restore without a signal completes.
    assertEquals(await restoreOutputs(dir, saved.outputs, blobs, index()), 1);
    assertEquals((await Deno.stat(join(dir, "out/big.bin"))).size, BIG);
    // Storing: a second store of new content stops midway, and leaves no blob behind.
    await writeBig(join(dir, "out/big.bin"), BIG + 1);
    const before = names(join(dir, "cache/v1/blobs/tmp"));
    const storing = new AbortController();
    setTimeout(() => storing.abort(new Error("stopped")), 0);
    await assertRejects(
      () => saveOutputs(dir, [parseGlob("out/*", dir, dir)], store, storing.signal),
      Error,
      "stopped",
    );
    assertEquals(names(join(dir, "cache/v1/blobs/tmp")), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file gather was putting into place when it was killed is never stored as an output, and is removed when the job runs again", async () => {
  const dir = await projectWith(
    `export const build = job({ inputs: ["in.txt"], outputs: ["out/**"] }, async () => {
  await Deno.mkdir("out", { recursive: true });
  await Deno.writeTextFile("out/a.bin", await Deno.readTextFile("in.txt"));
});`,
  );
  try {
    // What a gather killed during a restore leaves: a process that is gone.
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    await Deno.mkdir(join(dir, "out"));
    const leftover = `a.bin.gather-${dead.pid}-0badf00d`;
    await Deno.writeTextFile(join(dir, "out", leftover), "half of a.bin");
    // One of a gather still running is left alone (this process stands for it).
    const live = `a.bin.gather-${Deno.pid}-00c0ffee`;
    await Deno.writeTextFile(join(dir, "out", live), "being written");
    const run = async () => {
      const result = await gather(["--reporter", "json", "--no-logs"], { cwd: dir });
      assertEquals(result.code, 0, result.stderr);
      const end = parseEvents(result.stdout).find((e) => e.type === "job:end") as JobEndEvent;
      return end.cache;
    };
    assertEquals(await run(), "miss");
    assertEquals(names(join(dir, "out")), ["a.bin", live]);
    // The entry holds a.bin only: a restore into an empty folder brings back that alone.
    await Deno.remove(join(dir, "out"), { recursive: true });
    assertEquals(await run(), "hit");
    assertEquals(names(join(dir, "out")), ["a.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ctrl-C while a cached job's large output is restored: the restore stops, the job is cancelled, nothing half-written is left", async () => {
  // 256 MiB: its restore takes a second or more here, far longer than a signal's way in.
  const dir = await projectWith(
    `export const big = job({ inputs: ["in.txt"], outputs: ["out/**"] }, (ctx) =>
  ctx.sh\`mkdir -p out && head -c 268435456 /dev/zero > out/big.bin\`);`,
  );
  try {
    const first = await gather(["--reporter", "json", "--no-logs"], { cwd: dir });
    assertEquals(first.code, 0, first.stderr);
    await Deno.remove(join(dir, "out"), { recursive: true });
    const live = new LiveGather(["--no-logs"], { cwd: dir });
    await live.waitFor((events) => events.some((e) => e.type === "job:start"));
    live.kill("SIGINT");
    const result = await live.result();
    assertEquals(result.code, 130, result.stderr);
    const end = live.events.find((e) => e.type === "job:end") as JobEndEvent;
    assertEquals([end.status, end.cache], ["cancelled", "off"]);
    assertEquals(names(join(dir, "out")), []); // neither big.bin nor its temporary file
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
