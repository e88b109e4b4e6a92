/**
 * Symbolic links among a job's outputs, end to end with the real CLI and at
 * the restore itself: a link is stored as a link and restored as one; a link
 * that would lead out of the project is not stored, and one in an entry
 * (tampered with) is not restored.
 */

import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import type { Manifest } from "../src/cache/entry.ts";
import { UnsafeLinkError } from "../src/cache/links.ts";
import { restoreOutputs, saveOutputs } from "../src/cache/outputs.ts";
import { parseGlob } from "../src/cache/glob.ts";
import { StatIndex } from "../src/cache/stat_index.ts";
import { LocalStore } from "../src/cache/store.ts";
import { ROOT } from "./_cli.ts";
import { type ProjectRun, runIn } from "./_remote_project.ts";

const MOD = (dir: string) => JSON.stringify(relative(dir, join(ROOT, "mod.ts")));

/** The links `mk` makes under `out/`, and what each points to. */
const LINKS: Record<string, string> = {
  "out/link.txt": "target.txt",
  "out/latest": "v2",
  "out/bin/tool": "../v2/a.txt",
  "out/dangling": "missing.txt",
};

/** `mk` makes files and links under `out/`; `EXTRA` links may be added by a test. */
function taskFile(dir: string, extra: Record<string, string> = {}): string {
  return `import { job } from ${MOD(dir)};

function ran(name: string) {
  Deno.writeTextFileSync("runs.txt", name + "\\n", { append: true });
}

export const mk = job({ inputs: ["src.txt"], outputs: ["out/**"] }, () => {
  ran("mk");
  Deno.mkdirSync("out/v2", { recursive: true });
  Deno.mkdirSync("out/bin", { recursive: true });
  Deno.writeTextFileSync("out/target.txt", Deno.readTextFileSync("src.txt"));
  Deno.writeTextFileSync("out/v2/a.txt", "a");
  for (const [path, target] of Object.entries(${JSON.stringify({ ...LINKS, ...extra })})) {
    Deno.symlinkSync(target, path);
  }
});
`;
}

async function withProject(
  fn: (dir: string) => Promise<void>,
  extra: Record<string, string> = {},
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-out-links-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.writeTextFile(join(dir, "src.txt"), "v1\n");
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, extra));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function run(dir: string): Promise<ProjectRun> {
  return await runIn(dir, {});
}

/** Each link under a folder and its target, by path relative to the project. */
function linksIn(dir: string, folder: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (path: string) => {
    for (const entry of Deno.readDirSync(join(dir, path))) {
      const child = `${path}/${entry.name}`;
      if (entry.isSymlink) found[child] = Deno.readLinkSync(join(dir, child));
      else if (entry.isDirectory) walk(child);
    }
  };
  walk(folder);
  return found;
}

Deno.test("cache: a hit restores a symbolic link output as a link to the same target", async () => {
  await withProject(async (dir) => {
    const first = await run(dir);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.ran, ["mk"]);
    assertEquals(first.warnings, []);
    assertEquals(linksIn(dir, "out"), LINKS);

    await Deno.remove(join(dir, "out"), { recursive: true });
    const restored = await run(dir);
    assertEquals(restored.ran, []);
    assertEquals(restored.cache["mk"], "hit");
    assertEquals(linksIn(dir, "out"), LINKS);
    assertEquals(await Deno.readTextFile(join(dir, "out/link.txt")), "v1\n"); // through the link
    assertEquals(await Deno.readTextFile(join(dir, "out/latest/a.txt")), "a");
    assertEquals((await Deno.lstat(join(dir, "out/target.txt"))).isFile, true);

    // A link replaced by a file, or pointed elsewhere, is put back; an unchanged one is left.
    const untouched = (await Deno.lstat(join(dir, "out/bin/tool"))).ino;
    await Deno.remove(join(dir, "out/link.txt"));
    await Deno.writeTextFile(join(dir, "out/link.txt"), "v1\n");
    await Deno.remove(join(dir, "out/latest"));
    await Deno.symlink("target.txt", join(dir, "out/latest"));
    assertEquals((await run(dir)).ran, []);
    assertEquals(linksIn(dir, "out"), LINKS);
    assertEquals((await Deno.lstat(join(dir, "out/bin/tool"))).ino, untouched);
  });
});

Deno.test("cache: a symbolic link output whose target is absolute or leaves the project is not stored", async () => {
  const cases: [string, string][] = [["/etc/hostname", "absolute"], [
    "../../x",
    "leaves the project",
  ]];
  for (const [target, why] of cases) {
    await withProject(async (dir) => {
      const first = await run(dir);
      assertEquals(first.code, 0, first.stderr);
      assertEquals(first.warnings.length, 1, first.warnings.join("\n"));
      assertStringIncludes(
        first.warnings[0]!,
        `not cached: output "out/away" is a symbolic link to "${target}"`,
      );
      assertStringIncludes(first.warnings[0]!, why);
      await Deno.remove(join(dir, "out"), { recursive: true });
      const second = await run(dir);
      assertEquals(second.code, 0, second.stderr);
      assertEquals(second.ran, ["mk"]); // nothing was stored: it runs again
      assertEquals(Deno.readLinkSync(join(dir, "out/away")), target);
    }, { "out/away": target });
  }
});

Deno.test("cache: an entry whose link would lead out of the project is not restored: a warning, and the job runs", async () => {
  await withProject(async (dir) => {
    assertEquals((await run(dir)).code, 0);
    const outside = join(dir, "..", `outside-${crypto.randomUUID()}`);
    const entries = join(dir, ".gather", "cache", "v1", "entries");
    for await (const file of walkFiles(entries)) {
      const manifest = JSON.parse(await Deno.readTextFile(file)) as Manifest;
      manifest.links = [{ path: "out/link.txt", target: relative(join(dir, "out"), outside) }];
      await Deno.writeTextFile(file, JSON.stringify(manifest));
    }
    await Deno.remove(join(dir, "out"), { recursive: true });
    await Deno.remove(join(dir, ".gather", "cache", "v1", "memo"), { recursive: true });
    const result = await run(dir);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.ran, ["mk"]);
    assertEquals(result.warnings.length, 1, result.warnings.join("\n"));
    assertStringIncludes(
      result.warnings[0]!,
      "its target leaves the project root): running the job",
    );
    assertEquals(linksIn(dir, "out"), LINKS); // the job's own
  });
});

Deno.test("restoreOutputs: links are checked before anything is written; one over a file replaces it", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    const store = new LocalStore(join(dir, "cache"), lazyHasher());
    const hash = await store.putBytes(new TextEncoder().encode("a"));
    const outputs = [{ path: "out/v2/a.txt", hash, size: 1, mode: 0o644 }];
    const blobs = store.blobsOf({ outputs } as unknown as Manifest);
    const index = () => StatIndex.load(join(dir, "index.json"), lazyHasher());
    const hostile = [
      [{ path: "out/up", target: "../.." }],
      [{ path: "out/abs", target: dir }],
      [{ path: "out/v2", target: "../src" }], // a.txt would be written through it, into src/
      [{ path: "out/x", target: "v2" }, { path: "out/x", target: "v1" }],
    ];
    for (const links of hostile) {
      await assertRejects(
        () => restoreOutputs(dir, outputs, blobs, index(), links),
        UnsafeLinkError,
      );
      assertEquals(await Deno.stat(join(dir, "out")).then(() => true, () => false), false);
    }
    await Deno.mkdir(join(dir, "out"));
    await Deno.writeTextFile(join(dir, "out/latest"), "a file where the link goes");
    const links = [{ path: "out/latest", target: "v2" }];
    assertEquals(await restoreOutputs(dir, outputs, blobs, index(), links), 2);
    assertEquals(Deno.readLinkSync(join(dir, "out/latest")), "v2");
    assertEquals(await Deno.readTextFile(join(dir, "out/latest/a.txt")), "a");
    assertEquals(await restoreOutputs(dir, outputs, blobs, index(), links), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveOutputs and restoreOutputs: a link whose folder is really shallower than its path says is refused where it really is", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    // a/b/c is a link to x: from there, ../../../y is two folders above the project.
    await Deno.mkdir(join(dir, "x"));
    await Deno.mkdir(join(dir, "a/b"), { recursive: true });
    await Deno.symlink("../../x", join(dir, "a/b/c"));
    const link = { path: "a/b/c/l", target: "../../../y" };
    const store = new LocalStore(join(dir, "cache"), lazyHasher());
    const blobs = store.blobsOf({ outputs: [] } as unknown as Manifest);
    const index = StatIndex.load(join(dir, "index.json"), lazyHasher());
    await assertRejects(
      () => restoreOutputs(dir, [], blobs, index, [link]),
      UnsafeLinkError,
      "a folder on its way is a link",
    );
    assertEquals(await Deno.lstat(join(dir, "x/l")).then(() => true, () => false), false);
    await Deno.symlink(link.target, join(dir, "x/l"));
    await assertRejects(
      () => saveOutputs(dir, [parseGlob("a/b/c/*", dir, dir)], store),
      UnsafeLinkError,
      "a folder on its way is a link",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walkFiles(path);
    else if (entry.isFile) yield path;
  }
}
