import { assertEquals, assertLess } from "@std/assert";
import type { GatherEvent } from "../src/events.ts";
import { FIXTURES, gather, parseEvents } from "./_cli.ts";

function makespan(events: GatherEvent[]): number {
  const starts = events.filter((e) => e.type === "job:start").map((e) => e.time);
  const ends = events.filter((e) => e.type === "job:end").map((e) => e.time);
  return Math.max(...ends) - Math.min(...starts);
}

Deno.test("gather weights the critical path by remembered durations: the second run is faster", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["-f", `${FIXTURES}history.ts`, "-j", "2", "--reporter", "json"];
    const first = await gather(args, { cwd: dir });
    assertEquals(first.code, 0, first.stderr);
    const second = await gather(args, { cwd: dir });
    const firstMs = makespan(parseEvents(first.stdout));
    const secondMs = makespan(parseEvents(second.stdout));
    // Unit weights start zlong late (~1,300 ms); history starts it first: the lower bound, 900 ms.
    assertLess(secondMs, firstMs * 0.85, `first ${firstMs}ms, second ${secondMs}ms`);
    assertLess(secondMs, 900 * 1.1, `second run ${secondMs}ms, lower bound 900ms`);
    const order = parseEvents(second.stdout).filter((e) => e.type === "job:start").map((e) =>
      e.job
    );
    assertEquals(order[0], "zlong");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather --no-history neither reads nor writes the history file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await gather(["-f", `${FIXTURES}history.ts`, "-j", "2", "--no-history"], { cwd: dir });
    let exists = true;
    await Deno.stat(`${dir}/.gather/history.json`).catch(() => (exists = false));
    assertEquals(exists, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
