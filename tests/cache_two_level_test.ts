/**
 * The two-level key of jobs with discovered inputs, without the CLI: the
 * record of a primary key (its sets, most recent first, bounded), the final
 * keys its sets give as their files are now, the lookup that takes the first
 * with an entry, and what a job that ran discovered.
 */

import { assertEquals, assertNotEquals } from "@std/assert";
import { join } from "../src/deps/path.ts";
import { Discovery } from "../src/cache/_discovered.ts";
import { TwoLevel } from "../src/cache/_two_level.ts";
import { MAX_SETS } from "../src/cache/discovered_record.ts";
import type { Manifest } from "../src/cache/entry.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { RecentEntries } from "../src/cache/recent.ts";
import { StatIndex } from "../src/cache/stat_index.ts";
import { LocalStore } from "../src/cache/store.ts";
import { parseGlob } from "../src/cache/glob.ts";
import { resolveJobs } from "../src/load/resolve.ts";
import { job } from "../src/job.ts";
import type { JobSpec } from "../src/types.ts";

const PRIMARY = "a".repeat(64);

interface Setup {
  root: string;
  discovery: Discovery;
  twoLevel: TwoLevel;
  /** Final keys that have an entry, and the keys looked up. */
  entries: Set<string>;
  asked: string[];
  spec: JobSpec;
  /** Another run's lookups, reading the same entries. */
  next: () => TwoLevel;
}

/** A run's discovery and lookups over a project (a new run: nothing hashed yet). */
function aRun(
  root: string,
  read: (job: JobSpec, key: string) => Manifest | undefined,
): { discovery: Discovery; twoLevel: TwoLevel } {
  const hasher = lazyHasher();
  const store = new LocalStore(join(root, ".cache"), hasher);
  const index = StatIndex.load(join(root, `.cache/index-${crypto.randomUUID()}.json`), hasher);
  const recent = RecentEntries.open(store, crypto.randomUUID());
  const discovery = new Discovery({ root, index, hasher, store, recent });
  return { discovery, twoLevel: new TwoLevel({ discovery, read, remote: undefined }) };
}

async function withSetup(fn: (setup: Setup) => Promise<void>): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-two-level-" }));
  try {
    await Deno.mkdir(join(root, "src"));
    for (const name of ["a.h", "b.h", "c.h"]) {
      await Deno.writeTextFile(join(root, "src", name), `// ${name}\n`);
    }
    const entries = new Set<string>();
    const asked: string[] = [];
    const read = (_job: JobSpec, key: string) => {
      asked.push(key);
      return entries.has(key) ? { key } as unknown as Manifest : undefined;
    };
    const { discovery, twoLevel } = aRun(root, read);
    const { specs } = resolveJobs(
      [["cc", job({ inputs: ["src/main.c"], depfile: "build/cc.d" }, () => {})]],
      "tasks.ts",
      root,
    );
    const next = () => aRun(root, read).twoLevel;
    await fn({ root, discovery, twoLevel, entries, asked, spec: specs.get("cc")!, next });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** The final key a set gives now. */
async function keyOf(setup: Setup, set: string[]): Promise<string> {
  for await (const candidate of setup.discovery.candidates("other", PRIMARY, [set])) {
    return candidate.key;
  }
  throw new Error(`no candidate for ${set}`);
}

Deno.test("TwoLevel: no record is a miss; the first set whose final key has an entry is the hit", async () => {
  await withSetup(async (setup) => {
    const { twoLevel, discovery, entries, spec } = setup;
    assertEquals(await twoLevel.findLocal(spec, PRIMARY), undefined);
    assertEquals(twoLevel.hasRecord(spec, PRIMARY), false);
    discovery.keep(PRIMARY, [["src/a.h", "src/b.h"], ["src/a.h"]], []);
    assertEquals(twoLevel.hasRecord(spec, PRIMARY), true);
    assertEquals(await twoLevel.findLocal(spec, PRIMARY), undefined); // sets, but no entries
    const second = await keyOf(setup, ["src/a.h"]);
    entries.add(second);
    const hit = await twoLevel.findLocal(spec, PRIMARY);
    assertEquals(hit?.key, second);
    assertEquals(hit?.files.map(([path]) => path), ["src/a.h"]);
    const first = await keyOf(setup, ["src/a.h", "src/b.h"]);
    entries.add(first);
    assertEquals((await twoLevel.findLocal(spec, PRIMARY))?.key, first); // most recent first
  });
});

Deno.test("TwoLevel: an edited file changes its set's final key; editing it back finds the old entry", async () => {
  await withSetup(async (setup) => {
    const { twoLevel, discovery, entries, spec, root, next } = setup;
    discovery.keep(PRIMARY, [["src/b.h"]], []);
    const before = await keyOf(setup, ["src/b.h"]);
    entries.add(before);
    assertEquals((await twoLevel.findLocal(spec, PRIMARY))?.key, before);
    // The next runs (a run keeps the hashes it took before its job ran).
    await Deno.writeTextFile(join(root, "src/b.h"), "// edited, longer than before\n");
    assertEquals(await next().findLocal(spec, PRIMARY), undefined);
    await Deno.writeTextFile(join(root, "src/b.h"), "// b.h\n");
    assertEquals((await next().findLocal(spec, PRIMARY))?.key, before);
  });
});

Deno.test("TwoLevel: a set with a file that is gone misses, and is not looked up", async () => {
  await withSetup(async (setup) => {
    const { discovery, entries, asked, spec, root, next } = setup;
    entries.add(await keyOf(setup, ["src/c.h"]));
    discovery.keep(PRIMARY, [["src/gone.h", "src/c.h"], ["src/c.h"]], []);
    await Deno.remove(join(root, "src/c.h"));
    assertEquals(await next().findLocal(spec, PRIMARY), undefined);
    assertEquals(asked, []); // no set had all its files
  });
});

Deno.test("TwoLevel.stored: the set goes first in the record, which keeps the most recent few", async () => {
  await withSetup(async ({ twoLevel, discovery, spec }) => {
    for (let i = 0; i < MAX_SETS + 3; i++) {
      await twoLevel.stored(spec, PRIMARY, [[`src/h${i}.h`, "0"]]);
    }
    await twoLevel.stored(spec, PRIMARY, [["src/h5.h", "0"]]); // seen again: moves first
    const sets = discovery.sets(PRIMARY);
    assertEquals(sets.length, MAX_SETS);
    assertEquals(sets[0], ["src/h5.h"]);
    assertEquals(sets[1], [`src/h${MAX_SETS + 2}.h`]);
    assertEquals(sets.filter((set) => set[0] === "src/h5.h").length, 1);
  });
});

Deno.test("Discovery.collect: depfile and reported files, without declared inputs and outputs, relative inside the root and absolute outside", async () => {
  await withSetup(async ({ discovery, spec, root }) => {
    const outside = await Deno.makeTempFile({ suffix: ".h" });
    const old = new Date(Date.now() - 60_000);
    for (const file of ["src/a.h", "src/b.h", "src/main.c"]) {
      await Deno.writeTextFile(join(root, file), `// ${file}\n`);
      await Deno.utime(join(root, file), old, old);
    }
    await Deno.utime(outside, old, old);
    await Deno.mkdir(join(root, "build"));
    await Deno.writeTextFile(
      join(root, "build/cc.d"),
      `build/cc.o: ${root}/src/main.c ${root}/src/a.h \\\n ${outside} ${root}/build/gen.h\n`,
    );
    await Deno.writeTextFile(join(root, "build/gen.h"), "");
    const outputs = [parseGlob("build/*.h", root, root)];
    const found = await discovery.collect(
      spec,
      { status: "ok", attempts: 1, ignoredCancellation: false, discovered: [`${root}/src/b.h`] },
      new Set(["src/main.c"]),
      outputs,
      Date.now(),
    );
    assertEquals(found.ok, true);
    const paths = found.ok ? found.files.map(([path]) => path) : [];
    assertEquals(paths, [outside, "src/a.h", "src/b.h"].sort());
    await Deno.remove(outside);
    // Nothing discovered beyond the declared inputs: no files, a key like any job's.
    await Deno.writeTextFile(join(root, "build/cc.d"), `build/cc.o: src/main.c\n`);
    const cwd = Deno.cwd();
    Deno.chdir(root); // relative paths in a depfile are relative to where gather runs
    try {
      const none = await discovery.collect(
        spec,
        { status: "ok", attempts: 1, ignoredCancellation: false },
        new Set(["src/main.c"]),
        outputs,
        Date.now(),
      );
      assertEquals(none, { ok: true, files: [] });
    } finally {
      Deno.chdir(cwd);
    }
  });
});

Deno.test("Discovery.finalKey: the same set and hashes, the same key; another hash, another key", async () => {
  await withSetup(async ({ discovery }) => {
    const one = await discovery.finalKey("cc", PRIMARY, [["src/a.h", "1"]]);
    assertEquals(await discovery.finalKey("cc", PRIMARY, [["src/a.h", "1"]]), one);
    assertNotEquals(await discovery.finalKey("cc", PRIMARY, [["src/a.h", "2"]]), one);
    assertNotEquals(await discovery.finalKey("cc", "b".repeat(64), [["src/a.h", "1"]]), one);
  });
});
