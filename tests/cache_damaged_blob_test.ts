/**
 * A damaged blob, end to end: the warning names the entry that holds it (by
 * its key and job) and the output it is, not the blob's hash as if it were an
 * entry's; and the blob is removed, so the job's run stores it again and the
 * next run is a hit, instead of the same warning on every run.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import type { Manifest } from "../src/cache/entry.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";

async function run(dir: string): Promise<{ cache: string; warnings: string[] }> {
  await Deno.remove(join(dir, "build"), { recursive: true }).catch(() => {});
  const result = await gather(["--reporter", "json", "--no-logs"], { cwd: dir });
  assertEquals(result.code, 0, result.stderr);
  const events = parseEvents(result.stdout);
  const end = events.find((e) => e.type === "job:end");
  return {
    cache: end?.type === "job:end" ? end.cache : "",
    warnings: events.flatMap((e) => e.type === "warning" ? [e.message] : []),
  };
}

Deno.test("cache: a damaged blob is named by the entry and output it breaks, and is removed so the next run stores it again", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-blob-" }));
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};\n\n` +
        `export const compile = job({ inputs: [], outputs: ["build/**"] }, async () => {\n` +
        `  await Deno.mkdir("build", { recursive: true });\n` +
        `  await Deno.writeTextFile("build/app.bin", "binary");\n` +
        `});\n`,
    );
    assertEquals((await run(dir)).cache, "miss");
    const entries = join(dir, ".gather", "cache", "v1", "entries");
    const folder = [...Deno.readDirSync(entries)][0]!.name;
    const file = [...Deno.readDirSync(join(entries, folder))][0]!.name;
    const manifest = JSON.parse(Deno.readTextFileSync(join(entries, folder, file))) as Manifest;
    const blob = manifest.outputs[0]!.hash;
    await Deno.writeTextFile(
      join(dir, ".gather", "cache", "v1", "blobs", blob.slice(0, 2), blob),
      "bonary",
    );
    const damaged = await run(dir);
    assertEquals(damaged.cache, "miss");
    assertEquals(damaged.warnings.length, 1, damaged.warnings.join("\n"));
    assertMatch(
      damaged.warnings[0]!,
      new RegExp(
        `^cache entry ${manifest.key.slice(0, 12)} of compile is damaged ` +
          `\\(output build/app\\.bin: blob ${
            blob.slice(0, 12)
          } does not match its hash\\): running the job$`,
      ),
    );
    assertEquals(await run(dir), { cache: "hit", warnings: [] });
    assertEquals(await Deno.readTextFile(join(dir, "build", "app.bin")), "binary");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
