/**
 * The cache against files that change at the wrong moment: a same-size
 * overwrite that keeps the mtime, in the second the file was hashed (its
 * stat does not change: Deno gives `ctime` in whole seconds). Real files,
 * the real CLI; a hit is proven wrong by the output it restores.
 */

import { assert, assertEquals } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import type { JobEndEvent } from "../src/events.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { StatIndex } from "../src/cache/stat_index.ts";
import { RACY_MS } from "../src/cache/_racy.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";
import {
  ctimeOf,
  inOneSecond,
  nextSecond,
  OLD_MTIME,
  writeKeepingOldMtime,
} from "./_one_second.ts";

/** A project whose one cached job copies in.txt to out.txt. */
async function copyProject(): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-race-" }));
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  await Deno.writeTextFile(
    join(dir, "tasks.ts"),
    `import { job } from ${JSON.stringify(relative(dir, join(ROOT, "mod.ts")))};
export const cp = job({ inputs: ["in.txt"], outputs: ["out.txt"] }, async () => {
  const text = await Deno.readTextFile("in.txt");
  await Deno.writeTextFile("out.txt", text);
  return text.trim();
});
`,
  );
  return dir;
}

/** Run gather in a project; each job's `job:end.cache`. */
async function runCache(dir: string): Promise<Record<string, string>> {
  const result = await gather(["--reporter", "json", "--no-logs"], { cwd: dir });
  assertEquals(result.code, 0, result.stderr);
  const cache: Record<string, string> = {};
  for (const event of parseEvents(result.stdout)) {
    if (event.type === "job:end") cache[event.job] = (event as JobEndEvent).cache;
  }
  return cache;
}

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
    const dir = await copyProject();
    try {
      const second = await inOneSecond(join(dir, "in.txt"), async (between) => {
        await Deno.remove(join(dir, ".gather"), { recursive: true }).catch(() => {});
        await overwrite(dir, "AAAA\n");
        between();
        assertEquals(await runCache(dir), { cp: "miss" });
        await overwrite(dir, "BBBB\n");
        return await runCache(dir);
      });
      assertEquals(await Deno.readTextFile(join(dir, "out.txt")), "BBBB\n");
      assertEquals(second, { cp: "miss" });
      assertEquals(await runCache(dir), { cp: "hit" }); // and stored as it is now
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
