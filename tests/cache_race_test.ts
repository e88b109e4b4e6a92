/**
 * The cache against files that change at the wrong moment: an input edited
 * while its job runs (the new output must not be stored under the old
 * content's key), and a same-size overwrite that keeps the mtime, in the
 * second the file was hashed (its stat does not change: Deno gives `ctime`
 * in whole seconds). Real files, the real CLI, a real edit from this process
 * while gather's job waits for it; a hit is proven wrong by the output it
 * restores.
 */

import { assert, assertEquals } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { StatIndex } from "../src/cache/stat_index.ts";
import { RACY_MS } from "../src/cache/_racy.ts";
import { type CliRun, gather, parseEvents, ROOT } from "./_cli.ts";
import { artifactsOf, remoteEnv, serverTest } from "./_remote_project.ts";
import {
  distributedTest,
  finished,
  startCoordinator,
  startWorker,
  stopWorkers,
  waitFor,
} from "./_distributed.ts";
import {
  ctimeOf,
  inOneSecond,
  nextSecond,
  OLD_MTIME,
  writeKeepingOldMtime,
} from "./_one_second.ts";

/**
 * A project: `cp` copies in.txt to out.txt, `pack` (cached, no inputs)
 * wraps out.txt, `last` (cached) depends on `pack`. While a file `wait` is
 * there, `cp` says it started (the file `started`) and waits for a file
 * `go` before it reads in.txt.
 */
const TASKS = (mod: string) =>
  `import { job } from ${mod};
async function whenThere(path: string) {
  while (!await Deno.stat(path).then(() => true, () => false)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
export const cp = job({ inputs: ["in.txt"], outputs: ["out.txt"] }, async () => {
  if (await Deno.stat("wait").then(() => true, () => false)) {
    await Deno.writeTextFile("started", "");
    await whenThere("go");
  }
  const text = await Deno.readTextFile("in.txt");
  await Deno.writeTextFile("out.txt", text);
  return text.trim();
});
export const pack = job({ deps: [cp], inputs: [], outputs: ["packed.txt"] }, async () => {
  await Deno.writeTextFile("packed.txt", "packed " + await Deno.readTextFile("out.txt"));
});
export const last = job({ deps: [pack], inputs: [] }, () => "done");
`;

/** A project with a task file (made by `tasks` from the import of gather's mod.ts), in `parent`. */
async function project(
  tasks: (mod: string) => string = TASKS,
  parent?: string,
): Promise<string> {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({
      prefix: "gather-race-",
      ...parent === undefined ? {} : { dir: parent },
    }),
  );
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  await Deno.writeTextFile(
    join(dir, "tasks.ts"),
    tasks(JSON.stringify(relative(dir, join(ROOT, "mod.ts")))),
  );
  return dir;
}

/** What a run did. */
interface RaceRun {
  /** Each job's `job:end.cache`. */
  cache: Record<string, string>;
  /** Each cached job's key. */
  keys: Record<string, string>;
  /** The warnings, as `job: message`. */
  warnings: string[];
}

/** Run gather in a project and check it succeeded. */
async function runGather(
  dir: string,
  env: Record<string, string> = {},
  running: Promise<CliRun> = gather(["--reporter", "json", "--no-logs"], { cwd: dir, env }),
): Promise<RaceRun> {
  const result = await running;
  assertEquals(result.code, 0, result.stderr + result.stdout.slice(-2000));
  const run: RaceRun = { cache: {}, keys: {}, warnings: [] };
  for (const event of parseEvents(result.stdout)) {
    if (event.type === "job:end") run.cache[event.job] = (event as JobEndEvent).cache;
    if (event.type === "job:cache") run.keys[event.job] = event.key;
    if (event.type === "warning") run.warnings.push(`${event.job}: ${event.message}`);
  }
  return run;
}

/** Run gather in a project, and `edit` once `cp` has started (it waits for the edit). */
async function runWhileEditing(
  dir: string,
  edit: () => Promise<void>,
  env: Record<string, string> = {},
): Promise<RaceRun> {
  await Deno.writeTextFile(join(dir, "wait"), "");
  let ended = false;
  const running = gather(["--reporter", "json", "--no-logs"], { cwd: dir, env }).finally(() =>
    ended = true
  );
  while (!ended && !await Deno.stat(join(dir, "started")).then(() => true, () => false)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await edit();
  await Deno.writeTextFile(join(dir, "go"), "");
  try {
    return await runGather(dir, env, running);
  } finally {
    for (const file of ["wait", "started", "go"]) await Deno.remove(join(dir, file));
  }
}

const EDITED = "cp: not cached: input in.txt changed while it ran";

Deno.test("cache: an input edited while its job runs is not stored, nor are the jobs that depend on it, with one warning", async () => {
  const dir = await project();
  try {
    const inTxt = join(dir, "in.txt");
    await Deno.writeTextFile(inTxt, "OLD\n");
    const raced = await runWhileEditing(dir, () => Deno.writeTextFile(inTxt, "NEW\n"));
    assertEquals(raced.warnings, [EDITED]);
    assertEquals(raced.cache, { cp: "miss", pack: "off", last: "off" });
    assertEquals(await Deno.readTextFile(join(dir, "out.txt")), "NEW\n");
    // The old content again: nothing of the run above may be restored.
    await Deno.writeTextFile(inTxt, "OLD\n");
    const old = await runGather(dir);
    assertEquals(old.cache, { cp: "miss", pack: "miss", last: "miss" });
    assertEquals(old.warnings, []);
    assertEquals(await Deno.readTextFile(join(dir, "out.txt")), "OLD\n");
    assertEquals(await Deno.readTextFile(join(dir, "packed.txt")), "packed OLD\n");
    assertEquals((await runGather(dir)).cache, { cp: "hit", pack: "hit", last: "hit" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * `cat` joins the files `src/*.txt` and `extra.txt` (named without a
 * wildcard: missing, it matches nothing) into all.txt, and writes
 * `src/cat.log` (one of its outputs, under its input folder); `wrap`
 * depends on it. Like `cp` of {@linkcode TASKS}, it waits for `go` while
 * `wait` is there.
 */
const GLOB_TASKS = (mod: string) =>
  `import { job } from ${mod};
async function whenThere(path: string) {
  while (!await Deno.stat(path).then(() => true, () => false)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
export const cat = job({
  inputs: ["src/*", "extra.txt"],
  outputs: ["all.txt", "src/*.log"],
}, async () => {
  if (await Deno.stat("wait").then(() => true, () => false)) {
    await Deno.writeTextFile("started", "");
    await whenThere("go");
  }
  const names: string[] = [];
  for await (const entry of Deno.readDir("src")) if (entry.name.endsWith(".txt")) names.push(entry.name);
  const extra = await Deno.readTextFile("extra.txt").catch(() => "");
  await Deno.writeTextFile("all.txt", names.sort().join(",") + extra);
  await Deno.writeTextFile("src/cat.log", "ran");
});
export const wrap = job({ deps: [cat], inputs: [] }, () => "wrapped");
`;

Deno.test("cache: a file that appears under a job's input globs while it runs is not stored, nor are its dependents", async () => {
  const dir = await project(GLOB_TASKS);
  try {
    await Deno.mkdir(join(dir, "src"));
    await Deno.writeTextFile(join(dir, "src", "a.txt"), "a");
    const newTxt = join(dir, "src", "new.txt");
    const raced = await runWhileEditing(dir, () => Deno.writeTextFile(newTxt, "n"));
    // (Each run also warns that extra.txt matches no file.)
    const notCached = (run: RaceRun) => run.warnings.filter((line) => line.includes("not cached"));
    assertEquals(notCached(raced), ["cat: not cached: input src/new.txt appeared while it ran"]);
    assertEquals(raced.cache, { cat: "miss", wrap: "off" });
    assertEquals(await Deno.readTextFile(join(dir, "all.txt")), "a.txt,new.txt");
    // Gone again: what the job made with it must not be restored.
    await Deno.remove(newTxt);
    const without = await runGather(dir);
    assertEquals([without.cache, notCached(without)], [{ cat: "miss", wrap: "miss" }, []]);
    assertEquals(await Deno.readTextFile(join(dir, "all.txt")), "a.txt");
    assertEquals((await runGather(dir)).cache, { cat: "hit", wrap: "hit" });
    // A file named without a wildcard, missing when the job was keyed, made while it ran.
    await Deno.writeTextFile(join(dir, "src", "b.txt"), "b");
    const named = await runWhileEditing(
      dir,
      () => Deno.writeTextFile(join(dir, "extra.txt"), "+x"),
    );
    assertEquals(notCached(named), ["cat: not cached: input extra.txt appeared while it ran"]);
    assertEquals(named.cache, { cat: "miss", wrap: "off" });
    await Deno.remove(join(dir, "extra.txt"));
    assertEquals((await runGather(dir)).cache, { cat: "miss", wrap: "miss" });
    assertEquals(await Deno.readTextFile(join(dir, "all.txt")), "a.txt,b.txt");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cache: an input touched while its job runs (its stat changed, not its content) is stored", async () => {
  const dir = await project();
  try {
    const inTxt = join(dir, "in.txt");
    await Deno.writeTextFile(inTxt, "OLD\n");
    const touched = await runWhileEditing(dir, () => Deno.utime(inTxt, new Date(), new Date()));
    assertEquals(touched.warnings, []);
    assertEquals(touched.cache, { cp: "miss", pack: "miss", last: "miss" });
    assertEquals((await runGather(dir)).cache, { cp: "hit", pack: "hit", last: "hit" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cache: a job that rewrites its own input (one of its outputs) is stored, without a warning", async () => {
  const dir = await project((mod) =>
    `import { job } from ${mod};
export const fmt = job({ inputs: ["src/*.txt"], outputs: ["src/*.txt"] }, async () => {
  const text = await Deno.readTextFile("src/a.txt");
  await Deno.writeTextFile("src/a.txt", text.toUpperCase());
});
`
  );
  try {
    await Deno.mkdir(join(dir, "src"));
    await Deno.writeTextFile(join(dir, "src", "a.txt"), "unformatted\n");
    const first = await runGather(dir);
    assertEquals([first.cache, first.warnings], [{ fmt: "miss" }, []]);
    await Deno.writeTextFile(join(dir, "src", "a.txt"), "unformatted\n");
    assertEquals((await runGather(dir)).cache, { fmt: "hit" });
    assertEquals(await Deno.readTextFile(join(dir, "src", "a.txt")), "UNFORMATTED\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

serverTest(
  "remote cache: an entry whose input was edited while its job ran is not uploaded",
  {},
  async ({ server, dir: parent, storage }) => {
    const dir = await project(TASKS, parent);
    const env = remoteEnv(server);
    await Deno.writeTextFile(join(dir, "in.txt"), "OLD\n");
    const raced = await runWhileEditing(
      dir,
      () => Deno.writeTextFile(join(dir, "in.txt"), "NEW\n"),
      env,
    );
    assertEquals(raced.warnings, [EDITED]);
    assertEquals(artifactsOf(storage), []);
    // Another machine (an empty local cache), the old content: it runs the job, and uploads it.
    await Deno.remove(join(dir, ".gather"), { recursive: true });
    await Deno.writeTextFile(join(dir, "in.txt"), "OLD\n");
    const old = await runGather(dir, env);
    assertEquals(old.cache, { cp: "miss", pack: "miss", last: "miss" });
    assertEquals(await Deno.readTextFile(join(dir, "out.txt")), "OLD\n");
    assertEquals(artifactsOf(storage), Object.values(old.keys).sort());
  },
);

distributedTest(
  "gather --nats: a job whose input was edited on the worker while it ran there is run again on the coordinator",
  async ({ dir, env }) => {
    const coordinator = await project(TASKS, dir);
    const machine = await project(TASKS, dir);
    for (const checkout of [coordinator, machine]) {
      await Deno.writeTextFile(join(checkout, "in.txt"), "OLD\n");
    }
    await Deno.writeTextFile(join(machine, "wait"), "");
    const worker = startWorker(machine, "w1", env);
    try {
      const run = startCoordinator(coordinator, env);
      await waitFor(
        "cp to start on the worker",
        () => Deno.stat(join(machine, "started")).then(() => true, () => false),
      );
      await Deno.writeTextFile(join(machine, "in.txt"), "NEW\n");
      await Deno.writeTextFile(join(machine, "go"), "");
      assertEquals((await finished(run)).code, 0, run.stderr() + run.stdout().slice(-2000));
      const warnings = parseEvents(run.stdout()).flatMap((e) =>
        e.type === "warning" ? [`${e.job}: ${e.message}`] : []
      );
      assertEquals(warnings, [
        "cp: not cached: input in.txt changed while it ran", // the worker's
        "cp: runs on the coordinator (w1 gave it back): its input in.txt changed while it ran " +
        "there, so it was not cached; mark it local: true to say so",
      ]);
      assertEquals(await Deno.readTextFile(join(coordinator, "out.txt")), "OLD\n");
      assertEquals(await Deno.readTextFile(join(coordinator, "packed.txt")), "packed OLD\n");
    } finally {
      await stopWorkers([worker]);
    }
  },
);

for (
  const [how, overwrite] of [
    [
      "echo and touch -d",
      (dir: string, text: string) => writeKeepingOldMtime(join(dir, "in.txt"), text),
    ],
    [
      "cp -p",
      async (dir: string, text: string) => {
        const source = join(dir, `${text.trim()}.src`);
        await Deno.writeTextFile(source, text);
        await Deno.utime(source, OLD_MTIME, OLD_MTIME);
        const cp = await new Deno.Command("cp", { args: ["-p", source, join(dir, "in.txt")] })
          .output();
        assert(cp.success);
      },
    ],
  ] as const
) {
  Deno.test(`cache: a same-size overwrite that keeps the mtime (${how}), in the second of the last run, is a miss`, async () => {
    const dir = await project();
    try {
      const second = await inOneSecond(join(dir, "in.txt"), async (between) => {
        await Deno.remove(join(dir, ".gather"), { recursive: true }).catch(() => {});
        await overwrite(dir, "AAAA\n");
        between();
        assertEquals((await runGather(dir)).cache["cp"], "miss");
        await overwrite(dir, "BBBB\n");
        return (await runGather(dir)).cache["cp"];
      });
      assertEquals(await Deno.readTextFile(join(dir, "out.txt")), "BBBB\n");
      assertEquals(second, "miss");
      assertEquals((await runGather(dir)).cache["cp"], "hit"); // and stored as it is now
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("StatIndex: a same-size overwrite that keeps the mtime, in the second the file was hashed, is hashed again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "in.txt");
    const indexPath = join(dir, "index.json");
    const write = (text: string) => writeKeepingOldMtime(file, text);
    await lazyHasher()(); // node:crypto loaded before the second that must hold the writes
    const hashes = await inOneSecond(file, async (between) => {
      await Deno.remove(indexPath).catch(() => {});
      await write("AAAA");
      between();
      const first = StatIndex.load(indexPath, lazyHasher());
      const before = await first.hash(file, "in.txt");
      first.save();
      await write("BBBB");
      return [before, await StatIndex.load(indexPath, lazyHasher()).hash(file, "in.txt")];
    });
    const hasher = await lazyHasher()();
    assertEquals(hashes, [hasher.sha256("AAAA"), hasher.sha256("BBBB")]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StatIndex: a file changed well before its stat was taken is not read again, in the next run or any later one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "in.txt");
    const indexPath = join(dir, "index.json");
    await Deno.writeTextFile(file, "AAAA");
    // Wait until the write is far enough back for a stat to vouch for the file.
    const { mtime, ctime } = Deno.statSync(file);
    while (Date.now() <= Math.max(mtime!.getTime(), ctime!.getTime()) + RACY_MS) await nextSecond();
    const first = StatIndex.load(indexPath, lazyHasher());
    await first.hash(file, "in.txt");
    assertEquals(first.hashed, 1);
    first.save();
    for (const run of [2, 3]) {
      const later = StatIndex.load(indexPath, lazyHasher());
      await later.hash(file, "in.txt");
      assertEquals(later.hashed, 0, `run ${run}`);
      await later.hash(indexPath, "index.json"); // a new file: the index is written again
      later.save();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StatIndex: a file hashed too soon after a write is not vouched for by a later run that did not look at it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "in.txt");
    const other = join(dir, "other.txt");
    const indexPath = join(dir, "index.json");
    const write = (text: string) => writeKeepingOldMtime(file, text);
    await inOneSecond(file, async (between) => {
      await Deno.remove(indexPath).catch(() => {});
      await write("AAAA");
      between();
      const first = StatIndex.load(indexPath, lazyHasher());
      await first.hash(file, "in.txt");
      first.save();
      await write("BBBB");
    });
    // A run long after, that hashes another file only: it writes the index again.
    while (Date.now() <= ctimeOf(file) + RACY_MS) await nextSecond();
    await Deno.writeTextFile(other, "other");
    const second = StatIndex.load(indexPath, lazyHasher());
    await second.hash(other, "other.txt");
    second.save();
    const third = StatIndex.load(indexPath, lazyHasher());
    assertEquals(await third.hash(file, "in.txt"), (await lazyHasher()()).sha256("BBBB"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cache: a file an uncached job writes, hashed earlier in the run for another job, is hashed again for its dependent's key", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-regen-" }));
  try {
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await Deno.mkdir(join(dir, "gen"));
    await Deno.writeTextFile(join(dir, "gen", "v.txt"), "seed\n");
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    // peek hashes gen/** first; produce (uncached) then rewrites gen/v.txt; consume reads it.
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};
export const peek = job({ inputs: ["gen/**"], outputs: ["peek.txt"] }, async () => {
  await Deno.writeTextFile("peek.txt", await Deno.readTextFile("gen/v.txt"));
});
export const produce = job({ deps: [peek] }, async () => {
  await Deno.writeTextFile("gen/v.txt", await Deno.readTextFile("version.txt"));
});
export const consume = job({ deps: [produce], inputs: ["gen/**"], outputs: ["out.txt"] }, async () => {
  await Deno.writeTextFile("out.txt", await Deno.readTextFile("gen/v.txt"));
});
export default consume;
`,
    );
    const runWith = async (version: string) => {
      await Deno.writeTextFile(join(dir, "version.txt"), version);
      const result = await gather(["-f", "tasks.ts", "--reporter", "json", "--no-logs"], {
        cwd: dir,
      });
      assertEquals(result.code, 0, result.stderr);
      const events = parseEvents(result.stdout);
      const end = events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === "consume");
      const warnings = events.filter((e) => e.type === "warning");
      return { cache: end?.cache, warnings, out: await Deno.readTextFile(join(dir, "out.txt")) };
    };
    const runs = [];
    for (const version of ["A\n", "B\n", "A\n", "B\n"]) runs.push(await runWith(version));
    assertEquals(runs.map((run) => run.out), ["A\n", "B\n", "A\n", "B\n"]);
    assertEquals(runs.map((run) => run.cache), ["miss", "miss", "hit", "hit"]);
    assertEquals(runs.flatMap((run) => run.warnings), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
