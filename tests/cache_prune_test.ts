/**
 * `gather cache prune`, end to end: real runs, real files, the real CLI.
 * What prune says is what is left on disk, `cache status` agrees, and the
 * next run hits exactly the entries that are left: none is served from a
 * memo after its entry went. Each job appends its name to `runs.txt` when
 * its function is called, so a hit is proven by the function not running.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import type { Manifest } from "../src/cache/entry.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";

const JOBS = ["a", "b", "c", "d", "e"];

async function withProject(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-prune-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.mkdir(join(dir, "src"));
    for (const name of JOBS) await Deno.writeTextFile(join(dir, "src", `${name}.txt`), name);
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};\n\n` +
        `export default ${JSON.stringify(JOBS)}.map((name) =>\n` +
        `  job({ name, inputs: [\`src/\${name}.txt\`], outputs: [\`out/\${name}.bin\`] }, async () => {\n` +
        `    Deno.writeTextFileSync("runs.txt", name + "\\n", { append: true });\n` +
        `    await Deno.mkdir("out", { recursive: true });\n` +
        `    await Deno.writeTextFile(\`out/\${name}.bin\`, name.repeat(4000));\n` +
        `  })\n` +
        `);\n`,
    );
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Run every job: which ran (sorted), and the warnings said. */
async function run(dir: string): Promise<{ ran: string[]; warnings: string[] }> {
  await Deno.remove(join(dir, "runs.txt")).catch(() => {});
  await Deno.remove(join(dir, "out"), { recursive: true }).catch(() => {});
  const result = await gather(["--reporter", "json", "--no-logs"], { cwd: dir });
  assertEquals(result.code, 0, result.stderr);
  const ran = await Deno.readTextFile(join(dir, "runs.txt")).then(
    (text) => text.trim().split("\n").sort(),
    () => [],
  );
  const warnings = parseEvents(result.stdout).flatMap((e) =>
    e.type === "warning" ? [e.message] : []
  );
  return { ran, warnings };
}

async function prune(dir: string, size: string): Promise<string> {
  const pruned = await gather(["cache", "prune", "--max-size", size], { cwd: dir });
  assertEquals(pruned.code, 0, pruned.stderr);
  return pruned.stdout;
}

function cacheFiles(dir: string): { path: string; size: number }[] {
  const found: { path: string; size: number }[] = [];
  const walk = (folder: string) => {
    for (const entry of Deno.readDirSync(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) walk(path);
      else found.push({ path, size: Deno.statSync(path).size });
    }
  };
  walk(join(dir, ".gather", "cache", "v1"));
  return found;
}

function sizeOf(files: { size: number }[]): number {
  return files.reduce((sum, file) => sum + file.size, 0);
}

Deno.test("cache prune: the least recently used entries go with their blobs until the cache fits; status and the next run agree", async () => {
  await withProject(async (dir) => {
    assertEquals((await run(dir)).ran, JOBS);
    // a and b are the least recently used: their entries (manifest and output blob) must go.
    const files = cacheFiles(dir);
    const old = new Date(Date.now() - 3_600_000);
    let theirs = 0;
    for (const file of files.filter((f) => f.path.includes("/entries/"))) {
      const manifest = JSON.parse(Deno.readTextFileSync(file.path)) as Manifest;
      if (manifest.job !== "a" && manifest.job !== "b") continue;
      Deno.utimeSync(file.path, old, old);
      const blob = files.find((f) => f.path.endsWith(`/${manifest.outputs[0]!.hash}`))!;
      theirs += file.size + blob.size;
    }
    // The memo of the last run's entries goes too: it would serve a removed entry.
    const memo = sizeOf(files.filter((f) => f.path.includes("/memo/recent-")));
    const limit = sizeOf(files) - memo - theirs;
    const said = await prune(dir, String(limit));
    assertStringIncludes(said, "cache: removed 2 entries (");
    assertStringIncludes(said, ": 3 entries, ");
    assert(sizeOf(cacheFiles(dir)) <= limit, `${sizeOf(cacheFiles(dir))} bytes left over ${limit}`);
    const status = await gather(["cache", "status"], { cwd: dir });
    assertStringIncludes(status.stdout, "entries: 3, ");
    assertEquals(await run(dir), { ran: ["a", "b"], warnings: [] });
  });
});

Deno.test("cache prune --max-size 0 leaves nothing: status says 0 entries and 0 B, and the next run runs every job, without a warning", async () => {
  await withProject(async (dir) => {
    assertEquals((await run(dir)).ran, JOBS);
    assertEquals((await run(dir)).ran, []); // all hits: the memo of the last run's entries is used
    const said = await prune(dir, "0");
    assertStringIncludes(said, "cache: removed 5 entries (");
    assertStringIncludes(said, ": 0 entries, 0 B; the stat index and memos went too");
    assertEquals(cacheFiles(dir), []);
    const status = await gather(["cache", "status"], { cwd: dir });
    assertStringIncludes(status.stdout, "entries: 0, size: 0 B");
    assertEquals(await run(dir), { ran: JOBS, warnings: [] });
    assertEquals((await run(dir)).ran, []);
  });
});
