import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertLessOrEqual,
  assertMatch,
  assertNotMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { GatherError } from "../src/errors.ts";
import type { DiagnosticEvent, GatherEvent, JobEndEvent, RunEndEvent } from "../src/events.ts";
import { JobLogs } from "../src/reporters/job_logs.ts";
import { JsonReporter } from "../src/reporters/json.ts";
import { Output } from "../src/reporters/output.ts";
import { palette } from "../src/reporters/palette.ts";
import { PlainReporter } from "../src/reporters/plain.ts";
import type { OutputMode } from "../src/reporters/reporter.ts";
import { reporterKind } from "../src/reporters/select.ts";
import { formatSummary } from "../src/reporters/summary.ts";
import { SummaryFile } from "../src/reporters/summary_file.ts";
import { TtyReporter } from "../src/reporters/tty.ts";
import { renderFrame } from "../src/reporters/_tty_frame.ts";
import { cutToWidth, textWidth } from "../src/reporters/_tty_text.ts";
import { FIXTURES, gather, parseEvents } from "./_cli.ts";

// deno-lint-ignore no-control-regex
const SGR = /\x1b\[[0-9;]*m/;

// --- a tiny terminal: enough of VT100 to see what the live display leaves on screen ---

/**
 * Interprets what the tty reporter writes: text, \r, \n, ESC[2K, ESC[nA, SGR, cursor show/hide.
 * Given a width, text wraps as a terminal's does: a character after the last column goes to the
 * start of the next row (each character takes one column).
 */
class Screen {
  rows: string[] = [""];
  history: string[] = [];
  row = 0;
  cursorVisible = true;
  writes = 0;
  constructor(readonly height: number, readonly width = Infinity) {}

  write(text: string): void {
    this.writes++;
    // deno-lint-ignore no-control-regex
    for (const token of text.match(/\x1b\[[0-9;?]*[A-Za-z]|[\s\S]/gu) ?? []) {
      if (token === "\n") {
        this.#down();
      } else if (token === "\r") {
        this.#col = 0;
      } else if (token === "\x1b[2K") {
        this.rows[this.row] = "";
      } else if (token.startsWith("\x1b[") && token.endsWith("A")) {
        this.row = Math.max(0, this.row - Number(token.slice(2, -1) || "1"));
      } else if (token === "\x1b[?25l" || token === "\x1b[?25h") {
        this.cursorVisible = token === "\x1b[?25h";
      } else if (token.startsWith("\x1b[") && token.endsWith("m")) {
        // colour: ignored
      } else if (token.startsWith("\x1b")) {
        throw new Error(`unexpected escape ${JSON.stringify(token)}`);
      } else {
        if (this.#col >= this.width) this.#down(); // the pending wrap of a full row
        const line = this.rows[this.row] ?? "";
        const chars = [...line.padEnd(this.#col)];
        chars[this.#col++] = token;
        this.rows[this.row] = chars.join("");
        continue;
      }
      if (token === "\n") this.#col = 0;
    }
  }

  #down(): void {
    this.row++;
    if (this.row >= this.height) {
      this.history.push(this.rows.shift()!);
      this.row = this.height - 1;
    }
    this.rows[this.row] ??= "";
    this.#col = 0;
  }

  #col = 0;

  /** The visible screen, trailing empty rows removed. */
  get text(): string {
    return this.rows.join("\n").trimEnd();
  }

  /** History and screen. */
  get all(): string {
    return [...this.history, ...this.rows].join("\n").trimEnd();
  }
}

interface Harness {
  screen: Screen;
  reporter: TtyReporter;
  tick: () => void;
  clock: { now: number };
  ticking: () => boolean;
}

function ttyHarness(
  size = { columns: 80, rows: 24 },
  options: {
    color?: boolean;
    logPath?: (job: string) => string | undefined;
    quiet?: boolean;
    show?: OutputMode;
    /** Wrap text past the last column, as a terminal does. */
    wrap?: boolean;
  } = {},
): Harness {
  const screen = new Screen(size.rows, options.wrap ? size.columns : Infinity);
  const clock = { now: 0 };
  let tick = () => {};
  let running = false;
  const output = new Output({
    writeSync: (p) => (screen.write(new TextDecoder().decode(p)), p.length),
  });
  const reporter = new TtyReporter({
    output,
    palette: palette(options.color ?? false),
    size: () => size,
    now: () => clock.now,
    ticker: (fn) => {
      tick = fn;
      running = true;
      return () => (running = false);
    },
    ...(options.logPath ? { logPath: options.logPath } : {}),
    ...(options.quiet ? { quiet: true } : {}),
    ...(options.show ? { show: options.show } : {}),
  });
  return { screen, reporter, tick: () => tick(), clock, ticking: () => running };
}

const start = (names: string[], time = 0): GatherEvent => ({
  type: "run:start",
  time,
  jobs: names.map((name) => ({ name, deps: [] })),
  concurrency: names.length,
});
const begin = (job: string, time: number): GatherEvent => ({
  type: "job:start",
  time,
  job,
  attempt: 1,
});
const log = (job: string, line: string, time = 0): GatherEvent => ({
  type: "job:log",
  time,
  job,
  line,
  stream: "log",
});
const end = (
  job: string,
  time: number,
  durationMs: number,
  status: JobEndEvent["status"] = "ok",
  extra: Partial<JobEndEvent> = {},
): GatherEvent => ({
  type: "job:end",
  time,
  job,
  status,
  started: true,
  durationMs,
  attempt: 1,
  cache: "off",
  ...extra,
});
const finish = (total: number, durationMs: number, failed = 0): RunEndEvent => ({
  type: "run:end",
  time: durationMs,
  status: failed ? "failed" : "ok",
  counts: { total, ok: total - failed, failed, cancelled: 0, skipped: 0, cached: 0 },
  durationMs,
});

// --- the live display ---

Deno.test("TtyReporter shows each running job with spinner, elapsed time and latest line", () => {
  const { screen, reporter, tick, clock } = ttyHarness();
  reporter.handle(start(["build", "test", "lint"]));
  reporter.handle(begin("build", 0));
  reporter.handle(begin("test", 200));
  reporter.handle(log("build", "compiling \x1b[1mmain.ts\x1b[0m"));
  clock.now = 1_250;
  tick();
  const lines = screen.text.split("\n");
  assertMatch(lines[0]!, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] build {3}1\.3s {2}compiling main\.ts$/);
  assertMatch(lines[1]!, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] test\s+1\.1s$/);
  assertStringIncludes(lines[2]!, "0/3 done · 2 running · 1 pending · 0 failed · 1.3s");
  assertEquals(screen.cursorVisible, false);
  reporter.close();
});

Deno.test("TtyReporter moves finished jobs above the block and redraws it in place", () => {
  const { screen, reporter, tick, clock } = ttyHarness();
  reporter.handle(start(["a", "b", "c"]));
  reporter.handle(begin("a", 0));
  reporter.handle(begin("b", 0));
  clock.now = 100;
  tick();
  reporter.handle(end("a", 400, 400));
  reporter.handle(begin("c", 400));
  clock.now = 500;
  tick();
  clock.now = 600;
  tick();
  const lines = screen.all.split("\n");
  assertEquals(lines[0], "✔ a 0.4s");
  assertEquals(lines.filter((line) => line.includes("done ·")).length, 1, screen.all);
  assertStringIncludes(lines.at(-1)!, "1/3 done · 2 running · 0 pending");
  assertEquals(lines.length, 4, screen.all); // ✔ a, b, c, footer: no stale frame rows
  reporter.handle(end("b", 700, 700));
  reporter.handle(end("c", 800, 400));
  reporter.handle(finish(3, 800));
  assertEquals(screen.cursorVisible, true);
  assertNotMatch(screen.all, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|done ·/);
  assertMatch(screen.all, /^✔ a 0\.4s\n✔ b 0\.7s\n✔ c 0\.4s\n\n✔ done: 3 ok of 3 jobs in 0\.8s/);
});

Deno.test("TtyReporter draws on its ticker only, however many events arrive", () => {
  const { screen, reporter, tick } = ttyHarness();
  reporter.handle(start(["a"]));
  reporter.handle(begin("a", 0));
  const before = screen.writes;
  for (let i = 0; i < 5_000; i++) reporter.handle(log("a", `line ${i}`));
  assertEquals(screen.writes, before);
  tick();
  assertEquals(screen.writes, before + 1);
  assertStringIncludes(screen.text, "line 4999");
  tick(); // nothing changed: nothing written
  assertEquals(screen.writes, before + 1);
  reporter.close();
});

Deno.test("TtyReporter shows how many running jobs do not fit the terminal", () => {
  const { screen, reporter, tick } = ttyHarness({ columns: 60, rows: 8 });
  const names = Array.from({ length: 30 }, (_, i) => `job${i}`);
  reporter.handle(start(names));
  for (const name of names) reporter.handle(begin(name, 0));
  tick();
  const lines = screen.text.split("\n");
  assertLessOrEqual(lines.length, 8 - 1);
  assertEquals(lines.at(-2), "… and 26 more running");
  assertStringIncludes(lines.at(-1)!, "30 running");
  reporter.close();
});

Deno.test("TtyReporter keeps every line of the block within a narrow terminal", () => {
  const { screen, reporter, tick, clock } = ttyHarness({ columns: 30, rows: 10 });
  reporter.handle(start(["build_the_documentation_site", "漢字の仕事", "x"]));
  reporter.handle(begin("build_the_documentation_site", 0));
  reporter.handle(begin("漢字の仕事", 0));
  reporter.handle(log("build_the_documentation_site", "漢字かなカナ ".repeat(20)));
  reporter.handle(log("漢字の仕事", "👍🏽 🇫🇷 done\twith a tab " + "x".repeat(200)));
  clock.now = 65_000;
  tick();
  const lines = screen.text.split("\n");
  assertEquals(lines.length, 3);
  for (const line of lines) assertLessOrEqual(textWidth(line), 30, line);
  assertMatch(lines[0]!, /^. build_the… {2}1m05s {2}漢字/);
  assertMatch(lines[1]!, /^. 漢字の仕事 {2}1m05s {2}👍🏽/);
  reporter.close();
});

Deno.test("TtyReporter breaks the summary's long lines between words in a narrow terminal, in colour too", () => {
  const { screen, reporter } = ttyHarness({ columns: 40, rows: 60 }, { color: true });
  const names = ["compile_the_parser", "compile_the_lexer", "link_everything", "package"];
  reporter.handle(start(names));
  names.forEach((name, i) => {
    reporter.handle(begin(name, 0));
    reporter.handle(end(name, 100 * (i + 1), 100 * (i + 1)));
  });
  const timed = names.map((name, i) => ({ name, durationMs: 100 * (i + 1) }));
  reporter.handle({
    ...finish(names.length, 12_345),
    summary: { criticalPath: timed, slowest: timed.toReversed(), failures: [] },
  });
  reporter.close();
  const text = screen.all;
  const summary = text.slice(text.indexOf("✔ done")).split("\n").filter((line) => line !== "");
  // deno-lint-ignore no-control-regex
  const plain = summary.map((line) => line.replace(/\x1b\[[0-9;]*m/g, ""));
  for (const line of plain) assertLessOrEqual(textWidth(line), 40, line);
  assertMatch(plain[0]!, /^✔ done: 4 ok of 4 jobs in \d/);
  const slowest = plain.findIndex((line) => line.startsWith("  slowest: "));
  assertMatch(plain[slowest + 1]!, /^ {6}\S/); // the rest indented under it, never cut mid-word
  assertEquals(
    plain.slice(slowest).map((line) => line.trim()).join(" "),
    "slowest: package 0.4s, link_everything 0.3s, compile_the_lexer 0.2s, compile_the_parser 0.1s",
  );
});

Deno.test("TtyReporter writes the summary's durations as its rows and end lines do", () => {
  const { screen, reporter, tick, clock } = ttyHarness({ columns: 36, rows: 20 });
  const names = ["compile_the_parser", "compile_the_lexer", "link"];
  reporter.handle(start(names));
  for (const name of names) reporter.handle(begin(name, 0));
  clock.now = 1_500;
  tick();
  assertMatch(screen.text, /^. compile_the… +1\.5s$/m); // the row of compile_the_parser
  names.forEach((name, i) => reporter.handle(end(name, 1_500 + i, 1_500 + 100 * i)));
  const timed = names.map((name, i) => ({ name, durationMs: 1_500 + 100 * i }));
  reporter.handle({
    ...finish(names.length, 61_500),
    summary: { criticalPath: timed, slowest: timed.toReversed(), failures: [] },
  });
  const lines = screen.all.split("\n");
  assert(lines.includes("✔ compile_the_parser 1.5s"), screen.all);
  const summary = lines.slice(lines.indexOf("✔ done: 3 ok of 3 jobs in 1m02s"));
  assertLess(0, summary.length, screen.all);
  assertNotMatch(summary.join("\n"), /\d+ms|\ds \d/); // not 1s 500ms
  // A duration stays on the line of the word before it: no line starts with one.
  for (const line of summary) assertNotMatch(line, /^\s*\d+(?:\.\d)?s\b|^\s*\d+m\d\ds/, line);
  assertEquals(
    summary.join(" ").replace(/\s+/g, " ").trim(),
    "✔ done: 3 ok of 3 jobs in 1m02s " +
      "critical path: compile_the_parser 1.5s → compile_the_lexer 1.6s → link 1.7s " +
      "slowest: link 1.7s, compile_the_lexer 1.6s, compile_the_parser 1.5s",
  );
});

Deno.test("TtyReporter breaks its own lines above the block between words; a job's output stays as written", () => {
  const { screen, reporter, tick } = ttyHarness({ columns: 40, rows: 20 }, { color: true });
  reporter.handle(start(["flaky"]));
  reporter.handle(begin("flaky", 0));
  reporter.handle({
    type: "job:retry",
    time: 10,
    job: "flaky",
    attempt: 1,
    error: { name: "Error", message: "Command failed with exit code 1: echo attempt one" },
  });
  reporter.handle(log("flaky", "an output line that is longer than forty columns, as written"));
  reporter.handle(end("flaky", 20, 20));
  tick();
  reporter.close();
  // deno-lint-ignore no-control-regex
  const lines = screen.all.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").split("\n");
  const retry = lines.findIndex((line) => line.startsWith("↻ flaky attempt 1 failed:"));
  assert(retry >= 0, screen.all);
  const parts = lines.slice(retry, lines.findIndex((line) => line.startsWith("✔ flaky")));
  assertLess(1, parts.length, screen.all);
  for (const line of parts) assertLessOrEqual(textWidth(line), 40, line);
  assertEquals(
    parts.map((line) => line.trim()).join(" "),
    "↻ flaky attempt 1 failed: Command failed with exit code 1: echo attempt one",
  );
  assert(
    lines.includes("  │ an output line that is longer than forty columns, as written"),
    screen.all,
  );
});

Deno.test("TtyReporter breaks a job's end line, its error and the lines-not-shown note between words, in colour too", () => {
  const logOf = (job: string) => `.gather/logs/2026-12-01T00-10-14.093Z-13660/${job}.log`;
  for (const color of [false, true]) {
    const { screen, reporter, tick } = ttyHarness({ columns: 40, rows: 20 }, {
      color,
      logPath: logOf,
    });
    const long = "abcdefghijklmnopqrstuvwxyz0123456789";
    reporter.handle(start([long, "boom", "lots"]));
    for (const name of [long, "boom", "lots"]) reporter.handle(begin(name, 0));
    for (let i = 1; i <= 200; i++) reporter.handle(log("lots", `line ${i}`));
    reporter.handle(end(long, 800, 800));
    const message = "boom with a fairly long message that should wrap nicely between words";
    reporter.handle(end("boom", 400, 400, "failed", { error: { name: "Error", message } }));
    const command =
      "Command failed with exit code 1: sleep 0.5; for i in $(seq 1 200); do echo line $i; done; exit 1";
    reporter.handle(
      end("lots", 500, 500, "failed", { error: { name: "Error", message: command } }),
    );
    tick();
    reporter.close();
    const lines = screen.all.replaceAll(new RegExp(SGR, "g"), "").split("\n");
    for (const line of lines) {
      if (!line.startsWith("  │ ")) {
        assertLessOrEqual(textWidth(line), 40, `colour ${color}: ${line}`);
      }
    }
    const at = (text: string) => lines.indexOf(text);
    assertEquals(lines.slice(at(`✔ ${long}`), at(`✔ ${long}`) + 2), [`✔ ${long}`, "    0.8s"]);
    const boom = at("✖ boom 0.4s");
    assertEquals(lines.slice(boom + 1, boom + 3), [
      "  boom with a fairly long message that",
      "      should wrap nicely between words",
    ]);
    const lots = at("✖ lots 0.5s");
    assertEquals(
      lines.slice(lots + 1, at("  │ line 1")).map((line) => line.trim()).join(" "),
      command,
    );
    const note = at("  … 150 lines not shown, full log:");
    assertEquals(lines.slice(note, note + 5), [
      "  … 150 lines not shown, full log:",
      "      .gather/logs/",
      "      2026-12-01T00-10-14.093Z-13660/",
      "      lots.log",
      "  │ line 171",
    ]);
  }
});

Deno.test("the live footer keeps its bar's width and drops the least needed words first, never cutting a word", () => {
  const footerAt = (columns: number, state: { done: number; failed: number; now: number }) =>
    renderFrame(
      {
        ...state,
        start: 0,
        total: 30,
        running: Math.min(8, 30 - state.done),
        jobs: [],
        nameWidth: 5,
      },
      { columns, rows: 20 },
      palette(false),
    ).at(-1)!.text;
  // At 40 columns: done/total, the failed count, the elapsed time and the time left stay.
  assertEquals(
    footerAt(40, { done: 12, failed: 2, now: 65_000 }),
    "12/30 · 2 failed · 1m05s · ~1m38s left",
  );
  assertEquals(
    footerAt(40, { done: 0, failed: 0, now: 700 }),
    "0/30 · 8 running · 0 failed · 0.7s",
  );
  // Under 60 columns, no bar: the words need the room.
  assertEquals(
    footerAt(59, { done: 0, failed: 0, now: 700 }),
    "0/30 done · 8 running · 22 pending · 0 failed · 0.7s",
  );
  assertMatch(footerAt(60, { done: 0, failed: 0, now: 700 }), /^[━─]{14} 0\/30 done · /);
  // At 80 columns "pending" makes room for the time left beside the bar; at 100 all fit.
  assertMatch(
    footerAt(80, { done: 0, failed: 0, now: 700 }),
    /^[━─]{19} 0\/30 done · 8 running · 22 pending · 0 failed · 0\.7s$/,
  );
  assertMatch(
    footerAt(80, { done: 29, failed: 0, now: 3_000 }),
    /^[━─]{19} 29\/30 done · 1 running · 0 failed · 3\.0s · ~1s left$/,
  );
  assertMatch(
    footerAt(100, { done: 5, failed: 1, now: 1_200 }),
    /^[━─]{24} 5\/30 done · 8 running · 17 pending · 1 failed · 1\.2s · ~6s left$/,
  );
  for (let columns = 10; columns <= 120; columns++) {
    const bars = new Set<number>(); // the bar's widths at this terminal width
    for (
      const [done, failed, now] of [[0, 0, 700], [5, 1, 1_200], [12, 12, 65_000], [29, 0, 3e6]]
    ) {
      const line = footerAt(columns, { done: done!, failed: failed!, now: now! });
      assertLessOrEqual(textWidth(line), columns - 2, line); // room for the echo of ^C
      assertNotMatch(line, /…/, `${columns} columns: ${line}`);
      assertMatch(line, new RegExp(`^(?:[━─]+ )?${done}/30\\b`), line);
      if (columns >= 22) assertStringIncludes(line, `${failed} failed`, `${columns}: ${line}`);
      bars.add(line.match(/^[━─]*/)![0].length);
    }
    bars.delete(0);
    assertLessOrEqual(bars.size, 1, `${columns} columns: bars of ${[...bars].join(", ")}`);
  }
});

type Summary = Parameters<typeof formatSummary>[0];

/** What `formatSummary` formats: an ok run with nothing in it, but for `given`. */
function summaryOf(given: Partial<Summary>): Summary {
  return {
    status: "ok",
    counts: { total: 0, ok: 0, failed: 0, cancelled: 0, skipped: 0, cached: 0 },
    durationMs: 0,
    criticalPath: [],
    slowest: [],
    failures: [],
    ignoredCancellation: [],
    diagnostics: [],
    finished: [],
    cancelled: [],
    notStarted: [],
    ...given,
  };
}

/** The summary of an ok run whose slowest jobs are `timed`, at `columns`. */
function slowestSummary(timed: { name: string; durationMs: number }[], columns: number): string[] {
  const text = formatSummary(
    summaryOf({
      counts: { total: 2, ok: 2, failed: 0, cancelled: 0, skipped: 0, cached: 0 },
      durationMs: 1_100,
      slowest: timed,
    }),
    palette(false),
    { columns },
  );
  const lines = text.trimEnd().split("\n");
  return lines.slice(lines.findIndex((line) => line.startsWith("  slowest:")));
}

Deno.test("the summary puts a duration under a job name too wide to share a line with it", () => {
  const timed = [{ name: "compile:frontend-application-bundle", durationMs: 1_030 }, {
    name: "b",
    durationMs: 10,
  }];
  assertEquals(slowestSummary(timed, 42), [
    "  slowest:",
    "      compile:frontend-application-bundle",
    "      1s 30ms, b 10ms",
  ]);
});

Deno.test("the summary breaks a name wider than a line where it reaches the width, after a - or _ if it can", () => {
  const b = { name: "b", durationMs: 10 };
  assertEquals(
    slowestSummary([{ name: "abcdefghijklmnopqrstuvwxyz0123456789", durationMs: 928 }, b], 40),
    [
      "  slowest:",
      "      abcdefghijklmnopqrstuvwxyz01234567",
      "      89 928ms, b 10ms",
    ],
  );
  assertEquals(
    slowestSummary([{ name: "compile:frontend-application-bundle", durationMs: 1_030 }, b], 40),
    [
      "  slowest:",
      "      compile:frontend-application-",
      "      bundle 1s 30ms, b 10ms",
    ],
  );
});

Deno.test("the summary's 120-character cut of a failure never leaves its … alone on a line", () => {
  // The cut falls on a space: `… two …` would have left the ellipsis a word of its own.
  const message = `${"word ".repeat(23)}two three four`;
  assertEquals(message[118], " ");
  for (let columns = 30; columns <= 140; columns++) {
    const text = formatSummary(
      summaryOf({
        status: "failed",
        counts: { total: 1, ok: 0, failed: 1, cancelled: 0, skipped: 0, cached: 0 },
        durationMs: 1_100,
        failures: [{
          name: "lint",
          deps: [],
          durationMs: 1_000,
          attempts: 1,
          lines: 0,
          error: { name: "Error", message },
        }],
      }),
      palette(false),
      { columns },
    );
    const lines = text.split("\n");
    for (const line of lines) assertNotMatch(line, /^\s*…$/, `${columns} columns:\n${text}`);
    assertStringIncludes(lines.map((line) => line.trim()).join(" "), "word two…");
  }
});

Deno.test("the summary counts its diagnostics in words: 1 diagnostic, 2 diagnostics", () => {
  const diagnostic: DiagnosticEvent = {
    type: "diagnostic",
    time: 0,
    kind: "pending-work",
    job: "a",
    message: "a promise was not awaited",
    hint: "await it",
  };
  for (const [count, words] of [[1, "⚠ 1 diagnostic:"], [2, "⚠ 2 diagnostics:"]] as const) {
    const text = formatSummary(
      summaryOf({
        counts: { total: 1, ok: 1, failed: 0, cancelled: 0, skipped: 0, cached: 0 },
        durationMs: 100,
        diagnostics: Array.from({ length: count }, () => diagnostic),
        finished: ["a"],
      }),
      palette(false),
    );
    assertStringIncludes(text, `\n  ${words}\n`);
    assertNotMatch(text, /\(s\)/);
  }
});

Deno.test("the summary never breaks a duration, and a fix: hint's lines go under its text", () => {
  const timed = [
    { name: "a_quite_wide_name", durationMs: 1_080 },
    { name: "wide", durationMs: 1_080 },
    { name: "b", durationMs: 123_000 },
  ];
  for (const color of [false, true]) {
    const text = formatSummary(
      summaryOf({
        counts: { total: 3, ok: 3, failed: 0, cancelled: 0, skipped: 0, cached: 0 },
        durationMs: 125_300,
        criticalPath: timed,
        slowest: timed,
        diagnostics: [{
          type: "diagnostic",
          time: 0,
          kind: "pending-work",
          job: "a",
          message: "a promise was not awaited",
          hint: "await the promise returned by ctx.sh, or return it from the job so gather waits",
        }],
        finished: ["a_quite_wide_name", "wide", "b"],
      }),
      palette(color),
      { columns: 40 },
    );
    const lines = text.replaceAll(new RegExp(SGR, "g"), "").split("\n");
    for (const line of lines) assertLessOrEqual(textWidth(line), 40, line);
    // A duration stays on the line of the word before it: no line starts with one.
    for (const line of lines) assertNotMatch(line, /^\s*\d+(?:ms|s|m|h)\b/, line);
    const fix = lines.findIndex((line) => line.startsWith("      fix: "));
    assertEquals(lines.slice(fix, fix + 3), [
      "      fix: await the promise returned by",
      "           ctx.sh, or return it from the",
      "           job so gather waits",
    ], `colour: ${color}`);
    assertEquals(
      lines.slice(lines.findIndex((line) => line.startsWith("  critical path:"))).join(" ")
        .replace(/\s+/g, " ").trim(),
      "critical path: a_quite_wide_name 1s 80ms → wide 1s 80ms → b 2m 3s " +
        "slowest: a_quite_wide_name 1s 80ms, wide 1s 80ms, b 2m 3s",
    );
  }
});

Deno.test("TtyReporter prints a failed job's output when it fails: first and last lines, with its log", () => {
  const { screen, reporter, tick, clock } = ttyHarness(undefined, {
    logPath: (job) => `.gather/logs/run/${job}.log`,
  });
  reporter.handle(start(["broken", "long"]));
  reporter.handle(begin("broken", 0));
  reporter.handle(begin("long", 0));
  for (let i = 1; i <= 80; i++) reporter.handle(log("broken", `output ${i}`));
  clock.now = 500;
  reporter.handle(
    end("broken", 500, 500, "failed", {
      error: { name: "Error", message: "it broke\nsecond line" },
    }),
  );
  tick();
  const text = screen.all;
  assertStringIncludes(text, "✖ broken 0.5s\n  it broke\n  second line\n  │ output 1\n");
  assertStringIncludes(
    text,
    "  │ output 20\n  … 30 lines not shown, full log: .gather/logs/run/broken.log\n  │ output 51\n",
  );
  assertNotMatch(text, /│ output (2[1-9]|[34]\d|50)\n/);
  assertStringIncludes(text, "  │ output 80\n");
  assertMatch(text.split("\n").at(-2)!, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] long/); // still running below
  assertStringIncludes(text.split("\n").at(-1)!, "1 failed");
  reporter.close();
});

Deno.test("TtyReporter cuts a huge error of a failed job, says how much and where it is whole", () => {
  const { screen, reporter, tick, clock } = ttyHarness(undefined, {
    logPath: (job) => `.gather/logs/run/${job}.log`,
  });
  reporter.handle(start(["big"]));
  reporter.handle(begin("big", 0));
  clock.now = 500;
  reporter.handle(
    end("big", 500, 500, "failed", { error: { name: "Error", message: "y".repeat(20_000) } }),
  );
  tick();
  const text = screen.all;
  // Broken to the terminal's 80 columns, the rest of each line indented under it.
  const lines = text.split("\n");
  for (const line of lines) assertLessOrEqual(textWidth(line), 80, line);
  const cut = lines.findIndex((line) => line.startsWith("  … error cut: "));
  assertEquals(lines[0], "✖ big 0.5s");
  assertEquals(lines.slice(1, cut).map((line) => line.trim()).join(""), `${"y".repeat(4095)}…`);
  assertEquals(
    lines.slice(cut, cut + 2).map((line) => line.trim()).join(" "),
    "… error cut: 15,905 characters not shown; the whole error: .gather/logs/run/big.log",
  );
  assertLess(text.length, 5_000);
  reporter.close();
});

/** Run jobs through a live display to the end; returns the whole screen. */
function liveRun(
  jobs: { name: string; lines: string[]; status?: "ok" | "failed"; error?: string }[],
  options: Parameters<typeof ttyHarness>[1] = {},
): string {
  const { screen, reporter, tick, clock } = ttyHarness({ columns: 200, rows: 30 }, options);
  reporter.handle(start(jobs.map((job) => job.name)));
  for (const job of jobs) reporter.handle(begin(job.name, 0));
  for (const job of jobs) {
    for (const line of job.lines) {
      reporter.handle({ type: "job:log", time: 0, job: job.name, line, stream: "stderr" });
    }
    clock.now += 100;
    tick();
    const failure = {
      error: {
        name: "GatherError",
        code: "COMMAND_FAILED",
        message: [job.error ?? "Command failed with exit code 1: cc", ...job.lines.slice(-10)]
          .join("\n"),
      },
    };
    reporter.handle(
      end(job.name, clock.now, 100, job.status, job.status === "failed" ? failure : {}),
    );
    tick();
  }
  const failed = jobs.filter((job) => job.status === "failed").length;
  reporter.handle({
    ...finish(jobs.length, clock.now, failed),
    ...(failed
      ? {
        counts: {
          total: jobs.length,
          ok: jobs.length - failed,
          failed,
          cancelled: 0,
          skipped: 0,
          cached: 0,
        },
      }
      : {}),
  });
  return screen.all;
}

const GCC = [
  "bad.c: In function ‘main’:",
  "bad.c:2:11: error: ‘undefined_one’ undeclared (first use in this function)",
  "    2 |   int x = undefined_one;",
  "      |           ^~~~~~~~~~~~~",
  "bad.c:3:14: error: ‘undefined_two’ undeclared (first use in this function)",
  "    3 |   return x + undefined_two;",
  "      |              ^~~~~~~~~~~~~",
];

Deno.test("TtyReporter prints a successful job's output once, under its line, in order", () => {
  const screen = liveRun([
    { name: "check", lines: ["warning: unused variable", "  --> src/main.rs:3"] },
    { name: "quiet", lines: [] },
  ]);
  assertStringIncludes(
    screen,
    "✔ check 0.1s\n  │ warning: unused variable\n  │   --> src/main.rs:3\n✔ quiet 0.1s\n",
  );
  assertEquals(screen.split("warning: unused variable").length, 2, screen);
});

Deno.test("TtyReporter prints a failed command's output once, in order, and a short command in the summary", () => {
  const command = `Command failed with exit code 1: gcc -c ${"-DLONG_MACRO=1 ".repeat(130)}bad.c`;
  const screen = liveRun([{ name: "compile", lines: GCC, status: "failed", error: command }], {
    logPath: () => "compile.log",
  });
  for (const line of GCC) assertEquals(screen.split(line).length, 2, `${line}\n${screen}`);
  // The command, broken between words at the terminal's 200 columns, then the output.
  const lines = screen.split("\n");
  const head = lines.indexOf("✖ compile 0.1s");
  const output = lines.indexOf(`  │ ${GCC[0]}`);
  assertEquals(lines.slice(head + 1, output).map((line) => line.trim()).join(" "), command);
  for (const line of lines.slice(head, output)) assertLessOrEqual(textWidth(line), 200, line);
  assertStringIncludes(screen, `  │ ${GCC.join("\n  │ ")}\n`);
  const summary = screen.split("first failure compile: ")[1]!.split("\n");
  assertEquals(summary[0], command.slice(0, 119) + "…");
  assertEquals(summary[1], "    full log: compile.log");
});

Deno.test("TtyReporter bounds a huge output to its first and last lines, and says what was cut", () => {
  const lines = Array.from({ length: 5_000 }, (_, i) => `line ${i + 1}`);
  const screen = liveRun([{ name: "flood", lines }], { logPath: () => "flood.log" });
  const shown = screen.split("\n").filter((line) => line.startsWith("  │ line "));
  assertEquals(shown.length, 50);
  assertStringIncludes(
    screen,
    "  │ line 20\n  … 4,950 lines not shown, full log: flood.log\n  │ line 4971\n",
  );
  assertStringIncludes(screen, "  │ line 5000\n");
});

Deno.test("TtyReporter cuts a huge line of output to four rows of the terminal", () => {
  const screen = liveRun([{ name: "bundle", lines: ["x".repeat(100_000), "short"] }]);
  const line = screen.split("\n").find((l) => l.startsWith("  │ x"))!;
  assertEquals(line, `  │ ${"x".repeat(799)}…`); // 4 × 200 columns
  assertStringIncludes(screen, "  │ short\n");
});

Deno.test("TtyReporter --output errors, none and -q choose whose output is printed", () => {
  const jobs = [
    { name: "fine", lines: ["a warning"] },
    { name: "bad", lines: ["an error"], status: "failed" as const },
  ];
  const errors = liveRun(jobs, { show: "errors" });
  assertStringIncludes(errors, "✔ fine 0.1s\n✖ bad");
  assertStringIncludes(errors, "  │ an error\n");
  assertNotMatch(errors, /a warning/);
  const none = liveRun(jobs, { show: "none" });
  assertNotMatch(none, /a warning|│ an error/);
  assertStringIncludes(none, "✖ bad 0.1s\n  Command failed with exit code 1: cc\n  an error\n");
  const quiet = liveRun(jobs, { quiet: true });
  assertNotMatch(quiet, /✔ fine|a warning/);
  assertStringIncludes(quiet, "  │ an error\n");
});

Deno.test("TtyReporter estimates the time left once enough jobs are done", () => {
  const { screen, reporter, tick, clock } = ttyHarness({ columns: 100, rows: 24 });
  const names = Array.from({ length: 20 }, (_, i) => `j${i}`);
  reporter.handle(start(names));
  for (const name of names.slice(0, 2)) reporter.handle(begin(name, 0));
  reporter.handle(end("j0", 1_000, 1_000));
  reporter.handle(end("j1", 1_000, 1_000));
  clock.now = 1_000;
  tick();
  assertNotMatch(screen.text, /left/);
  for (const name of names.slice(2, 4)) reporter.handle(begin(name, 1_000));
  reporter.handle(end("j2", 2_000, 1_000));
  reporter.handle(end("j3", 2_000, 1_000));
  clock.now = 2_000;
  tick();
  assertStringIncludes(
    screen.text,
    "4/20 done · 0 running · 16 pending · 0 failed · 2.0s · ~8s left",
  );
  // Once the run is cancelled, the jobs left will not run: no time left, it is stopping.
  reporter.handle(begin("j4", 2_000));
  reporter.handle({ type: "run:cancel", time: 2_100, reason: "interrupted by SIGINT" });
  clock.now = 2_500;
  tick();
  assertStringIncludes(
    screen.text,
    "4/20 done · 1 running · 15 pending · 0 failed · 2.5s · stopping",
  );
  assertNotMatch(screen.text, /left/);
  reporter.close();
});

Deno.test("TtyReporter leaves room at the end of its last row for the terminal's echo of ^C", () => {
  // A second Ctrl-C while the footer says "stopping": the terminal echoes ^C where the cursor is,
  // at the end of the footer. Had the footer filled the row, the echo would have wrapped onto a
  // new row, and the next erase, one row short, would have left the row above the footer behind.
  const { screen, reporter, tick, clock } = ttyHarness({ columns: 80, rows: 20 }, { wrap: true });
  reporter.handle(start(["a", "b"]));
  reporter.handle(begin("a", 0));
  reporter.handle(begin("b", 0));
  reporter.handle(log("b", "Terminated"));
  reporter.handle({ type: "run:cancel", time: 1_000, reason: "interrupted by SIGINT" });
  reporter.handle(end("a", 1_800, 1_800, "cancelled"));
  for (const now of [1_900, 2_000, 2_100, 2_200]) {
    clock.now = now;
    tick();
    const footer = screen.text.split("\n").at(-1)!;
    assertLessOrEqual(textWidth(footer), 80 - 2, footer);
  }
  screen.write("^C"); // the terminal's echo, not gather's
  reporter.handle({
    type: "diagnostic",
    time: 2_250,
    kind: "ignored-cancellation",
    job: "b",
    message: 'Job "b" was still running 262ms after it was cancelled',
    hint: "make the program exit on SIGTERM",
  });
  clock.now = 2_300;
  tick();
  reporter.handle(end("b", 2_300, 2_300, "cancelled"));
  reporter.handle({
    type: "run:end",
    time: 2_300,
    status: "cancelled",
    counts: { total: 2, ok: 0, failed: 0, cancelled: 2, skipped: 0, cached: 0 },
    durationMs: 2_300,
  });
  assertNotMatch(screen.all, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|done ·/, screen.all);
  assertMatch(
    screen.all,
    /^⊘ interrupted by SIGINT: .*\n⊘ a 1\.8s cancelled\n⚠ ignored-cancellation/m,
  );
  assertStringIncludes(screen.all, "\n\n⊘ interrupted: 0 ok, 2 cancelled"); // a blank line first
});

Deno.test("TtyReporter restores the terminal when closed mid-run", () => {
  const { screen, reporter, tick, ticking } = ttyHarness();
  reporter.handle(start(["a"]));
  reporter.handle(begin("a", 0));
  tick();
  assert(ticking());
  assertEquals(screen.cursorVisible, false);
  reporter.close(); // an internal error: no run:end
  assertEquals(ticking(), false);
  assertEquals(screen.cursorVisible, true);
  assertEquals(screen.text, "");
});

Deno.test("TtyReporter erases the re-wrapped rows after a shrinking resize", () => {
  const size = { columns: 80, rows: 24 };
  let written = "";
  let tick = () => {};
  const reporter = new TtyReporter({
    output: new Output({ writeSync: (p) => (written += new TextDecoder().decode(p), p.length) }),
    palette: palette(false),
    size: () => size,
    now: () => 0,
    ticker: (fn) => (tick = fn, () => {}),
  });
  reporter.handle(start(["a", "b"]));
  reporter.handle(begin("a", 0));
  reporter.handle(begin("b", 0));
  reporter.handle(log("a", "x".repeat(100))); // its row is 80 columns wide
  tick();
  size.columns = 40; // a: 80 columns -> 2 rows, b: 1 row, the footer: 71 columns -> 2 rows
  written = "";
  tick();
  assertEquals(written.split("\x1b[1A").length - 1, 5 - 1, JSON.stringify(written));
  reporter.close();
});

Deno.test("TtyReporter without colour writes no colour codes", () => {
  let written = "";
  let tick = () => {};
  const reporter = new TtyReporter({
    output: new Output({ writeSync: (p) => (written += new TextDecoder().decode(p), p.length) }),
    palette: palette(false),
    size: () => ({ columns: 80, rows: 24 }),
    now: () => 0,
    ticker: (fn) => (tick = fn, () => {}),
  });
  reporter.handle(start(["a"]));
  reporter.handle(begin("a", 0));
  reporter.handle(log("a", "\x1b[31mred\x1b[0m"));
  tick();
  reporter.handle(end("a", 1, 1, "failed", { error: { name: "Error", message: "no" } }));
  reporter.handle(finish(1, 1, 1));
  assertNotMatch(written, SGR);
});

/** The time of one frame of a live display whose run has `total` jobs, 10 of them running. */
function frameCost(total: number): number {
  const clock = { now: 0 };
  let tick = () => {};
  const reporter = new TtyReporter({
    output: new Output({ writeSync: (p) => p.length }),
    palette: palette(true),
    size: () => ({ columns: 120, rows: 50 }),
    now: () => clock.now,
    ticker: (fn) => (tick = fn, () => {}),
  });
  const names = Array.from({ length: total }, (_, i) => `job${i}`);
  reporter.handle(start(names));
  for (const name of names.slice(0, total - 10)) {
    reporter.handle(begin(name, 0));
    reporter.handle(end(name, 1, 1));
  }
  for (const name of names.slice(total - 10)) reporter.handle(begin(name, 1));
  tick(); // prints the finished jobs' permanent lines once
  const frames = 300;
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    clock.now += 100;
    tick();
  }
  const perFrame = (performance.now() - t0) / frames;
  reporter.close();
  return perFrame;
}

Deno.test("TtyReporter frames cost the same with 100,000 jobs in the run", () => {
  frameCost(100); // warm up
  // Best of three each, interleaved: a ratio, so a loaded machine slows both sides alike.
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < 3; i++) {
    small.push(frameCost(100));
    large.push(frameCost(100_000));
  }
  const ratio = Math.min(...large) / Math.max(Math.min(...small), 0.01);
  // A frame that walked every job would cost ~1,000x more with 1,000x the jobs.
  assertLess(
    ratio,
    5,
    `${Math.min(...large)} ms per frame with 100,000 jobs, ${Math.min(...small)} with 100`,
  );
});

Deno.test("cutToWidth cuts wide characters without going over", () => {
  assertEquals(cutToWidth("漢字漢字", 4), "漢…");
  assertEquals(cutToWidth("a漢字", 4), "a漢…");
  assertEquals(textWidth(cutToWidth("👍🏽👍🏽👍🏽", 5)), 5);
  assertEquals(cutToWidth("anything", 0), "");
});

// --- choosing a reporter ---

Deno.test("reporterKind picks tty only for a person at a terminal", () => {
  const env = (ci?: string) => (name: string) => name === "CI" ? ci : undefined;
  const kind = (
    choice: "auto" | "tty" | "plain" | "json",
    out: boolean,
    err: boolean,
    ci?: string,
  ) => reporterKind(choice, { stdoutIsTerminal: out, stderrIsTerminal: err, env: env(ci) });
  assertEquals(kind("auto", true, true), "tty");
  assertEquals(kind("auto", true, true, ""), "tty");
  assertEquals(kind("auto", true, true, "true"), "plain");
  assertEquals(kind("auto", false, true), "plain"); // gather | jq
  assertEquals(kind("auto", true, false), "plain"); // gather 2> log
  assertEquals(kind("tty", false, true, "true"), "tty");
  assertEquals(kind("tty", true, false), "plain"); // no terminal to draw on
  assertEquals(kind("json", true, true), "json");
});

// --- the plain reporter ---

function plain(
  options: {
    group?: boolean;
    quiet?: boolean;
    show?: OutputMode;
    logPath?: (job: string) => string | undefined;
  } = {},
) {
  let text = "";
  const output = new Output({ writeSync: (p) => (text += new TextDecoder().decode(p), p.length) });
  const reporter = new PlainReporter({ output, palette: palette(false), ...options });
  return { reporter, text: () => (output.flush(), text) };
}

function interleaved(reporter: PlainReporter): void {
  reporter.handle(start(["a", "longer"]));
  reporter.handle(begin("a", 0));
  reporter.handle(begin("longer", 0));
  for (let i = 1; i <= 3; i++) {
    reporter.handle(log("a", `a ${i}`));
    reporter.handle(log("longer", `longer ${i}`));
  }
  reporter.handle(end("longer", 5, 5));
  reporter.handle(end("a", 6, 6));
  reporter.handle(finish(2, 6));
}

Deno.test("PlainReporter prefixes every line with its job's name, aligned, in order", () => {
  const { reporter, text } = plain();
  interleaved(reporter);
  const lines = text().split("\n").filter((line) => line.includes("│"));
  assertEquals(lines.slice(0, 4), [
    "a      │ ▶ start",
    "longer │ ▶ start",
    "a      │ a 1",
    "longer │ longer 1",
  ]);
  const aLines = lines.filter((line) => line.startsWith("a "));
  assertEquals(aLines.map((line) => line.split("│ ")[1]), [
    "▶ start",
    "a 1",
    "a 2",
    "a 3",
    "✔ ok 6ms",
  ]);
});

Deno.test("PlainReporter counts one job as one job", () => {
  const { reporter, text } = plain();
  reporter.handle(start(["only"]));
  reporter.handle(begin("only", 0));
  reporter.handle(end("only", 1, 1));
  reporter.handle(finish(1, 1));
  assertStringIncludes(text(), "gather: 1 job, up to");
  assertStringIncludes(text(), "of 1 job in");
});

Deno.test("PlainReporter --group prints each job's lines together when it ends", () => {
  const { reporter, text } = plain({ group: true });
  interleaved(reporter);
  const lines = text().split("\n").filter((line) => line.includes("│"));
  assertEquals(lines, [
    "longer │ ▶ start",
    "longer │ longer 1",
    "longer │ longer 2",
    "longer │ longer 3",
    "longer │ ✔ ok 5ms",
    "a      │ ▶ start",
    "a      │ a 1",
    "a      │ a 2",
    "a      │ a 3",
    "a      │ ✔ ok 6ms",
  ]);
});

/** Run jobs one after the other through a plain reporter; returns its text. */
function plainRun(
  jobs: { name: string; lines: string[]; status?: "ok" | "failed"; error?: string }[],
  options: Parameters<typeof plain>[0] = {},
): string {
  const { reporter, text } = plain(options);
  reporter.handle(start(jobs.map((job) => job.name)));
  let time = 0;
  for (const job of jobs) {
    reporter.handle(begin(job.name, time));
    for (const line of job.lines) {
      reporter.handle({ type: "job:log", time, job: job.name, line, stream: "stderr" });
    }
    time += 10;
    const error = {
      name: "GatherError",
      code: "COMMAND_FAILED",
      message: [job.error ?? "Command failed with exit code 1: cc", ...job.lines.slice(-10)]
        .join("\n"),
    };
    reporter.handle(end(job.name, time, 10, job.status, job.status === "failed" ? { error } : {}));
  }
  const failed = jobs.filter((job) => job.status === "failed").length;
  reporter.handle(finish(jobs.length, time, failed));
  reporter.close();
  return text();
}

Deno.test("PlainReporter prints a failed command's output once, in order, and a short command in the summary", () => {
  const command = `Command failed with exit code 1: gcc -c ${"-DLONG_MACRO=1 ".repeat(130)}bad.c`;
  const text = plainRun([{ name: "compile", lines: GCC, status: "failed", error: command }], {
    logPath: () => "compile.log",
  });
  for (const line of GCC) assertEquals(text.split(line).length, 2, `${line}\n${text}`);
  assertStringIncludes(
    text,
    `compile │ ${GCC.join("\ncompile │ ")}\ncompile │ ✖ failed 10ms: ${command}\n\n`,
  );
  assertEquals(text.split(command).length, 2, "the whole command is printed once");
  assertStringIncludes(
    text,
    `first failure compile: ${command.slice(0, 119)}…\n    full log: compile.log\n`,
  );
});

Deno.test("PlainReporter --output errors prints a job's output only if it fails, after its lines", () => {
  const jobs = [
    { name: "fine", lines: ["a warning"] },
    { name: "bad", lines: ["an error", "and more"], status: "failed" as const },
  ];
  for (const options of [{ show: "errors" as const }, { quiet: true }]) {
    const text = plainRun(jobs, options);
    assertNotMatch(text, /a warning/);
    assertStringIncludes(
      text,
      "bad  │ an error\nbad  │ and more\nbad  │ ✖ failed 10ms: Command failed with exit code 1: cc\n",
    );
    if (options.quiet) assertNotMatch(text, /✔ ok|▶ start/);
    else assertStringIncludes(text, "fine │ ✔ ok 10ms\n");
  }
});

Deno.test("PlainReporter --output none prints no job output; a failure keeps its whole error", () => {
  const text = plainRun([
    { name: "fine", lines: ["a warning"] },
    { name: "bad", lines: ["an error"], status: "failed" },
  ], { show: "none" });
  assertNotMatch(text, /a warning/);
  // The stderr in the command's error is the only place its output shows.
  assertStringIncludes(
    text,
    "bad  │ ✖ failed 10ms: Command failed with exit code 1: cc\nbad  │ an error\n\n",
  );
});

Deno.test("PlainReporter --group and --output errors keep a huge job's first and last lines", () => {
  const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i + 1}`);
  for (const options of [{ group: true }, { show: "errors" as const }]) {
    const text = plainRun([{ name: "flood", lines, status: "failed" }], {
      ...options,
      logPath: () => "flood.log",
    });
    assertStringIncludes(text, "flood │ line 1\n");
    // --group holds the "▶ start" line too
    assertMatch(
      text,
      /flood │ line (4999|5000)\nflood │ … 10,00[01] lines not shown, full log: flood\.log\nflood │ line 15001\n/,
    );
    assertStringIncludes(text, "flood │ line 20000\n");
  }
});

// --- logs and the summary file ---

Deno.test("JobLogs writes a file only for jobs with output, streaming big ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logs = new JobLogs(`${dir}/logs`, { bufferSize: 100 });
    logs.handle(start(["quiet", "chatty", "a/b"], Date.UTC(2026, 0, 2, 3, 4, 5)));
    logs.handle(begin("quiet", 0));
    logs.handle(end("quiet", 1, 1));
    assertEquals(logs.pathOf("quiet"), undefined);
    assertThrows(() => Deno.statSync(`${dir}/logs`)); // nothing created yet
    for (let i = 0; i < 50; i++) logs.handle(log("chatty", `line ${i}`));
    const path = logs.pathOf("chatty")!;
    assertMatch(path, /\/logs\/2026-01-02T03-04-05\.000Z-\d+\/chatty\.log$/);
    assert(Deno.statSync(path).size > 0); // already streaming
    logs.handle({
      type: "job:retry",
      time: 0,
      job: "chatty",
      attempt: 1,
      error: { name: "Error", message: "flaky" },
    });
    logs.handle(log("chatty", "second try"));
    logs.handle(log("a/b", "slash"));
    logs.handle(end("chatty", 2, 2));
    logs.close();
    const text = await Deno.readTextFile(path);
    assertEquals(text.split("\n").length, 53);
    assertStringIncludes(text, "line 49\n--- attempt 1 failed: flaky\nsecond try\n");
    assertMatch(logs.pathOf("a/b")!, /\/a_b\.log$/);
    assertEquals(await Deno.readTextFile(logs.pathOf("a/b")!), "slash\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JobLogs keeps the newest runs and gives up quietly on an unwritable folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (let run = 0; run < 4; run++) {
      const logs = new JobLogs(dir, { keepRuns: 2 });
      logs.handle(start(["a"], Date.UTC(2026, 0, 1, 0, 0, run)));
      logs.handle(log("a", "hello"));
      logs.close();
    }
    const runs = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
    assertEquals(runs.length, 2);
    assertMatch(runs[1]!, /^2026-01-01T00-00-03/);
    await Deno.writeTextFile(`${dir}/file`, "not a folder");
    const logs = new JobLogs(`${dir}/file`);
    logs.handle(start(["a"]));
    logs.handle(log("a", "hello"));
    logs.close();
    assertEquals(logs.pathOf("a"), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SummaryFile reports a path it cannot write before the run", () => {
  const error = assertThrows(() => new SummaryFile("/nonexistent/dir/summary.json"), GatherError);
  assertInstanceOf(error, GatherError);
  assertEquals(error.code, "BAD_OPTION");
  assertMatch(error.message, /^Cannot write the summary to "\/nonexistent\/dir\/summary\.json": /);
});

// --- through the CLI ---

Deno.test("gather --reporter json: every event timed, job:end complete, run:end summarised", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stdout } = await gather(
      ["-f", `${FIXTURES}tty_fail.ts`, "-k", "--reporter", "json"],
      { cwd: dir, env: { TTY_SCALE: "0.2" } },
    );
    assertEquals(code, 1);
    const events = parseEvents(stdout);
    assertEquals(events[0]?.type, "run:start");
    for (const event of events) assert(Number.isFinite(event.time), JSON.stringify(event));
    const ends = events.filter((e): e is JobEndEvent => e.type === "job:end");
    assertEquals(ends.map((e) => e.job).sort(), ["broken", "long"]);
    for (const e of ends) {
      assert(e.started && e.durationMs > 0 && e.attempt === 1, JSON.stringify(e));
    }
    const broken = ends.find((e) => e.job === "broken")!;
    assertEquals(broken.status, "failed");
    assertEquals(broken.error?.message, "broken went wrong\nsecond line of the message");
    assertStringIncludes(broken.error?.stack ?? "", "tty_fail.ts");
    const last = events.at(-1)!;
    assert(last.type === "run:end");
    assertEquals(last.counts, { total: 2, ok: 1, failed: 1, cancelled: 0, skipped: 0, cached: 0 });
    assertEquals(last.summary?.slowest.map((job) => job.name), ["long", "broken"]);
    assertEquals(last.summary?.criticalPath.map((job) => job.name), ["long"]);
    const failure = last.summary?.failures[0];
    assertEquals(failure?.name, "broken");
    assertMatch(failure?.log ?? "", /^\.gather\/logs\/[^/]+\/broken\.log$/);
    const logText = await Deno.readTextFile(`${dir}/${failure!.log}`);
    assertEquals(logText.split("\n").length, 81); // all 80 lines, not just the tail
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather --summary writes the final report whatever the reporter", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stderr } = await gather(
      ["-f", `${FIXTURES}tty_slow.ts`, "-j", "4", "--summary", `${dir}/report.json`],
      { cwd: dir, env: { TTY_SCALE: "0.2" } },
    );
    assertEquals(code, 0, stderr);
    assertStringIncludes(stderr, "critical path: "); // the plain summary
    const report = JSON.parse(await Deno.readTextFile(`${dir}/report.json`));
    assertEquals(report.status, "ok");
    assertEquals(report.counts.ok, 11);
    assertEquals(report.jobs.length, 11);
    const finishJob = report.jobs.find((job: { name: string }) => job.name === "finish");
    assertEquals(finishJob.deps.length, 10);
    assertEquals(finishJob.attempts, 1);
    assert(finishJob.startMs >= 0 && finishJob.endMs >= finishJob.startMs);
    assertEquals(report.criticalPath.at(-1).name, "finish");
    assertEquals(report.criticalPath.length, 2);
    assertMatch(report.startedAt, /^\d{4}-\d\d-\d\dT/);
    assertMatch(finishJob.log, /finish\.log$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the JSON stream's summary and the --summary file agree, run after run", async () => {
  // Two jobs that end in the same millisecond, as in the runs that disagreed before.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/tasks.ts`,
      `import { job } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
export const a = job(() => 1);
export const b = job(() => 2);
export const c = job({ deps: ["a", "b"] }, () => 3);
`,
    );
    for (let round = 0; round < 4; round++) {
      const { code, stdout, stderr } = await gather(
        ["--reporter", "json", "--summary", `${dir}/report.json`, "--no-logs", "--no-history"],
        { cwd: dir },
      );
      assertEquals(code, 0, stderr);
      const end = parseEvents(stdout).at(-1)!;
      const report = JSON.parse(await Deno.readTextFile(`${dir}/report.json`));
      assert(end.type === "run:end" && end.summary);
      assertEquals(report.criticalPath, end.summary.criticalPath);
      assertEquals(report.slowest, end.summary.slowest);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather names a failed job's log in the summary, and --no-logs writes none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const withLogs = await gather(["-f", `${FIXTURES}tty_fail.ts`], { cwd: dir });
    assertEquals(withLogs.code, 1);
    const [, path] = withLogs.stderr.match(/full log: (\S+broken\.log)/) ?? [];
    assert(path, withLogs.stderr);
    assertStringIncludes(await Deno.readTextFile(`${dir}/${path}`), "broken output line 1\n");
    await Deno.remove(`${dir}/.gather`, { recursive: true });
    const without = await gather(["-f", `${FIXTURES}tty_fail.ts`, "--no-logs"], { cwd: dir });
    assertEquals(without.code, 1);
    assertNotMatch(without.stderr, /full log/);
    assertThrows(() => Deno.statSync(`${dir}/.gather`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather --group keeps each job's lines together in a pipe", async () => {
  const { code, stderr } = await gather(
    ["-f", `${FIXTURES}tty_slow.ts`, "-j", "4", "--group", "--no-logs"],
    { env: { TTY_SCALE: "0.3" } },
  );
  assertEquals(code, 0, stderr);
  const jobs = stderr.split("\n").filter((line) => line.includes(" │ ")).map((line) =>
    line.split(" ")[0]
  );
  const runs = jobs.filter((job, i) => job !== jobs[i - 1]);
  assertEquals(runs.length, new Set(jobs).size, stderr); // one block per job
});

Deno.test("gather's plain output is coloured only when wanted", async () => {
  const args = ["-f", `${FIXTURES}tty_fail.ts`, "--no-logs"];
  const forced = await gather(args, { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
  assertMatch(forced.stderr, SGR);
  const none = await gather(args, { env: { NO_COLOR: "1", FORCE_COLOR: "" } });
  assertNotMatch(none.stderr, SGR);
});

Deno.test("JsonReporter writes a large run:start, slice by slice, as JSON.stringify would", () => {
  const jobs = Array.from({ length: 5000 }, (_, i) => ({
    name: i % 7 === 0 ? `odd "name" \\ ${i} ☃` : `j${i}`,
    deps: i === 0 ? [] : [`j${i - 1}`],
  }));
  const events: GatherEvent[] = [
    { type: "run:start", time: 1, jobs, concurrency: 4 },
    { type: "job:start", time: 2, job: "j0", attempt: 1 },
  ];
  const chunks: string[] = [];
  const output = new Output({
    writeSync: (p) => (chunks.push(new TextDecoder().decode(p)), p.length),
  });
  const reporter = new JsonReporter(output);
  for (const event of events) reporter.handle(event);
  reporter.close();
  assertEquals(chunks.join(""), events.map((event) => JSON.stringify(event) + "\n").join(""));
  assert(chunks.length > 1, "written in more than one piece");
});

Deno.test("a job cancelled while it waited for a worker is listed as never started, not as cancelled while running", () => {
  const { reporter, text } = plain();
  reporter.handle(start(["ran", "queued"]));
  reporter.handle(begin("ran", 0));
  reporter.handle(begin("queued", 0)); // handed to the queue: no worker took it
  reporter.handle({ type: "job:worker", time: 1, job: "ran", worker: "w1", delivery: 1 });
  reporter.handle(end("ran", 5, 5, "cancelled", { attempt: 1 }));
  reporter.handle(end("queued", 5, 5, "cancelled", { attempt: 0 }));
  reporter.handle({ ...finish(2, 6), status: "cancelled" });
  const out = text();
  assertStringIncludes(out, "cancelled while running: ran\n");
  assertStringIncludes(out, "never started: queued\n");
  assertStringIncludes(out, "queued │ ⊘ not started");
  assertStringIncludes(out, "ran    │ ⊘ cancelled 5ms");
});
