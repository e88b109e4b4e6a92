/**
 * The result cache and symbolic links, end to end: real links in a temporary
 * project, the real CLI. Inputs are keyed by what a job reads through a link
 * (to a file or a folder, in the project or out of it); each job appends its
 * name to `runs.txt` when its function is called, so a hit is proven by the
 * function not running.
 */

import { assert, assertEquals } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import type { GatherEvent } from "../src/events.ts";
import { type LinkMode, parseGlob, Walker } from "../src/cache/glob.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { StatIndex } from "../src/cache/stat_index.ts";
import { ROOT } from "./_cli.ts";
import { type ProjectRun, runIn } from "./_remote_project.ts";

const MOD = (dir: string) => JSON.stringify(relative(dir, join(ROOT, "mod.ts")));

/** `concat` reads every file under `data/` (through its links) into `out/all.txt`. */
function taskFile(dir: string): string {
  return `import { job } from ${MOD(dir)};

function ran(name: string) {
  Deno.writeTextFileSync("runs.txt", name + "\\n", { append: true });
}

function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function readFile(path: string): string {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return "(a link to nothing)";
  }
}

function read(folder: string): string[] {
  const texts: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(folder)];
  } catch {
    return texts; // a link to nothing
  }
  for (const entry of entries.sort((a, b) => a.name < b.name ? -1 : 1)) {
    const path = folder + "/" + entry.name;
    if (entry.isFile || Deno.lstatSync(path).isSymlink && !isFolder(path)) {
      texts.push(path + ": " + readFile(path));
    } else texts.push(...read(path));
  }
  return texts;
}

export const concat = job({ inputs: ["data/**"], outputs: ["out/**"] }, () => {
  ran("concat");
  Deno.mkdirSync("out", { recursive: true });
  Deno.writeTextFileSync("out/all.txt", read("data").join("\\n") + "\\n");
});

export const named = job({ inputs: ["data/dirlink"] }, () => {
  ran("named");
  return read("data/dirlink");
});
`;
}

async function run(dir: string, args: string[] = []): Promise<ProjectRun> {
  return await runIn(dir, {}, args);
}

/** Why each job ran, from `--explain`. */
function reasons(events: GatherEvent[]): Record<string, string> {
  const why: Record<string, string> = {};
  for (const event of events) {
    if (event.type === "job:cache" && event.reason !== undefined) why[event.job] = event.reason;
  }
  return why;
}

/** A project: `data/dirlink -> ../realdir`, `realdir/f.txt`, and a second folder to point at. */
async function withProject(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-links-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.mkdir(join(dir, "data"));
    await Deno.mkdir(join(dir, "realdir"));
    await Deno.mkdir(join(dir, "realdir2"));
    await Deno.writeTextFile(join(dir, "data", "plain.txt"), "plain\n");
    await Deno.writeTextFile(join(dir, "realdir", "f.txt"), "d1\n");
    await Deno.writeTextFile(join(dir, "realdir2", "f.txt"), "other\n");
    await Deno.symlink("../realdir", join(dir, "data", "dirlink"));
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Point a link elsewhere, as `ln -sfn` does (a new link renamed over the old one). */
async function repoint(link: string, target: string): Promise<void> {
  await Deno.symlink(target, `${link}.new`);
  await Deno.rename(`${link}.new`, link);
}

Deno.test("cache: a file under a linked folder in an input glob is keyed by its path through the link and its content", async () => {
  await withProject(async (dir) => {
    const first = await run(dir);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.ran, ["concat", "named"]);
    assertEquals(first.warnings, []); // "data/dirlink" is a folder, not a glob that matches nothing
    const all = () => Deno.readTextFile(join(dir, "out", "all.txt"));
    assertEquals(await all(), "data/dirlink/f.txt: d1\ndata/plain.txt: plain\n");
    assertEquals((await run(dir)).ran, []);

    // The file behind the link changes: both jobs run, and the output is the new one.
    await Deno.writeTextFile(join(dir, "realdir", "f.txt"), "d4\n");
    const changed = await run(dir, ["--explain"]);
    assertEquals(changed.ran, ["concat", "named"]);
    assertEquals(reasons(changed.events), {
      concat: "input data/dirlink/f.txt changed",
      named: "input data/dirlink/f.txt changed",
    });
    assertEquals(await all(), "data/dirlink/f.txt: d4\ndata/plain.txt: plain\n");
    assertEquals((await run(dir)).ran, []);

    // The link points elsewhere: both jobs run again.
    await repoint(join(dir, "data", "dirlink"), "../realdir2");
    const repointed = await run(dir);
    assertEquals(repointed.ran, ["concat", "named"]);
    assertEquals(await all(), "data/dirlink/f.txt: other\ndata/plain.txt: plain\n");

    // A link back: a hit on the entry stored for realdir's content, restoring its output.
    await repoint(join(dir, "data", "dirlink"), "../realdir");
    const back = await run(dir);
    assertEquals(back.ran, []);
    assertEquals(back.cache["concat"], "hit");
    assertEquals(await all(), "data/dirlink/f.txt: d4\ndata/plain.txt: plain\n");
  });
});

Deno.test("cache: a linked folder outside the project is read as an input, like a linked file", async () => {
  await withProject(async (dir) => {
    const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-outside-" }));
    try {
      await Deno.writeTextFile(join(outside, "f.txt"), "far\n");
      await repoint(join(dir, "data", "dirlink"), outside);
      assertEquals((await run(dir)).ran, ["concat", "named"]);
      assertEquals((await run(dir)).ran, []);
      await Deno.writeTextFile(join(outside, "f.txt"), "farther\n");
      const changed = await run(dir, ["--explain"]);
      assertEquals(changed.ran, ["concat", "named"]);
      assertEquals(reasons(changed.events)["concat"], "input data/dirlink/f.txt changed");
      // Its absolute path is in no key: only the path through the link is.
      const parts = JSON.stringify(changed.events);
      assert(!parts.includes(outside), "the key names the folder outside the project");
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("cache: a link to a folder that does not exist yet is followed once it does", async () => {
  await withProject(async (dir) => {
    await repoint(join(dir, "data", "dirlink"), "../later");
    const first = await run(dir);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.ran, ["concat", "named"]);
    assertEquals((await run(dir)).ran, []);
    // data/ itself does not change: its remembered listing must not hide the link's new folder.
    await Deno.mkdir(join(dir, "later"));
    await Deno.writeTextFile(join(dir, "later", "f.txt"), "now\n");
    const appeared = await run(dir);
    assertEquals(appeared.ran, ["concat", "named"]);
    assertEquals(
      await Deno.readTextFile(join(dir, "out", "all.txt")),
      "data/dirlink/f.txt: now\ndata/plain.txt: plain\n",
    );
  });
});

Deno.test("Walker: a link that leads back to a folder on its way is not followed; every other path through links is walked", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-walk-" }));
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-outside-" }));
  try {
    for (const folder of ["data/x", "data/y"]) {
      await Deno.mkdir(join(root, folder), { recursive: true });
    }
    await Deno.writeTextFile(join(root, "data/a.txt"), "a");
    await Deno.writeTextFile(join(root, "data/x/c.txt"), "c");
    await Deno.writeTextFile(join(root, "data/y/b.txt"), "b");
    await Deno.writeTextFile(join(outside, "o.txt"), "o");
    await Deno.symlink(".", join(root, "data/self"));
    await Deno.symlink("..", join(root, "data/up"));
    await Deno.symlink("/", join(root, "data/top"));
    await Deno.symlink("../y", join(root, "data/x/l"));
    await Deno.symlink("../x", join(root, "data/y/l"));
    await Deno.symlink(outside, join(root, "data/far"));
    await Deno.symlink(join(root, "data"), join(outside, "back"));
    await Deno.symlink("nothing", join(root, "data/dangling"));
    const expand = (globs: string[], links?: LinkMode) =>
      new Walker(root, undefined, links).expand(globs.map((g) => parseGlob(g, root, root))).files;
    assertEquals(expand(["data/**"]), [
      "data/a.txt",
      "data/far/o.txt",
      "data/x/c.txt",
      "data/x/l/b.txt",
      "data/y/b.txt",
      "data/y/l/c.txt",
    ]);
    // A glob whose base is already through a link, with and without `**`.
    assertEquals(expand(["data/x/l/**"]), ["data/x/l/b.txt"]);
    assertEquals(expand(["data/*/l/*.txt"]), ["data/x/l/b.txt", "data/y/l/c.txt"]);
    assertEquals(expand(["data/far"]), ["data/far/o.txt"]);
    // Outputs keep links as they are: matched, never entered.
    assertEquals(expand(["data/**"], "keep"), [
      "data/a.txt",
      "data/dangling",
      "data/far",
      "data/self",
      "data/top",
      "data/up",
      "data/x/c.txt",
      "data/x/l",
      "data/y/b.txt",
      "data/y/l",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("Walker: a folder listing remembered without its links (by an older gather) is read again", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-walk-" }));
  try {
    await Deno.mkdir(join(root, "data"));
    await Deno.mkdir(join(root, "realdir"));
    await Deno.writeTextFile(join(root, "data/plain.txt"), "plain");
    await Deno.writeTextFile(join(root, "realdir/f.txt"), "f");
    await Deno.symlink("../realdir", join(root, "data/dirlink"));
    const info = await Deno.stat(join(root, "data"));
    const index = join(root, "index.json");
    await Deno.writeTextFile(
      index,
      JSON.stringify({
        version: 1,
        savedAt: Date.now() + 60_000,
        files: {},
        dirs: {
          data: {
            mtime: info.mtime!.getTime(),
            ctime: info.ctime!.getTime(),
            ino: info.ino,
            files: ["plain.txt"],
            dirs: [],
          },
        },
      }),
    );
    const memo = StatIndex.load(index, lazyHasher());
    const globs = [parseGlob("data/**", root, root)];
    assertEquals(new Walker(root, memo).expand(globs).files, [
      "data/dirlink/f.txt",
      "data/plain.txt",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache: a job keyed after its dependency wrote through another name sees what it wrote, though another job read the link first", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-links-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.mkdir(join(dir, "data"));
    await Deno.mkdir(join(dir, "src"));
    await Deno.writeTextFile(join(dir, "src", "a.txt"), "alpha\n");
    await Deno.symlink("../gen", join(dir, "data", "gen"));
    // `peek` is keyed as the run starts (reading data/ through the link); `produce` writes gen/
    // a moment later; `consume`, keyed once produce has run, must see what it wrote.
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${MOD(dir)};
const ran = (name: string) => Deno.writeTextFileSync("runs.txt", name + "\\n", { append: true });
export const peek = job({ inputs: ["data/**"] }, () => ran("peek"));
export const produce = job({ inputs: ["src/**"], outputs: ["gen/**"] }, async () => {
  ran("produce");
  await new Promise((resolve) => setTimeout(resolve, 300));
  Deno.mkdirSync("gen", { recursive: true });
  Deno.writeTextFileSync("gen/v.txt", Deno.readTextFileSync("src/a.txt"));
});
export const consume = job({ deps: [produce], inputs: ["data/**"] }, () => ran("consume"));
`,
    );
    const first = await run(dir, ["-j", "4"]);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.ran, ["consume", "peek", "produce"]);
    // consume's entry was keyed with gen/v.txt in it: nothing changed, all hits (peek's key saw no
    // gen/ last time: it runs again).
    const second = await run(dir, ["-j", "4", "--explain"]);
    assertEquals(second.ran, ["peek"]);
    assertEquals(reasons(second.events)["peek"], "input data/gen/v.txt added");
    // produce writes new content: consume runs again, though peek hashed the old one this run.
    await Deno.writeTextFile(join(dir, "src", "a.txt"), "beta\n");
    const changed = await run(dir, ["-j", "4", "--explain"]);
    assertEquals(changed.ran, ["consume", "produce"]);
    assertEquals(reasons(changed.events)["consume"], "input data/gen/v.txt changed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
