import { assertEquals, assertLess } from "@std/assert";
import { gather, ROOT } from "./_cli.ts";

/** A task file of `n` exported no-op jobs, every one a default. */
async function taskFile(dir: string, n: number): Promise<string> {
  const path = `${dir}/jobs_${n}.ts`;
  let source = `import { job } from ${JSON.stringify(`${ROOT}mod.ts`)};\n`;
  for (let i = 0; i < n; i++) source += `export const j${i} = job(() => {});\n`;
  await Deno.writeTextFile(path, source);
  return path;
}

Deno.test("gather --list grows linearly with the jobs: 100,000 cost about 10× 10,000, not 100×", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const timed = async (n: number) => {
      const file = await taskFile(dir, n);
      await gather(["-f", file, "--list"]); // compiles and caches the task file
      const started = performance.now();
      const { code, stdout } = await gather(["-f", file, "--list"]);
      const ms = performance.now() - started;
      assertEquals(code, 0);
      assertEquals(stdout.split("\n").length, n + 1);
      assertEquals(stdout.split("\n")[n - 1], `* j${n - 1}`); // every job a default
      return ms;
    };
    const small = await timed(10_000);
    const large = await timed(100_000);
    // Linear: ~10× (less, with start-up); quadratic (as it was): ~50-100×.
    assertLess(large / small, 25, `10,000 jobs: ${small}ms, 100,000 jobs: ${large}ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
