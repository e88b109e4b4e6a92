import { assert, assertEquals, assertLess, assertStringIncludes } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import { Output } from "../src/reporters/output.ts";
import { palette } from "../src/reporters/palette.ts";
import { PlainReporter } from "../src/reporters/plain.ts";
import { textWidth } from "../src/reporters/_tty_text.ts";
import { gather, ROOT } from "./_cli.ts";

for (const total of [10_001, 12_345, 20_000]) {
  Deno.test(`PlainReporter --group: the lines not shown of ${total} are counted exactly, the start line kept`, () => {
    let text = "";
    const output = new Output({
      writeSync: (p) => (text += new TextDecoder().decode(p), p.length),
    });
    const reporter = new PlainReporter({ output, palette: palette(false), group: true });
    reporter.handle({
      type: "run:start",
      time: 0,
      jobs: [{ name: "a", deps: [] }],
      concurrency: 1,
    });
    reporter.handle({ type: "job:start", time: 0, job: "a", attempt: 1 });
    for (let i = 1; i <= total; i++) {
      reporter.handle({ type: "job:log", time: 0, job: "a", line: `line ${i}`, stream: "log" });
    }
    reporter.handle({
      type: "job:end",
      time: 1,
      job: "a",
      status: "ok",
      started: true,
      durationMs: 1,
      attempt: 1,
      cache: "off",
    });
    reporter.close();
    const lines = text.split("\n");
    const shown = lines.filter((line) => /│ line \d+$/.test(line));
    const note = lines.find((line) => / lines? not shown/.test(line));
    const notShown = Number(note?.match(/… ([\d,]+) lines? not shown/)?.[1]?.replaceAll(",", ""));
    assertEquals(notShown + shown.length, total, note);
    assertEquals(shown[0], "a │ line 1"); // the first lines, then the count, then the last
    const gap = shown.findIndex((line, i) => i > 0 && line !== `a │ line ${i + 1}`);
    assertEquals(shown[gap], `a │ line ${gap + notShown + 1}`); // nothing lost around the cut
    assertEquals(shown.at(-1), `a │ line ${total}`);
    assertEquals(lines.filter((line) => line === "a │ ▶ start").length, 1);
  });
}

Deno.test("gather's plain failure line cuts a 200,000-character error, says so and where it is whole: its log, the summary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};\nexport const big = job(() => { throw new Error("x".repeat(200_000)); });\n` +
        `export const many = job(() => { throw new Error(Array.from({ length: 1000 }, (_, i) => \`problem \${i}\`).join("\\n")); });\n`,
    );
    const run = await gather(
      ["--reporter", "plain", "--no-history", "-k", "--summary", "summary.json"],
      { cwd: dir },
    );
    assertEquals(run.code, 1, run.stderr.slice(0, 2000));
    const lines = run.stderr.split("\n");
    for (const line of lines) assertLess(line.length, 4200, line.slice(0, 100));
    const failed = lines.find((line) => line.startsWith("big  │ ✖ failed"))!;
    assert(failed.endsWith("x…"), failed.slice(-20));
    const log = lines.find((line) => line.startsWith("big  │ … error cut"))!;
    const path = log.match(/the whole error: (\S+)$/)?.[1] ?? "";
    assertEquals(
      log,
      `big  │ … error cut: 195,905 characters not shown; the whole error: ${path}`,
    );
    assertEquals(await Deno.readTextFile(join(dir, path)), `--- failed: ${"x".repeat(200_000)}\n`);
    // Many lines: the first, 50 more, and the count of the rest.
    assertStringIncludes(run.stderr, "many │ problem 50\n");
    assertEquals(run.stderr.includes("many │ problem 51\n"), false);
    assertStringIncludes(run.stderr, "many │ … error cut: 949 lines not shown; the whole error: ");
    const summary = JSON.parse(await Deno.readTextFile(join(dir, "summary.json")));
    const big = summary.jobs.find((job: { name: string }) => job.name === "big");
    assertEquals(big.error.message.length, 200_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The plain reporter's job lines (`name │ …`) for jobs `names` starting, one after the other. */
function startLines(names: string[]): string[] {
  let text = "";
  const output = new Output({ writeSync: (p) => (text += new TextDecoder().decode(p), p.length) });
  const reporter = new PlainReporter({ output, palette: palette(false) });
  reporter.handle({
    type: "run:start",
    time: 0,
    jobs: names.map((name) => ({ name, deps: [] })),
    concurrency: 1,
  });
  for (const job of names) reporter.handle({ type: "job:start", time: 0, job, attempt: 1 });
  reporter.close();
  return text.split("\n").filter((line) => line.includes(" │ "));
}

Deno.test("PlainReporter aligns names by display width: wide, combining and emoji names line up, a name wider than 24 columns is printed whole", () => {
  const long = "测试全部模块并生成报告和覆盖率统计信息"; // 19 characters, 38 columns
  const lines = startLines(["build", "構築-日本語", "e\u0301\u0301 comb", "🚀 ship", long])
    .filter((line) => line.includes(" │ ▶ start"));
  const columnOf = (line: string) => textWidth(line.slice(0, line.indexOf(" │ ")));
  // The longest name is wider than 24 columns: the column is 24 wide, and it goes past it.
  assertEquals(lines.map(columnOf), [24, 24, 24, 24, 38]);
  assertEquals(lines.at(-1), `${long} │ ▶ start`);
  assertEquals(lines[1], `構築-日本語${" ".repeat(13)} │ ▶ start`);
});

Deno.test("PlainReporter's name column is as wide as the widest name, in columns, when it is under 24", () => {
  assertEquals(startLines(["build", "構築-日本語", "e\u0301\u0301 comb"]), [
    "build       │ ▶ start",
    "構築-日本語 │ ▶ start",
    "e\u0301\u0301 comb      │ ▶ start",
  ]);
});
