/**
 * A cached job stopped while it writes (fail-fast, a timeout) leaves no
 * half-written output: the files under its outputs it changed are removed, as
 * make removes an interrupted target; what it did not touch, and what another
 * job declares, stay.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { gather, parseEvents } from "./_cli.ts";
import { MOD, project } from "./_watch.ts";
import type { GatherEvent } from "../src/events.ts";

const TASKS = `
import { job } from "${MOD}";
// Writes half of its output, then waits (a link step in the middle of its work).
export const link = job({ inputs: ["src.txt"], outputs: ["out/*"] }, async (ctx) => {
  await Deno.writeTextFile("out/app", "half a binary");
  await ctx.sh\`sleep 20\`;
  await Deno.writeTextFile("out/app", "the whole binary");
});
export const slow = job({ inputs: ["src.txt"], outputs: ["out/slow.txt"], timeout: 400 }, async (ctx) => {
  await Deno.writeTextFile("out/slow.txt", "partial");
  await ctx.sh\`sleep 20\`;
});
export const broken = job(async () => {
  await new Promise((resolve) => setTimeout(resolve, 600));
  throw new Error("test failed");
});
`;

const warningsOf = (events: GatherEvent[], job: string) =>
  events.flatMap((e) => e.type === "warning" && e.job === job ? [e.message] : []);

Deno.test("a cached job cancelled by fail-fast leaves no half-written output; files it did not touch stay", async () => {
  const dir = await project({
    "tasks.ts": TASKS,
    "src.txt": "1",
    "out/keep.o": "from an earlier run",
  });
  try {
    await Deno.utime(`${dir}/out/keep.o`, 1_000, 1_000);
    const { code, stdout } = await gather([
      "-f",
      "tasks.ts",
      "link",
      "broken",
      "--reporter",
      "json",
    ], {
      cwd: dir,
    });
    assertEquals(code, 1);
    const events = parseEvents(stdout);
    const end = events.find((e) => e.type === "job:end" && e.job === "link");
    assertEquals(end?.type === "job:end" && end.status, "cancelled");
    const exists = await Deno.stat(`${dir}/out/app`).then(() => true, () => false);
    assertEquals(exists, false, "the half-written output is gone");
    assertEquals(await Deno.readTextFile(`${dir}/out/keep.o`), "from an earlier run");
    const [warning, ...more] = warningsOf(events, "link");
    assertEquals(more, []);
    assertStringIncludes(warning ?? "", "removed what it was writing when it was stopped: out/app");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a cached job that times out leaves no half-written output", async () => {
  const dir = await project({
    "tasks.ts": TASKS,
    "src.txt": "1",
    "out/.keep": "",
  });
  try {
    const { code, stdout } = await gather(["-f", "tasks.ts", "slow", "--reporter", "json"], {
      cwd: dir,
    });
    assertEquals(code, 1);
    const events = parseEvents(stdout);
    const exists = await Deno.stat(`${dir}/out/slow.txt`).then(() => true, () => false);
    assertEquals(exists, false);
    assert(warningsOf(events, "slow").some((w) => w.includes("out/slow.txt")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
