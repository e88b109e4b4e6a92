import { assertEquals, assertGreater, assertThrows } from "@std/assert";
import { MAX_TIMER_MS, parseDuration } from "../src/duration.ts";
import { FIXTURES, gather, parseEvents } from "./_cli.ts";

Deno.test("parseDuration() reads numbers and unit strings", () => {
  assertEquals(parseDuration(0), 0);
  assertEquals(parseDuration(1500), 1500);
  assertEquals(parseDuration("500ms"), 500);
  assertEquals(parseDuration("10s"), 10_000);
  assertEquals(parseDuration("2m"), 120_000);
  assertEquals(parseDuration("1h"), 3_600_000);
  assertEquals(parseDuration("1.5s"), 1500);
  assertEquals(parseDuration("1m30s"), 90_000);
});

Deno.test("parseDuration() rejects what it cannot read", () => {
  for (const bad of ["", "10", "10x", "s", "-5s", "1 m", "ms10"]) {
    assertThrows(() => parseDuration(bad), RangeError, "Cannot parse duration");
  }
  assertThrows(() => parseDuration(-1), RangeError);
  assertThrows(() => parseDuration(Number.NaN), RangeError);
});

Deno.test("parseDuration() clamps durations past what a timer holds to 2^31-1 ms", () => {
  assertEquals(parseDuration("1000h"), MAX_TIMER_MS);
  assertEquals(parseDuration(1e12), MAX_TIMER_MS);
  assertEquals(parseDuration(`${"9".repeat(400)}h`), MAX_TIMER_MS);
  assertEquals(parseDuration("596h"), 596 * 3_600_000); // just under: kept
});

Deno.test("gather --timeout 1000h, --grace 1000h and a job's timeout of 1000h mean a long time, not now", async () => {
  const { code, stdout, stderr } = await gather([
    "-f",
    `${FIXTURES}long_limits.ts`,
    "-j",
    "3",
    "--timeout",
    "1000h",
    "--grace",
    "1000h",
    "--reporter",
    "json",
  ]);
  assertEquals(code, 1, stderr);
  const ends = new Map(
    parseEvents(stdout).filter((e) => e.type === "job:end").map((e) => [e.job, e]),
  );
  assertEquals(ends.get("fails")?.status, "failed");
  // Fail-fast cancelled the others; the long grace period let the one that ignores it finish.
  assertEquals(ends.get("patient")?.status, "cancelled");
  assertEquals(ends.get("slowToStop")?.status, "ok");
  assertEquals(ends.get("slowToStop")?.ignoredCancellation, undefined);
  assertGreater(ends.get("slowToStop")!.durationMs, 250);
});

Deno.test("gather --timeout 1000h lets a job finish", async () => {
  const { code, stderr } = await gather(
    ["-f", `${FIXTURES}long_limits.ts`, "patient", "--timeout", "1000h"],
  );
  assertEquals(code, 0, stderr);
});
