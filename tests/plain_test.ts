import { assertEquals } from "@std/assert";
import { Output } from "../src/reporters/output.ts";
import { palette } from "../src/reporters/palette.ts";
import { PlainReporter } from "../src/reporters/plain.ts";

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
