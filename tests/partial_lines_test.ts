/**
 * The `job:partial` throttle on a fake clock: exact, and independent of the
 * machine's pace (the end-to-end test in `process_test.ts` shows the events
 * reach `run()` from a real command).
 */

import { assertEquals } from "@std/assert";
import {
  PARTIAL_EVERY_MS,
  PartialLines,
  type PartialTimers,
} from "../src/engine/_partial_lines.ts";
import type { GatherEvent } from "../src/events.ts";

/** Virtual time: `advance()` fires the timers that fall due, in order. */
class FakeTimers implements PartialTimers {
  time = 0;
  #timers = new Map<number, { at: number; fire: () => void }>();
  #next = 1;
  now(): number {
    return this.time;
  }
  set(fire: () => void, ms: number): unknown {
    this.#timers.set(this.#next, { at: this.time + ms, fire });
    return this.#next++;
  }
  clear(id: unknown): void {
    this.#timers.delete(id as number);
  }
  get pending(): number {
    return this.#timers.size;
  }
  advance(to: number): void {
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at);
      if (due.length === 0) break;
      const [id, timer] = due[0]!;
      this.#timers.delete(id);
      this.time = timer.at;
      timer.fire();
    }
    this.time = to;
  }
}

function partials(events: GatherEvent[]): [number, string][] {
  return events.flatMap((e) =>
    e.type === "job:partial" ? [[e.time, e.line] as [number, string]] : []
  );
}

function setUp() {
  const timers = new FakeTimers();
  const events: GatherEvent[] = [];
  const lines = new PartialLines("bar", (event) => {
    events.push({ ...event, time: timers.now() } as GatherEvent);
  }, timers);
  return { timers, events, lines };
}

Deno.test("PartialLines sends the first line at once, then the latest each 100 ms: ten redraws 30 ms apart are four events", () => {
  const { timers, events, lines } = setUp();
  for (let i = 1; i <= 10; i++) {
    timers.advance((i - 1) * 30);
    lines.show(String(i), "stdout");
  }
  timers.advance(1_000);
  assertEquals(PARTIAL_EVERY_MS, 100);
  assertEquals(partials(events), [[0, "1"], [100, "4"], [200, "7"], [300, "10"]]);
  assertEquals(timers.pending, 0);
});

Deno.test("PartialLines sends each redraw that comes 100 ms or more after the last event at once", () => {
  const { timers, events, lines } = setUp();
  for (const at of [0, 100, 250, 600]) {
    timers.advance(at);
    lines.show(`at ${at}`, "stderr");
  }
  assertEquals(partials(events), [[0, "at 0"], [100, "at 100"], [250, "at 250"], [600, "at 600"]]);
  assertEquals(timers.pending, 0);
});

Deno.test("PartialLines never sends a line that ended before its turn, and keeps the other stream's", () => {
  const { timers, events, lines } = setUp();
  lines.show("10%", "stdout");
  timers.advance(40);
  lines.show("20%", "stdout");
  timers.advance(60);
  lines.ended("stdout"); // 20% became a whole line: it is a job:log, not a partial
  timers.advance(500);
  assertEquals(partials(events), [[0, "10%"]]);
  assertEquals(timers.pending, 0);
  lines.show("a", "stderr");
  timers.advance(520);
  lines.show("b", "stderr");
  lines.ended("stdout"); // another stream's end leaves stderr's waiting line alone
  timers.advance(700);
  assertEquals(partials(events), [[0, "10%"], [500, "a"], [600, "b"]]);
});
