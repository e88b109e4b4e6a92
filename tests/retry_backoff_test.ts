import { assert, assertEquals, assertGreaterOrEqual } from "@std/assert";
import { gather, ROOT } from "./_cli.ts";

Deno.test("gather waits retryDelay, then twice it, then four times it between attempts (no jitter)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/tasks.ts`,
      `import { job } from "${ROOT}mod.ts";
export const flaky = job({ retries: 3, retryDelay: "200ms" }, async () => {
  await Deno.writeTextFile("attempts.txt", performance.timeOrigin + performance.now() + "\\n", { append: true });
  throw new Error("not yet");
});
`,
    );
    const result = await gather(["-f", "tasks.ts", "--reporter", "plain"], { cwd: dir });
    assertEquals(result.code, 1, result.stderr);
    const times = (await Deno.readTextFile(`${dir}/attempts.txt`)).trim().split("\n").map(Number);
    assertEquals(times.length, 4);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    // Each wait is at least its documented time (less 10%), and each longer than the one before.
    [200, 400, 800].forEach((expected, i) =>
      assertGreaterOrEqual(gaps[i]!, 0.9 * expected, `${gaps}`)
    );
    assert(gaps[0]! < gaps[1]! && gaps[1]! < gaps[2]!, `${gaps}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
