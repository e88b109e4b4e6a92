/**
 * Output that cannot be written: a closed pipe (nobody is listening: the run
 * is cancelled, exit 141), a full disk (the jobs run, one line says what was
 * lost, exit 1), a log folder that goes away (one warning), and files gather
 * must not destroy or delete (a task file named as the summary, the logs of
 * a run still going).
 */
import { assert, assertEquals, assertLess, assertMatch, assertStringIncludes } from "@std/assert";
import { JobLogs } from "../src/reporters/job_logs.ts";
import { Output } from "../src/reporters/output.ts";
import type { GatherEvent } from "../src/events.ts";
import { assertComplete, FIXTURES, gather, parseEvents, ROOT } from "./_cli.ts";
import { LiveGather } from "./_live.ts";
import { liveProcesses, uniqueSleep } from "./_processes.ts";

const OUTPUTS = `${FIXTURES}outputs.ts`;

/** A `sleep` of 20-30 s that only this test runs: it outlasts a good run, not a bad one by much. */
const shortSleep = () => `2${uniqueSleep().slice(2)}`;

/** Run gather, close `stream` after its first chunk, and see how it ends. */
async function closeEarly(args: string[], stream: "stdout" | "stderr", env = {}) {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const other = new Response(stream === "stdout" ? child.stderr : child.stdout).text();
  const reader = child[stream].getReader();
  const first = await reader.read();
  await reader.cancel(); // the reader goes away, as `head -1` does
  const stuck = setTimeout(() => child.kill("SIGKILL"), 20_000); // it used to run to the end
  const status = await child.status;
  clearTimeout(stuck);
  return {
    code: status.code,
    first: new TextDecoder().decode(first.value),
    other: await other,
    ms: performance.now() - started,
  };
}

Deno.test("gather --reporter json | head -1: a closed stdout cancels the run, exit 141, nothing left running", async () => {
  const mark = shortSleep();
  const run = await closeEarly(
    ["-f", OUTPUTS, "chatty", "sleeper", "--reporter", "json", "--no-logs"],
    "stdout",
    { MARK: mark },
  );
  assertEquals(run.code, 141, run.other);
  assertStringIncludes(run.first, '"type":"run:start"');
  assertEquals(
    run.other.trim(),
    "gather: stdout was closed, nobody is reading the events: the run was cancelled",
  );
  assertLess(run.ms, 8_000); // chatty alone writes for 10 s
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("gather 2>&1 | head: a closed stderr under the plain reporter cancels the run too, exit 141", async () => {
  const mark = shortSleep();
  const run = await closeEarly(["-f", OUTPUTS, "chatty", "sleeper", "--no-logs"], "stderr", {
    MARK: mark,
  });
  assertEquals(run.code, 141);
  assertLess(run.ms, 8_000);
  assertEquals(await liveProcesses(mark), []);
});

Deno.test("gather --summary /dev/full: the jobs run, one line says the summary was lost, exit 1", async () => {
  const { code, stdout, stderr } = await gather(
    ["-f", OUTPUTS, "quick", "--summary", "/dev/full", "--reporter", "json", "--no-logs"],
  );
  assertEquals(code, 1);
  assertComplete(parseEvents(stdout));
  assertEquals(
    stderr.trim(),
    'gather: could not write the summary to "/dev/full": No space left on device (os error 28)',
  );
});

Deno.test("gather --reporter json > /dev/full: the jobs run, one line on stderr, exit 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const output = await new Deno.Command("sh", {
      args: [
        "-c",
        `exec "$0" run -A "$1" -f "$2" quick --reporter json --summary "$3" --no-logs > /dev/full`,
        Deno.execPath(),
        `${ROOT}main.ts`,
        OUTPUTS,
        `${dir}/summary.json`,
      ],
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 1, stderr);
    assertEquals(
      stderr.trim(),
      "gather: could not write the JSON events to stdout: No space left on device (os error 28)",
    );
    // The jobs ran: the summary file says so.
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
    assertEquals(summary.status, "ok");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather --list | head: a closed stdout exits 141; --list > /dev/full says why, exit 1", async () => {
  const run = await closeEarly(["-f", OUTPUTS, "--list"], "stdout");
  assert(run.code === 141 || run.code === 0, `exit ${run.code}`); // 0 if it was all written first
  const full = await new Deno.Command("sh", {
    args: [
      "-c",
      `exec "$0" run -A "$1" -f "$2" --list > /dev/full`,
      Deno.execPath(),
      `${ROOT}main.ts`,
      OUTPUTS,
    ],
  }).output();
  assertEquals(full.code, 1);
  assertStringIncludes(new TextDecoder().decode(full.stderr), "could not write to stdout");
});

Deno.test("gather: a log folder that goes away mid-run skips the logs with one warning, and the run goes on", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code, stdout, stderr } = await gather(
      ["-f", OUTPUTS, "afterTwo", "--log-dir", dir, "--reporter", "json"],
      { env: { LOG_DIR: dir } },
    );
    assertEquals(code, 0, stderr);
    const events = parseEvents(stdout);
    assertComplete(events);
    const lines = stderr.trim().split("\n");
    assertEquals(lines.length, 1, stderr);
    assertMatch(lines[0]!, /^gather: warning: per-job logs in ".*" were skipped from then on: /);
    const end = events.at(-1) as Extract<GatherEvent, { type: "run:end" }>;
    assertEquals(end.status, "ok");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Output tells once that it cannot write, then drops the rest without throwing", () => {
  const errors: Error[] = [];
  let calls = 0;
  const output = new Output({
    writeSync: () => {
      calls++;
      throw new Deno.errors.BrokenPipe("gone");
    },
  }, { onError: (error) => errors.push(error) });
  output.write("a\n");
  output.flush();
  output.write("b\n");
  output.flush();
  assertEquals(calls, 1);
  assertEquals(errors.length, 1);
  assert(output.failed);
});

Deno.test("gather --summary refuses to overwrite a task file (exit 2) unless --force-summary; a previous summary is replaced", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const taskFile = `${dir}/tasks.ts`;
    const source = await Deno.readTextFile(OUTPUTS);
    await Deno.writeTextFile(taskFile, source);
    const refused = await gather(["-f", OUTPUTS, "quick", "--summary", taskFile]);
    assertEquals(refused.code, 2);
    assertEquals(
      refused.stderr.trim(),
      `gather: Cannot write the summary to "${taskFile}": it exists and is not a gather summary; choose another path, or pass --force-summary to overwrite it`,
    );
    assertEquals(await Deno.readTextFile(taskFile), source);

    const summary = `${dir}/summary.json`;
    for (let run = 0; run < 2; run++) { // the second run replaces the first one's summary
      const { code, stderr } = await gather(["-f", OUTPUTS, "quick", "--summary", summary]);
      assertEquals(code, 0, stderr);
      assertEquals(JSON.parse(await Deno.readTextFile(summary)).status, "ok");
    }
    const forced = await gather(["-f", OUTPUTS, "quick", "--summary", taskFile, "--force-summary"]);
    assertEquals(forced.code, 0, forced.stderr);
    assertEquals(JSON.parse(await Deno.readTextFile(taskFile)).status, "ok");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** One whole run through a JobLogs, starting at `time`, with one line of output. */
function quickRun(dir: string, time: number): JobLogs {
  const logs = new JobLogs(dir, { keepRuns: 2 });
  logs.handle({ type: "run:start", time, jobs: [{ name: "a", deps: [] }], concurrency: 1 });
  logs.handle({ type: "job:log", time, job: "a", line: "hello", stream: "log" });
  logs.handle({
    type: "job:end",
    time,
    job: "a",
    status: "ok",
    started: true,
    durationMs: 1,
    attempt: 1,
    cache: "off",
  });
  return logs;
}

Deno.test("JobLogs never prunes the folder of a run that is still going, and prunes it once it ended", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const long = quickRun(dir, Date.UTC(2026, 0, 1)); // the oldest, still open
    const longLog = long.pathOf("a")!;
    for (let i = 1; i <= 4; i++) quickRun(dir, Date.UTC(2026, 0, 1, 0, i)).close();
    assertEquals(await Deno.readTextFile(longLog), "hello\n");
    assertEquals([...Deno.readDirSync(dir)].length, 3); // the two newest, and the live one
    long.close();
    quickRun(dir, Date.UTC(2026, 0, 1, 0, 5)).close();
    assertEquals(await Deno.stat(longLog).then(() => true, () => false), false);
    assertEquals([...Deno.readDirSync(dir)].length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather: a dozen quick runs beside a long one leave the long run's log where its summary points", async () => {
  const dir = await Deno.makeTempDir();
  const release = `${dir}/release`;
  try {
    const live = new LiveGather(["-f", OUTPUTS, "early", "waiter", "-k", "--no-history"], {
      cwd: dir,
      env: { RELEASE: release },
    });
    await live.waitFor((events) => events.some((e) => e.type === "job:end" && e.job === "early"));
    for (let i = 0; i < 12; i++) {
      const quick = await gather(["-f", OUTPUTS, "quick", "--no-history"], { cwd: dir });
      assertEquals(quick.code, 0, quick.stderr);
    }
    await Deno.writeTextFile(release, "");
    const { code, events } = await live.result();
    assertEquals(code, 1);
    const end = events.at(-1) as Extract<GatherEvent, { type: "run:end" }>;
    const log = end.summary?.failures[0]?.log;
    assert(log !== undefined, "the failure names its log");
    assertEquals(await Deno.readTextFile(`${dir}/${log}`), "the long run's early output\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
