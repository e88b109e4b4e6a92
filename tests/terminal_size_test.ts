/**
 * A terminal that reports 0 columns and rows (`script -qc`, `stty cols 0 rows
 * 0`, some `docker -t` and `ssh -t` ptys) is drawn for as 80x24: the summary
 * is not broken into one word per line, the live rows are not cut to `…`.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { Output } from "../src/reporters/output.ts";
import { humanReporter } from "../src/reporters/_human.ts";
import { readTerminalSize, usableSize } from "../src/reporters/terminal_size.ts";
import type { TerminalSize } from "../src/reporters/tty.ts";
import { FIXTURES } from "./_cli.ts";
import { gatherInPty, hasScript } from "./_pty.ts";

// deno-lint-ignore no-control-regex
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])/g;

Deno.test("usableSize takes 0, missing, absurdly small or non-numeric columns and rows as unknown: 80x24", () => {
  assertEquals(usableSize({ columns: 0, rows: 0 }), { columns: 80, rows: 24 });
  assertEquals(usableSize(undefined), { columns: 80, rows: 24 });
  assertEquals(usableSize({ columns: 3, rows: 1 }), { columns: 80, rows: 24 });
  assertEquals(usableSize({ columns: NaN, rows: Infinity }), { columns: 80, rows: 24 });
  assertEquals(usableSize({ columns: 0, rows: 50 }), { columns: 80, rows: 50 });
  assertEquals(usableSize({ columns: 200, rows: 0 }), { columns: 200, rows: 24 });
  assertEquals(usableSize({ columns: 40, rows: 10 }), { columns: 40, rows: 10 });
  assertEquals(readTerminalSize(() => ({ columns: 0, rows: 0 })), { columns: 80, rows: 24 });
  assertEquals(readTerminalSize(() => ({ columns: 120, rows: 40 })), { columns: 120, rows: 40 });
  assertEquals(
    readTerminalSize(() => {
      throw new Error("The handle is not a terminal");
    }),
    { columns: 80, rows: 24 },
  );
});

Deno.test("the live display built for a 0x0 terminal draws for 80x24: its rows and summary are whole, and a resize to 0x0 mid-run too", async () => {
  const frames = () => new Promise((resolve) => setTimeout(resolve, 150)); // a few redraws
  let screen = "";
  const sink = { writeSync: (p: Uint8Array) => (screen += new TextDecoder().decode(p), p.length) };
  const output = new Output(sink);
  let size: TerminalSize = { columns: 0, rows: 0 };
  const env = {
    stdout: sink,
    stderr: sink,
    stdoutIsTerminal: true,
    stderrIsTerminal: true,
    env: () => undefined,
    quiet: false,
    size: () => size,
  };
  const reporter = humanReporter("tty", env, output, () => undefined);
  reporter.handle({
    type: "run:start",
    time: Date.now(),
    jobs: [{ name: "build", deps: [] }, { name: "test", deps: [] }],
    concurrency: 2,
  });
  reporter.handle({ type: "job:start", time: Date.now(), job: "build", attempt: 1 });
  reporter.handle({ type: "job:start", time: Date.now(), job: "test", attempt: 1 });
  reporter.handle({
    type: "job:log",
    time: Date.now(),
    job: "test",
    line: "running tests",
    stream: "log",
  });
  await frames();
  const live = screen.replace(ESCAPES, "");
  assertMatch(live, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] test +\d\.\ds {2}running tests/);
  assertMatch(live, /0\/2 done · 2 running · 0 pending · 0 failed/);
  size = { columns: 120, rows: 30 };
  await frames();
  reporter.handle({
    type: "job:end",
    time: Date.now(),
    job: "build",
    status: "ok",
    started: true,
    durationMs: 5,
    attempt: 1,
    cache: "off",
  });
  size = { columns: 0, rows: 0 };
  await frames(); // a resize to an unknown size: back to 80x24, no division by 0
  reporter.handle({
    type: "job:end",
    time: Date.now(),
    job: "test",
    status: "failed",
    started: true,
    durationMs: 7,
    attempt: 1,
    cache: "off",
    error: {
      name: "Error",
      message: "Command failed with exit code 1: sleep 0.3 && echo unused variable && exit 1",
    },
  });
  reporter.handle({
    type: "run:end",
    time: Date.now(),
    durationMs: 8,
    status: "failed",
    counts: { total: 2, ok: 1, failed: 1, cancelled: 0, skipped: 0, cached: 0 },
  });
  reporter.close();
  const lines = screen.replace(ESCAPES, "").split(/\r?\n/);
  assert(lines.some((line) => /^✖ failed: 1 ok, 1 failed of 2 jobs in /.test(line)), screen);
  assert(
    lines.some((line) =>
      line.includes("first failure test: Command failed with exit code 1: sleep 0.3 && echo")
    ),
    screen,
  );
  assert(!lines.some((line) => line.trim() === "…"), screen);
});

Deno.test({
  name:
    "gather in a pty that reports 0 columns and rows (stty cols 0 rows 0 under script) draws for 80x24",
  ignore: !hasScript,
  async fn() {
    const run = await gatherInPty(
      ["--no-logs", "--no-history", "-f", `${FIXTURES}tty_slow.ts`, "-j", "2"],
      { setup: "stty cols 0 rows 0", env: { TTY_SCALE: "0.3" } },
    );
    const text = run.screen.replace(ESCAPES, "");
    assertEquals(run.code, 0, text);
    const lines = text.split(/\r?\n|\r/);
    // A live row: the spinner, the name, the time, the latest output line.
    assert(
      lines.some((line) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] step-0\d +\d+\.\ds {2}step \d working/.test(line)),
      text,
    );
    assertMatch(text, /✔ done: 11 ok of 11 jobs in /);
    assert(!lines.some((line) => line.trim() === "…"), text);
  },
});
