/**
 * Every help text fits an 80-column terminal: `gather --help`,
 * `gather cache --help` and `gather worker --help`.
 */
import { assertEquals, assertNotEquals } from "@std/assert";
import { CACHE_HELP, HELP } from "../src/cli/options.ts";
import { WORKER_HELP } from "../src/cli/worker_command.ts";
import { textWidth } from "../src/reporters/_tty_text.ts";
import { gather } from "./_cli.ts";

/** The lines of a text wider than 80 columns, with their widths. */
function tooWide(text: string): string[] {
  return text.split("\n").filter((line) => textWidth(line) > 80)
    .map((line) => `${textWidth(line)}: ${line}`);
}

Deno.test("every line of the help texts is at most 80 columns wide", () => {
  assertEquals(tooWide(HELP), []);
  assertEquals(tooWide(CACHE_HELP), []);
  assertEquals(tooWide(WORKER_HELP), []);
});

for (const args of [["--help"], ["cache", "--help"], ["worker", "--help"]]) {
  Deno.test(`gather ${args.join(" ")} prints lines of at most 80 columns`, async () => {
    const run = await gather(args);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(tooWide(run.stdout), []);
    assertNotEquals(run.stdout.trim(), "");
  });
}
