import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { gather, ROOT } from "./_cli.ts";
import { project, WatchSession } from "./_watch.ts";

/** A task file that prints while it loads, through the console and through Deno.stdout. */
const NOISY = `import { job } from "${ROOT}mod.ts";
console.log("top-level log");
console.table([{ a: 1 }]);
await Deno.stdout.write(new TextEncoder().encode("top-level write\\n"));
Deno.stdout.writeSync(new TextEncoder().encode("unfinished"));
export const a = job(() => 1);
`;

for (
  const args of [
    ["--reporter", "json"],
    ["--list"],
    ["--graph"],
    ["--dry-run"],
  ]
) {
  Deno.test(`gather ${args.join(" ")}: what the task file prints while it loads goes to stderr, stdout carries only data`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/tasks.ts`, NOISY);
      const result = await gather(["-f", "tasks.ts", "--no-logs", ...args], { cwd: dir });
      assertEquals(result.code, 0, result.stderr);
      assert(!/top-level|unfinished|┌/.test(result.stdout), result.stdout);
      for (const line of ["top-level log", "top-level write", "unfinished", "┌"]) {
        assertStringIncludes(result.stderr, line);
      }
      if (args[0] === "--reporter") {
        for (const line of result.stdout.trim().split("\n")) JSON.parse(line);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("gather --watch: what the task file prints while it loads goes to stderr, not among the JSON events", async () => {
  const dir = await project({ "tasks.ts": NOISY });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1);
  } finally {
    const result = await session.stop();
    await Deno.remove(dir, { recursive: true });
    assertEquals(session.live.stdoutLines.filter((line) => !line.startsWith("{")), []);
    assertStringIncludes(result.stderr, "top-level log");
    assertStringIncludes(result.stderr, "top-level write");
  }
});
