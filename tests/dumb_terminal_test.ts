/**
 * `TERM=dumb` (Emacs' shell buffers, some editors' consoles): the terminal
 * shows text but cannot move the cursor or show colours, so gather picks the
 * plain reporter and no colours, as cargo and listr2 do.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { reporterKind, wantsColor } from "../src/reporters/select.ts";
import { FIXTURES } from "./_cli.ts";
import { gatherInPty, hasScript } from "./_pty.ts";

const term = (value: string | undefined, more: Record<string, string> = {}) => (name: string) =>
  name === "TERM" ? value : more[name];

Deno.test("TERM=dumb picks the plain reporter, for auto and for --reporter tty", () => {
  const terminal = { stdoutIsTerminal: true, stderrIsTerminal: true };
  assertEquals(reporterKind("auto", { ...terminal, env: term("dumb") }), "plain");
  assertEquals(reporterKind("tty", { ...terminal, env: term("dumb") }), "plain");
  assertEquals(reporterKind("json", { ...terminal, env: term("dumb") }), "json");
  assertEquals(reporterKind("auto", { ...terminal, env: term("xterm-256color") }), "tty");
  assertEquals(reporterKind("auto", { ...terminal, env: term(undefined) }), "tty");
});

Deno.test("TERM=dumb turns colours off, unless FORCE_COLOR asks for them", () => {
  assertEquals(wantsColor(term("dumb"), true), false);
  assertEquals(wantsColor(term("xterm"), true), true);
  assertEquals(wantsColor(term("dumb", { FORCE_COLOR: "1" }), true), true);
  assertEquals(wantsColor(term("dumb", { FORCE_COLOR: "1" }), false), true);
});

Deno.test({
  name: "gather in a terminal with TERM=dumb prints plain lines: no cursor moves, no colours",
  ignore: !hasScript,
  async fn() {
    const run = await gatherInPty(
      ["--no-logs", "--no-history", "-f", `${FIXTURES}tty_slow.ts`, "-j", "4"],
      { env: { TERM: "dumb", TTY_SCALE: "0.3" } },
    );
    assertEquals(run.code, 0, run.screen);
    assert(!run.screen.includes("\x1b"), JSON.stringify(run.screen.slice(0, 2000)));
    assertStringIncludes(run.screen, "step-00 │ ▶ start");
    assertMatch(run.screen, /✔ done: 11 ok of 11 jobs in /);
  },
});
