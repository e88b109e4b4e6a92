import { assertEquals, assertThrows } from "@std/assert";
import { parseDuration } from "../src/duration.ts";

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
