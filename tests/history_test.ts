import { assertEquals } from "@std/assert";
import { toFileUrl } from "../src/deps/path.ts";
import { FIXTURES, gather, parseEvents } from "./_cli.ts";

Deno.test("gather weights the critical path by remembered durations: the long job starts first next time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${FIXTURES}history.ts`;
    const args = ["-f", file, "-j", "2", "--reporter", "json"];
    const starts = (stdout: string) =>
      parseEvents(stdout).filter((e) => e.type === "job:start").map((e) => e.job);
    const first = await gather(args, { cwd: dir });
    assertEquals(first.code, 0, first.stderr);
    // Unit weights: the three-job chains (priority 3) go before the single 900 ms job.
    assertEquals(starts(first.stdout).slice(0, 2), ["p1", "p2"]);
    // The run remembered every job's duration, under the task file's URL.
    const history = JSON.parse(await Deno.readTextFile(`${dir}/.gather/history.json`));
    const remembered = history.files[toFileUrl(file).href];
    assertEquals(Object.keys(remembered).toSorted(), [...JOBS].toSorted());
    // Remembered durations (written here, so the machine's load cannot blur them): the 900 ms
    // job heads the longest path, so it starts first.
    const ms = (name: string) => ({ ms: name === "zlong" ? 900 : 100, runs: 1 });
    history.files[toFileUrl(file).href] = Object.fromEntries(JOBS.map((name) => [name, ms(name)]));
    await Deno.writeTextFile(`${dir}/.gather/history.json`, JSON.stringify(history));
    const second = await gather(args, { cwd: dir });
    assertEquals(second.code, 0, second.stderr);
    assertEquals(starts(second.stdout)[0], "zlong");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const JOBS = ["p1", "p2", "p3", "q1", "q2", "q3", "r1", "r2", "r3", "zlong"];

Deno.test("gather --no-history neither reads nor writes the history file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await gather(["-f", `${FIXTURES}history.ts`, "-j", "2", "--no-history"], { cwd: dir });
    let exists = true;
    await Deno.stat(`${dir}/.gather/history.json`).catch(() => (exists = false));
    assertEquals(exists, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
