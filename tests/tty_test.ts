/**
 * The live display in a real terminal: gather runs inside a detached tmux
 * session, and the tests read the screen as a person would see it, while the
 * jobs run and after gather exits. Needs `tmux` (`.ci/run` installs it).
 */
import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertMatch,
  assertNotMatch,
  assertStringIncludes,
} from "@std/assert";
import { textWidth } from "../src/reporters/_tty_text.ts";
import { FIXTURES, ROOT } from "./_cli.ts";

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const hasTmux = await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((out) => out.success, () => false);

interface CaptureOptions {
  /** Keep colour codes (`capture-pane -e`). */
  escapes?: boolean;
  /** Include the scrollback (`-S -`). */
  history?: boolean;
  /** Join wrapped lines (`-J`), so a line wider than the pane shows as one. */
  join?: boolean;
}

/** gather running in its own tmux server, on a pane of a given size. */
class Terminal implements AsyncDisposable {
  readonly #dir = Deno.makeTempDirSync({ prefix: "gather-tmux-" });
  readonly #socket = `${this.#dir}/tmux.sock`;

  private constructor() {}

  /**
   * Start gather in a new pane: `env -u CI ... deno run main.ts <args>;
   * echo EXIT=$?`, then the pane stays open so its last screen can be read.
   */
  static async start(
    args: string[],
    options: { columns: number; rows: number; env?: Record<string, string> },
  ): Promise<Terminal> {
    const terminal = new Terminal();
    const env = Object.entries({ TERM: "xterm-256color", ...options.env })
      .map(([key, value]) => `${key}=${quote(value)}`);
    // gather dies by the SIGINT of a Ctrl-C, and a shell waiting for it would then stop too: the
    // trap keeps the shell going to print the exit status (130).
    const command = [
      "trap true INT;",
      `cd ${quote(ROOT)} &&`,
      "env -u CI -u NO_COLOR -u FORCE_COLOR",
      ...env,
      quote(Deno.execPath()),
      "run -A main.ts --no-logs",
      ...args.map(quote),
      "; echo EXIT=$?; sleep 60",
    ].join(" ");
    try {
      await terminal.#tmux(
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        String(options.columns),
        "-y",
        String(options.rows),
        command,
      );
    } catch (error) {
      await terminal[Symbol.asyncDispose]();
      throw error;
    }
    return terminal;
  }

  /** The pane's text now. */
  async capture(options: CaptureOptions = {}): Promise<string> {
    const flags = [
      ...(options.escapes ? ["-e"] : []),
      ...(options.history ? ["-S", "-"] : []),
      ...(options.join ? ["-J"] : []),
    ];
    const text = await this.#tmux("capture-pane", "-p", ...flags, "-t", "t");
    return text.replace(/\n+$/, "");
  }

  /** Poll the pane until `test` holds; returns that screen. */
  async waitFor(
    test: (screen: string) => boolean,
    what: string,
    options: CaptureOptions & { timeoutMs?: number } = {},
  ): Promise<string> {
    const deadline = performance.now() + (options.timeoutMs ?? 20_000);
    let screen = "";
    while (performance.now() < deadline) {
      screen = await this.capture(options);
      if (test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
  }

  /** Wait for gather to exit; returns its exit code and the whole screen with scrollback. */
  async exited(): Promise<{ code: number; screen: string }> {
    const screen = await this.waitFor((s) => /^EXIT=\d+$/m.test(s), "gather to exit", {
      history: true,
    });
    return { code: Number(screen.match(/^EXIT=(\d+)$/m)![1]), screen };
  }

  /** Whether the terminal's cursor is visible. */
  async cursorVisible(): Promise<boolean> {
    return (await this.#tmux("display-message", "-p", "-t", "t", "#{cursor_flag}")).trim() === "1";
  }

  /** Press keys, as a person would (`C-c` is Ctrl-C). */
  async keys(...keys: string[]): Promise<void> {
    await this.#tmux("send-keys", "-t", "t", ...keys);
  }

  /** Resize the terminal. */
  async resize(columns: number, rows: number): Promise<void> {
    await this.#tmux("resize-window", "-t", "t", "-x", String(columns), "-y", String(rows));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#tmux("kill-server").catch(() => {});
    await Deno.remove(this.#dir, { recursive: true });
  }

  async #tmux(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-S", this.#socket, "-f", "/dev/null", ...args],
      stdin: "null",
      env: { TERM: "xterm-256color" },
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return text;
  }
}

function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The counts in the footer: `4/11 done · 3 running · ...`. */
function footer(screen: string): { done: number; running: number; line: string } | undefined {
  const line = screen.split("\n").findLast((l) => /\d+\/\d+ done · \d+ running/.test(l));
  if (!line) return undefined;
  const [, done, running] = line.match(/(\d+)\/\d+ done · (\d+) running/)!;
  return { done: Number(done), running: Number(running), line };
}

// Without tmux these tests are skipped on a developer's machine, but fail in CI (`.ci/run`
// installs tmux), so the live display is never silently left untested there.
const ignore = !hasTmux && !Deno.env.get("CI");
const test = (name: string, fn: () => Promise<void>) => Deno.test({ name, ignore, fn });

test("the live display lists running jobs, moves the counts, and exits clean", async () => {
  await using term = await Terminal.start([
    "-f",
    `${FIXTURES}tty_slow.ts`,
    "-j",
    "3",
    "--reporter",
    "tty",
  ], {
    columns: 100,
    rows: 20,
  });
  const first = await term.waitFor((s) => (footer(s)?.running ?? 0) === 3, "three running jobs");
  const running = first.split("\n").filter((line) => SPINNER.test(line[0] ?? ""));
  assertEquals(running.length, 3, first);
  for (const line of running) {
    assertMatch(line, /^. step-\d\d +\d+\.\ds {2}step \d working: tick \d+ of \d+$/);
  }
  assertEquals(await term.cursorVisible(), false);
  const before = footer(first)!;
  const later = await term.waitFor((s) => (footer(s)?.done ?? 0) > before.done, "a job to finish");
  assertMatch(later, /^✔ step-\d\d \d\.\ds$/m); // a permanent line above the block
  assertEquals(later.split("\n").filter((line) => footer(line)).length, 1, later);

  const { code, screen } = await term.exited();
  assertEquals(code, 0, screen);
  assertNotMatch(screen, SPINNER);
  assertNotMatch(screen, /done · /);
  assertMatch(screen, /✔ done: 11 ok of 11 jobs in /);
  assertStringIncludes(screen, "critical path: step-");
  for (let i = 0; i < 10; i++) {
    const step = `step-${String(i).padStart(2, "0")}`;
    assertEquals(screen.split("\n").filter((l) => l.startsWith(`✔ ${step} `)).length, 1, screen);
  }
  assertEquals(await term.cursorVisible(), true);
});

test("--reporter auto draws live in a terminal unless CI is set", async () => {
  await using live = await Terminal.start(["-f", `${FIXTURES}tty_slow.ts`, "-j", "2"], {
    columns: 100,
    rows: 20,
    env: { TTY_SCALE: "0.5" },
  });
  await using ci = await Terminal.start(["-f", `${FIXTURES}tty_slow.ts`, "-j", "2"], {
    columns: 100,
    rows: 20,
    env: { TTY_SCALE: "0.5", CI: "true" },
  });
  await live.waitFor((s) => SPINNER.test(s) && footer(s) !== undefined, "the live block");
  const plain = await ci.waitFor((s) => s.includes("│ ▶ start"), "plain lines");
  assertNotMatch(plain, SPINNER);
  assertEquals((await live.exited()).code, 0);
  assertEquals((await ci.exited()).code, 0);
});

test("the live display fits a 40-column terminal", async () => {
  await using term = await Terminal.start(["-f", `${FIXTURES}tty_wide.ts`, "--reporter", "tty"], {
    columns: 40,
    rows: 12,
  });
  const screen = await term.waitFor(
    (s) => s.includes("emoji") && s.includes("漢字") && footer(s) !== undefined,
    "the wide lines",
    { join: true },
  );
  for (const line of screen.split("\n")) assertLessOrEqual(textWidth(line), 40, line);
  assertEquals(screen.split("\n").filter((line) => SPINNER.test(line[0] ?? "")).length, 2, screen);
  const { code, screen: end } = await term.exited();
  assertEquals(code, 0, end);
  assertNotMatch(end, SPINNER); // no stale rows, in the scrollback either
});

test("a command redrawing its line with \\r shows its latest state in its row before the line ends", async () => {
  const done = await Deno.makeTempFile({ prefix: "gather-progress-" });
  await Deno.remove(done);
  await using term = await Terminal.start(
    ["-f", `${FIXTURES}tty_progress.ts`, "--reporter", "tty"],
    {
      columns: 80,
      rows: 12,
      env: { PROGRESS_DONE_FILE: done },
    },
  );
  // The line has no end yet: only the job:partial events can have put it there.
  const screen = await term.waitFor((s) => /fetching 30%/.test(s), "the unfinished line");
  assertMatch(screen, /^. fetch +\d+\.\ds {2}fetching 30%$/m);
  await Deno.writeTextFile(done, "");
  const { code, screen: end } = await term.exited();
  assertEquals(code, 0, end);
  assertStringIncludes(end, "  │ fetching 100%");
  assertNotMatch(end, /fetching 30%/);
});

test("a job printing 5,000 lines shows its first and last lines when it ends, not all of them", async () => {
  await using term = await Terminal.start(["-f", `${FIXTURES}tty_flood.ts`, "--reporter", "tty"], {
    columns: 80,
    rows: 20,
  });
  await term.waitFor((s) => s.includes("flood line 5000"), "the last flood line");
  const { code, screen } = await term.exited();
  assertEquals(code, 0, screen);
  const lines = screen.split("\n");
  const shown = lines.filter((line) => line.startsWith("  │ flood line "));
  assertEquals(shown.length, 50, screen);
  assertEquals(shown[0], "  │ flood line 1");
  assertEquals(shown[19], "  │ flood line 20");
  assertEquals(shown[20], "  │ flood line 4971");
  assertEquals(shown[49], "  │ flood line 5000");
  assertEquals(lines[lines.indexOf(shown[19]!) + 1], "  … 4,950 lines not shown");
  assertEquals(lines.filter((line) => /^✔ flood /.test(line)).length, 1, screen);
  assertLessOrEqual(lines.filter((line) => line.trim() !== "").length, 60, screen);
});

test("the build example prints each job's output under its ✔ line, once; -q prints none of it", async () => {
  await using term = await Terminal.start(["-f", "tasks/build.ts", "--reporter", "tty"], {
    columns: 100,
    rows: 30,
  });
  const { code, screen } = await term.exited();
  assertEquals(code, 0, screen);
  assertMatch(screen, /^✔ generate \d+\.\ds\n {2}│ wrote 3 files to \S+\n✔ /m);
  assertMatch(screen, /^✔ check \d+\.\ds\n( {2}│ Check \S+\.ts\n){3}/m); // deno check's output
  assertMatch(screen, /^✔ report \d+\.\ds\n {2}│ 9 \S+bundle\.ts\n {2}│ bundle has 9 lines\n/m);
  assertEquals(screen.split("bundle has 9 lines").length, 2, screen);
  await using quiet = await Terminal.start(["-f", "tasks/build.ts", "--reporter", "tty", "-q"], {
    columns: 100,
    rows: 30,
  });
  const { code: quietCode, screen: quietScreen } = await quiet.exited();
  assertEquals(quietCode, 0, quietScreen);
  assertNotMatch(quietScreen, /✔ generate|│ |bundle has/);
  assertMatch(quietScreen, /✔ done: 6 ok of 6 jobs/);
});

test("whatever a job writes shows under its ✔ line, and output outside any job above the live block", async () => {
  await using term = await Terminal.start(
    ["-f", `${FIXTURES}every_output.ts`, "-j", "1", "--reporter", "tty"],
    { columns: 80, rows: 40 },
  );
  const { code, screen } = await term.exited();
  assertEquals(code, 0, screen);
  assertNotMatch(screen, /done · /); // no stale frame left by a raw write
  assertMatch(screen, /^✔ processWrite \d+\.\ds\n {2}│ node stdout\n {2}│ node stderr\n/m);
  assertMatch(screen, /^✔ denoWriteSync \d+\.\ds\n {2}│ written in pieces\n/m);
  assertMatch(screen, /^✔ table \d+\.\ds\n {2}│ ┌/m);
  assertMatch(screen, /^written outside any job$/m);
});

test("more running jobs than rows shows how many are hidden", async () => {
  await using term = await Terminal.start(
    ["-f", `${FIXTURES}tty_many.ts`, "-j", "30", "--reporter", "tty"],
    { columns: 60, rows: 10 },
  );
  const screen = await term.waitFor((s) => /… and \d+ more running/.test(s), "the hidden count");
  const lines = screen.split("\n");
  const shown = lines.filter((line) => SPINNER.test(line[0] ?? "")).length;
  assertEquals(screen.match(/… and (\d+) more running/)![1], String(30 - shown));
  assertLessOrEqual(lines.length, 10);
  assertEquals((await term.exited()).code, 0);
});

test("the footer keeps the counts, the time and the time left at 40 and 80 columns", async () => {
  await using term = await Terminal.start(
    ["-f", `${FIXTURES}tty_many.ts`, "-j", "8", "--reporter", "tty"],
    { columns: 40, rows: 20 },
  );
  const last = (s: string) => s.split("\n").findLast((line) => line.includes("/30")) ?? "";
  // Not `0/30 done · 8 running · 22 p…`: what does not fit goes whole, the bar and "pending" first.
  const narrow = await term.waitFor(
    (s) => /^\d+\/30 .*· 0 failed · \d+\.\ds(?: · ~\d+s left)?$/.test(last(s)),
    "the failed count and the time at 40 columns",
  );
  for (const line of narrow.split("\n")) assertLessOrEqual(textWidth(line), 40, line);
  await term.resize(80, 20);
  // Not `~6s…`: "pending" makes room for the time left; the bar keeps its width.
  const wide = await term.waitFor(
    (s) => / · 0 failed · \d+\.\ds · ~\d+s left$/.test(last(s)),
    "the time left at 80 columns",
    { join: true },
  );
  for (const line of wide.split("\n")) assertLessOrEqual(textWidth(line), 80, line);
  assertMatch(last(wide), /^[━─]+ \d+\/30 done · /);
  assertEquals((await term.exited()).code, 0);
});

test("a failed job's output shows at once, under the jobs still running", async () => {
  await using term = await Terminal.start(
    ["-f", `${FIXTURES}tty_fail.ts`, "-k", "--reporter", "tty"],
    { columns: 80, rows: 30 },
  );
  // The failure and the live row under it (tmux may show a frame it has read only part of).
  const screen = await term.waitFor(
    (s) => s.includes("broken went wrong") && /^. long /.test(s.split("\n").at(-2) ?? ""),
    "the failure, and the live row under it",
    { history: true },
  );
  assertMatch(screen, /^✖ broken 0\.\ds$/m);
  assertStringIncludes(
    screen,
    "  broken went wrong\n  second line of the message\n  │ broken output line 1\n",
  );
  assertStringIncludes(screen, "  │ broken output line 20\n  … 30 lines not shown\n");
  assertStringIncludes(screen, "  │ broken output line 80\n");
  assertMatch(screen.split("\n").at(-2) ?? "", /^. long /); // long is still running
  const { code, screen: end } = await term.exited();
  assertEquals(code, 1);
  assertMatch(end, /✖ failed: 1 ok, 1 failed of 2 jobs/);
  assertStringIncludes(end, "first failure broken: broken went wrong");
  assertNotMatch(end, SPINNER);
});

test("Ctrl-C leaves a clean screen, the summary and a visible cursor", async () => {
  await using term = await Terminal.start([
    "-f",
    `${FIXTURES}tty_slow.ts`,
    "-j",
    "3",
    "--reporter",
    "tty",
  ], {
    columns: 100,
    rows: 20,
  });
  await term.waitFor((s) => (footer(s)?.running ?? 0) === 3, "three running jobs");
  await term.keys("C-c");
  const { code, screen } = await term.exited();
  assertEquals(code, 130, screen);
  assertNotMatch(screen, SPINNER);
  assertMatch(screen, /⊘ interrupted: /);
  assertStringIncludes(screen, "cancelled while running: ");
  assertEquals(await term.cursorVisible(), true);
});

test("a second Ctrl-C while the run is stopping leaves no row of the live display behind", async () => {
  await using term = await Terminal.start(["-f", `${FIXTURES}tty_trap.ts`, "--reporter", "tty"], {
    columns: 80,
    rows: 20,
  });
  await term.waitFor(
    (s) => (footer(s)?.running ?? 0) === 2 && /^. b /m.test(s),
    "two running jobs",
  );
  await term.keys("C-c");
  // The footer says "stopping" and fills the row but for the room the echo of ^C needs.
  await term.waitFor((s) => /· stopping$/m.test(s) && /^⊘ a /m.test(s), "a stopping run");
  await new Promise((resolve) => setTimeout(resolve, 300));
  await term.keys("C-c");
  const { code, screen } = await term.exited();
  assertEquals(code, 130, screen);
  assertNotMatch(screen, SPINNER);
  assertMatch(screen, /^⊘ interrupted: /m);
  // Stopped at once 0.3s after its cancellation: b is not blamed for ignoring it.
  assertNotMatch(screen, /ignored-cancellation/);
  assertEquals(await term.cursorVisible(), true);
});

test("NO_COLOR turns colours off in the live display", async () => {
  const args = ["-f", `${FIXTURES}tty_slow.ts`, "-j", "3", "--reporter", "tty"];
  await using plain = await Terminal.start(args, {
    columns: 100,
    rows: 20,
    env: { NO_COLOR: "1" },
  });
  await using coloured = await Terminal.start(args, { columns: 100, rows: 20 });
  // deno-lint-ignore no-control-regex
  const sgr = /\x1b\[[0-9;]*m/;
  const noColour = await plain.waitFor((s) => footer(s) !== undefined, "a frame", {
    escapes: true,
  });
  assertNotMatch(noColour, sgr);
  const colour = await coloured.waitFor((s) => footer(s) !== undefined && sgr.test(s), "colours", {
    escapes: true,
  });
  assert(sgr.test(colour));
});

test("the live display repaints cleanly when the terminal shrinks", async () => {
  await using term = await Terminal.start(
    ["-f", `${FIXTURES}tty_slow.ts`, "-j", "3", "--reporter", "tty"],
    { columns: 120, rows: 20, env: { TTY_SCALE: "2" } },
  );
  const wide = await term.waitFor((s) => (footer(s)?.running ?? 0) === 3, "three running jobs");
  assert(footer(wide)!.line.length > 60, wide);
  await term.resize(50, 16);
  const narrow = await term.waitFor(
    (s) => (footer(s)?.line.length ?? 99) <= 50 && SPINNER.test(s),
    "a narrow frame",
    { join: true },
  );
  for (const line of narrow.split("\n")) assertLessOrEqual(textWidth(line), 50, line);
  assertEquals(narrow.split("\n").filter((line) => footer(line)).length, 1, narrow);
  await term.keys("C-c");
  assertEquals((await term.exited()).code, 130);
});

/** What gcc prints for the fixture's source, without colours. */
async function gccErrors(): Promise<string[]> {
  const { SOURCE } = await import("./fixtures/cc_fail.ts");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.c`, SOURCE);
    const out = await new Deno.Command("gcc", { args: ["-c", "bad.c"], cwd: dir }).output();
    return new TextDecoder().decode(out.stderr).trimEnd().split("\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const colour of [false, true]) {
  test(
    `a failing compile shows its errors once, in order, and a short command in the summary (${
      colour ? "colour" : "NO_COLOR"
    })`,
    async () => {
      const expected = await gccErrors();
      await using term = await Terminal.start(
        ["-f", `${FIXTURES}cc_fail.ts`, "--reporter", "tty", "--no-diagnostics"],
        { columns: 100, rows: 30, ...(colour ? {} : { env: { NO_COLOR: "1" } }) },
      );
      const { code } = await term.exited();
      assertEquals(code, 1);
      const screen = await term.capture({ history: true, join: true });
      const block = expected.map((line) => `  │ ${line}`.trimEnd()).join("\n");
      assertStringIncludes(screen, block, screen);
      for (const line of expected) {
        assertEquals(screen.split(line).length, 2, `shown more than once: ${line}\n${screen}`);
      }
      assertMatch(screen, /^✖ compile \d+\.\ds\n {2}Command failed with exit code 1: cd /m);
      // The summary line, broken between words to fit the 100 columns, its rest indented.
      const lines = screen.split("\n");
      const at = lines.findIndex((line) => line.startsWith("  first failure compile: "));
      assert(at >= 0, screen);
      const rest: string[] = [];
      for (const line of lines.slice(at + 1)) {
        if (!line.startsWith("      ")) break;
        rest.push(line);
      }
      for (const line of [lines[at]!, ...rest]) assertLessOrEqual(line.length, 100, screen);
      const summary = [lines[at]!, ...rest.map((line) => line.trimStart())].join(" ");
      assertEquals(summary.length, "  first failure compile: ".length + 120, screen);
      const escapes = await term.capture({ history: true, escapes: true });
      // deno-lint-ignore no-control-regex
      if (colour) assertMatch(escapes, /\x1b\[31merror: /); // gcc's own colours (tmux splits 01;31)
      // deno-lint-ignore no-control-regex
      else assertNotMatch(escapes, /\x1b\[[0-9;]*m/);
    },
  );
}

test("the live display in watch mode: a ready service is ● with its ready time; each run has the screen under its header", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "gather-tty-watch-" }));
  const server = `${FIXTURES}services/server.ts`;
  await Deno.mkdir(`${dir}/src`);
  await Deno.writeTextFile(`${dir}/src/x.txt`, "1");
  await Deno.writeTextFile(
    `${dir}/tasks.ts`,
    `import { job } from "${ROOT}mod.ts";
export const api = job({ service: { ready: { line: /listening on http:\\/\\/127\\.0\\.0\\.1:(\\d+)/ } } },
  (ctx) => ctx.exec(Deno.execPath(), ["run", "-A", "${server}"]));
export const hold = job({ deps: [api], inputs: ["src/**"] }, async (ctx) => {
  while (true) {
    try { await Deno.stat("${dir}/release"); break; } catch { /* not yet */ }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  ctx.log("released");
});
`,
  );
  try {
    await using term = await Terminal.start(["-f", `${dir}/tasks.ts`, "--watch"], {
      columns: 100,
      rows: 20,
    });
    const live = await term.waitFor(
      (s) => /^● api +ready \d+\.\ds {2}listening on/m.test(s),
      "api",
    );
    assertMatch(live, /^↻ run 1 · \d\d:\d\d:\d\d · started$/m);
    assertMatch(live, /^. hold +\d+\.\ds/m);
    await Deno.writeTextFile(`${dir}/release`, "");
    const waiting = await term.waitFor((s) => s.includes("◌ watching"), "the first run's end");
    assertMatch(waiting, /^◌ watching 2 files · service api keeps running · Ctrl-C to stop$/m);
    await Deno.writeTextFile(`${dir}/src/x.txt`, "2");
    const second = await term.waitFor((s) => /◌ watching/.test(s) && /run 2/.test(s), "run 2");
    assertMatch(
      second.split("\n")[0]!,
      /^↻ run 2 · \d\d:\d\d:\d\d · 1 file changed: src\/x.txt · reruns hold$/,
    );
    assertNotMatch(second, /run 1/); // the screen was cleared for it
    await term.keys("C-c");
    assertEquals((await term.exited()).code, 130);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("a service that fails shows its output once, and the jobs it cancels say so", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens on it: the service is never ready
  const fixture = `${FIXTURES}services/failing.ts`;
  const size = { columns: 200, rows: 30, env: { PORT: String(port) } };
  await using never = await Terminal.start(
    ["-f", fixture, "never", "dep", "--reporter", "tty"],
    size,
  );
  assertEquals((await never.exited()).code, 1);
  const screen = await never.capture({ history: true, join: true });
  const why = `Service "never" was not ready after 1s: port ${port} did not accept connections`;
  assertMatch(
    screen,
    new RegExp(
      `^✖ never \\d+\\.\\ds\\n {2}${why} \\([^)]+\\)\\n {2}│ starting up\\n {2}│ still loading$`,
      "m",
    ),
  );
  for (const line of ["starting up", "still loading"]) {
    assertEquals(screen.split(line).length, 2, `shown more than once: ${line}\n${screen}`);
  }
  assertMatch(screen, new RegExp(`^ {2}first failure never: ${why} \\([^)]+\\)$`, "m"));
  assertNotMatch(screen, /its output/);

  await using crash = await Terminal.start(
    ["-f", fixture, "e2e", "user", "--reporter", "tty"],
    size,
  );
  assertEquals((await crash.exited()).code, 1);
  const crashed = await crash.capture({ history: true, join: true });
  for (const name of ["e2e", "user"]) {
    assertMatch(
      crashed,
      new RegExp(
        `^⊘ ${name} \\d+\\.\\ds cancelled: the service it needs, "api", failed: Service "api" stopped on its own while it was needed: Command failed with exit code 3: echo listening;`,
        "m",
      ),
    );
  }
});
