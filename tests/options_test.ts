import { assertEquals, assertThrows } from "@std/assert";
import { parseCli } from "../src/cli/options.ts";
import { GatherError } from "../src/errors.ts";

const parse = (...args: string[]) => parseCli(args, () => undefined, 2);

for (
  const [flag, value] of [["--timeout", "-5s"], ["--grace", "-1"], ["--stall-threshold", "-20ms"]]
) {
  Deno.test(`parseCli() says ${flag} ${value} is an invalid duration, not an unknown option`, () => {
    assertThrows(
      () => parse(flag!, value!),
      GatherError,
      `Invalid ${flag} "${value}": a duration cannot be negative; use one like 500ms, 10s or 2m`,
    );
  });
}

Deno.test("parseCli() takes =true and =false on every switch, --no-X ones included", () => {
  assertEquals(parse("--no-logs=false").logDir, ".gather/logs");
  assertEquals(parse("--no-logs=true").logDir, undefined);
  assertEquals(parse("--no-history=false").history, true);
  assertEquals(parse("--no-history=true").history, false);
  assertEquals(parse("--no-diagnostics=false").diagnostics, true);
  assertEquals(parse("--strict=true").strict, true);
  assertEquals(parse("--strict=false").strict, false);
  assertEquals(parse("--keep-going=false").onFailure, "abort");
  assertEquals(parse("--no-logs=false", "--log-dir", "logs").logDir, "logs");
});

Deno.test("parseCli() refuses a switch given another value than true or false", () => {
  assertThrows(
    () => parse("--strict=yes"),
    GatherError,
    "Invalid --strict=yes: a switch takes no value, or =true or =false",
  );
  assertThrows(() => parse("--no-logs=0"), GatherError, "Invalid --no-logs=0");
});

Deno.test("parseCli() reads a short switch's =value as the long one's", () => {
  assertThrows(() => parse("-k=maybe"), GatherError, "Invalid -k=maybe: a switch takes no value");
  assertThrows(() => parse("-n=maybe"), GatherError, "Invalid -n=maybe");
  assertThrows(() => parse("-q=1"), GatherError, "Invalid -q=1");
  assertEquals(parse("-k=true").onFailure, "continue");
  assertEquals(parse("-n=false").mode, "run");
  assertEquals(parse("-kn=false").onFailure, "continue"); // -k on, -n off
  assertEquals(parse("-kn=false").mode, "run");
  assertEquals(parse("-j=3").concurrency, 3); // a value's option keeps its value
});

Deno.test("parseCli() leaves arguments after -- alone", () => {
  assertEquals(parse("--", "--strict=yes").targets, ["--strict=yes"]);
});
