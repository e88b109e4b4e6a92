import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import type { GatherEvent, JobEndEvent } from "../src/events.ts";
import { assertComplete, FIXTURES, gather, parseEvents, peakConcurrency, ROOT } from "./_cli.ts";

const ends = (events: GatherEvent[]) =>
  Object.fromEntries(
    events.filter((e): e is JobEndEvent => e.type === "job:end").map((e) => [e.job, e]),
  );

Deno.test("gather runs the build example end to end", async () => {
  const { code, stderr } = await gather(["-f", "tasks/build.ts"]);
  assertEquals(code, 0, stderr);
  assertStringIncludes(stderr, "report   │ bundle has 9 lines");
  assertMatch(stderr, /✔ done: 6 ok of 6 jobs in/);
  assertStringIncludes(stderr, "critical path: prepare");
});

Deno.test("gather runs the fan-out example within its pool limit", async () => {
  const { code, stdout, stderr } = await gather([
    "-f",
    "tasks/fanout.ts",
    "-j",
    "8",
    "--reporter",
    "json",
  ]);
  assertEquals(code, 0, stderr);
  const events = parseEvents(stdout);
  assertComplete(events);
  assertEquals(peakConcurrency(events, (job) => job.startsWith("fetch-")), 3);
  assert(events.some((e) => e.type === "job:log" && e.line === "12 documents, 1662 words"));
});

Deno.test("gather fails fast on the failing example: exit 1, test cancelled, deploy skipped", async () => {
  const { code, stdout } = await gather(["-f", "tasks/failing.ts", "--reporter", "json"]);
  assertEquals(code, 1);
  const events = parseEvents(stdout);
  assertComplete(events);
  const end = ends(events);
  assertEquals(end["lint"]?.status, "failed");
  assertEquals(end["test"]?.status, "cancelled");
  assertEquals(end["deploy"]?.status, "skipped");
  const runEnd = events.at(-1) as Extract<GatherEvent, { type: "run:end" }>;
  assertStringIncludes(runEnd.firstFailure!, "exit code 1");
});

Deno.test("gather --keep-going runs the failing example's independent job to the end", async () => {
  const { code, stdout } = await gather(["-f", "tasks/failing.ts", "-k", "--reporter", "json"]);
  assertEquals(code, 1);
  const end = ends(parseEvents(stdout));
  assertEquals(end["test"]?.status, "ok");
  assertEquals(end["deploy"]?.status, "skipped");
});

Deno.test("gather's summary leads with the first failure", async () => {
  const { code, stderr } = await gather(["-f", "tasks/failing.ts"]);
  assertEquals(code, 1);
  const summary = stderr.slice(stderr.indexOf("✖ failed:"));
  assertMatch(summary, /^✖ failed: 0 ok, 1 failed, 1 cancelled, 1 skipped of 3 jobs/);
  assertMatch(summary.split("\n")[1]!, /first failure lint: Command failed with exit code 1/);
});

Deno.test("gather fail-fast aborts the signal of running jobs", async () => {
  const { code, stdout } = await gather([
    "-f",
    `${FIXTURES}fail_fast.ts`,
    "--reporter",
    "json",
    "-j",
    "3",
  ]);
  assertEquals(code, 1);
  const events = parseEvents(stdout);
  assert(
    events.some((e) =>
      e.type === "job:log" && e.job === "patient" && e.line === "signal aborted: true"
    ),
  );
  assertEquals(ends(events)["patient"]?.status, "cancelled");
  assertEquals(ends(events)["independent"]?.status, "cancelled");
});

Deno.test("gather -j limits concurrency, measured from the JSON events", async () => {
  for (const limit of [1, 3]) {
    const { code, stdout } = await gather([
      "-f",
      `${FIXTURES}wide.ts`,
      "-j",
      String(limit),
      "--reporter",
      "json",
    ]);
    assertEquals(code, 0);
    const events = parseEvents(stdout);
    assertEquals(peakConcurrency(events), limit);
    assertLessOrEqual(peakConcurrency(events, (job) => ["w0", "w1", "w2", "w3"].includes(job)), 2);
  }
});

Deno.test("gather reads the default concurrency from GATHER_JOBS", async () => {
  const { stdout } = await gather(["-f", `${FIXTURES}wide.ts`, "--reporter", "json"], {
    env: { GATHER_JOBS: "2" },
  });
  const events = parseEvents(stdout);
  assertEquals((events[0] as { concurrency: number }).concurrency, 2);
  assertEquals(peakConcurrency(events), 2);
});

Deno.test("gather defaults -j to the CPU count", async () => {
  const { stdout } = await gather(["-f", `${FIXTURES}wide.ts`, "--reporter", "json"]);
  assertEquals(
    (parseEvents(stdout)[0] as { concurrency: number }).concurrency,
    navigator.hardwareConcurrency,
  );
});

Deno.test("gather --reporter json writes only events to stdout, console output included", async () => {
  const { code, stdout } = await gather(["-f", `${FIXTURES}chatty.ts`, "--reporter", "json"]);
  assertEquals(code, 0);
  const events = parseEvents(stdout); // throws on any non-JSON line
  const logs = events.flatMap((e) => e.type === "job:log" ? [[e.job, e.stream, e.line]] : []);
  assertEquals(logs, [
    ["chatty", "stdout", "from console.log"],
    ["chatty", "stderr", "from console.error"],
    ["chatty", "log", "from ctx.log { n: 1 }"],
    ["chatty", "stdout", "after an await"],
    // Substitutions as console.log makes them; %c takes its CSS and prints nothing.
    ["chatty", "stdout", "list has 3 items, 99.5%"],
    ["chatty", "log", "styled plain { n: 2 }"],
  ]);
  for (const event of events) assertEquals(typeof event.time, "number");
});

Deno.test("gather --reporter json: every way a job writes to the console or stdout becomes its job:log events", async () => {
  const { code, stdout, stderr } = await gather([
    "-f",
    `${FIXTURES}every_output.ts`,
    "--reporter",
    "json",
    "--no-logs",
  ]);
  assertEquals(code, 0, stderr);
  const events: GatherEvent[] = [];
  for (const line of stdout.split("\n").slice(0, -1)) {
    try {
      events.push(JSON.parse(line));
    } catch {
      throw new Error(`stdout holds a line that is not JSON: ${JSON.stringify(line)}\n${stdout}`);
    }
  }
  assertComplete(events);
  const logs = (job: string) =>
    events.flatMap((e) => e.type === "job:log" && e.job === job ? [`${e.stream}: ${e.line}`] : []);
  // As Deno itself draws it.
  assertEquals(logs("table"), [
    "stdout: ┌───────┬──────┬──────┐",
    "stdout: │ (idx) │ name │ size │",
    "stdout: ├───────┼──────┼──────┤",
    'stdout: │     0 │ "a"  │    1 │',
    "stdout: └───────┴──────┴──────┘",
  ]);
  assertEquals(logs("dir"), ["stdout: { nested: { deep: true } }"]);
  assertEquals(logs("count"), ["stdout: hits: 1", "stdout: hits: 2"]);
  assertMatch(logs("timeEnd").join("\n"), /^stdout: took: [\d.]+ms$/);
  assertEquals(logs("trace")[0], "stderr: Trace: traced here");
  assertMatch(logs("trace")[1] ?? "", /^stderr: {5}at .*every_output\.ts:\d+:\d+$/);
  assertEquals(logs("group"), ["stdout: outer", "stdout:   inside", "stdout: outside"]);
  assertEquals(logs("assertion"), ["stderr: Assertion failed: broken invariant"]);
  assertEquals(logs("processWrite"), ["stdout: node stdout", "stderr: node stderr"]);
  assertEquals(logs("denoWrite"), ["stdout: deno write", "stderr: deno stderr write"]);
  assertEquals(logs("denoWriteSync"), [
    "stdout: written in pieces",
    "stderr: deno stderr writeSync",
    "stdout: no newline at the end",
  ]);
  assertEquals(logs("writable"), ["stdout: piped through writable"]);
  // An unfinished last line is part of the job: it comes before the job's end.
  const last = events.findIndex((e) => e.type === "job:log" && e.line === "no newline at the end");
  const ended = events.findIndex((e) => e.type === "job:end" && e.job === "denoWriteSync");
  assert(last < ended);
  assertEquals(logs("outsider"), []);
  assertStringIncludes(stderr, "written outside any job\n");
});

/** What gcc prints for the fixture's source, without colours: the lines gather must show once. */
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
  Deno.test(`gather in a pipe prints a failed compile's output once, in order, the command cut short in the summary (${colour ? "FORCE_COLOR" : "NO_COLOR"})`, async () => {
    const expected = await gccErrors();
    const { code, stderr } = await gather(
      ["-f", `${FIXTURES}cc_fail.ts`, "--no-logs", "--no-diagnostics"],
      { env: colour ? { NO_COLOR: "", FORCE_COLOR: "1" } : { NO_COLOR: "1" } },
    );
    assertEquals(code, 1, stderr);
    // deno-lint-ignore no-control-regex
    const sgr = /\x1b\[[0-9;]*m/g;
    if (!colour) assertEquals(stderr.includes("\x1b"), false, "colour codes without colour");
    else assertStringIncludes(stderr, "\x1b[01;31merror: "); // gcc's own colours, kept
    const text = stderr.replace(sgr, "");
    const prefixed = expected.map((line) => `compile │ ${line}`.trimEnd()).join("\n");
    assertStringIncludes(text, prefixed + "\ncompile │ ✖ failed ");
    for (const line of expected) {
      assertEquals(text.split(line).length, 2, `printed more than once: ${line}\n${text}`);
    }
    const failed = text.split("\n").find((line) => line.startsWith("compile │ ✖ failed"))!;
    assertGreater(failed.length, 2_000); // the whole command, once
    const summary = text.split("\n").find((line) => line.startsWith("  first failure compile: "))!;
    assertEquals(summary.length, "  first failure compile: ".length + 120, summary);
    assert(summary.endsWith("…"), summary);
  });
}

Deno.test("gather --list, --graph and --dry-run print the jobs without running them", async () => {
  const list = await gather(["-f", "tasks/build.ts", "--list"]);
  assertEquals(list.code, 0);
  assertStringIncludes(
    list.stdout,
    "* report    Count the lines of the bundle, then clean up [deps: prepare, bundle]",
  );
  const graph = await gather(["-f", "tasks/build.ts", "--graph", "fmt"]);
  assertEquals(graph.stdout.split("\n").filter((l) => l.includes("->")), [
    `  "prepare" -> "generate";`,
    `  "generate" -> "fmt";`,
  ]);
  const dry = await gather(["-f", "tasks/build.ts", "-n"]);
  assertEquals(dry.stdout.split("\n")[0], "step 1  prepare");
  assertEquals(dry.stdout.trim().split("\n").at(-1), "step 5  report");
  assertEquals(dry.stderr, "");
});

Deno.test("gather -h and -V", async () => {
  const help = await gather(["-h"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "Usage: gather [options] [job...]");
  const version = await gather(["--version"]);
  assertMatch(version.stdout, /^gather \d+\.\d+\.\d+\n$/);
});

Deno.test("gather --timeout fails a slow job with a timeout error", async () => {
  const { code, stdout } = await gather([
    "-f",
    `${FIXTURES}fail_fast.ts`,
    "patient",
    "--timeout",
    "100ms",
    "--reporter",
    "json",
  ]);
  assertEquals(code, 1);
  const end = ends(parseEvents(stdout))["patient"]!;
  assertEquals(end.status, "failed");
  assertEquals(end.error?.code, "TIMEOUT");
});

const badInputs: [string, string[], RegExp][] = [
  [
    "a missing task file",
    ["-f", "nope.ts"],
    /^gather: Task file "nope\.ts" not found: create it, or pass another one with -f <path>$/,
  ],
  [
    "a task file that throws null at the top level (no location: it has no stack)",
    ["-f", `${FIXTURES}throws_null_at_load.ts`],
    /^gather: Cannot load task file ".*throws_null_at_load\.ts": Non-Error value thrown: null$/,
  ],
  [
    "a task file that throws an error whose message cannot be read (where it threw it)",
    ["-f", `${FIXTURES}throws_unreadable_at_load.ts`],
    /^gather: Cannot load task file ".*throws_unreadable_at_load\.ts": An error was thrown whose message cannot be read: reading it threw Error: boom \(at .*throws_unreadable_at_load\.ts:2:15\)$/,
  ],
  [
    "a module that exports no jobs",
    ["-f", `${FIXTURES}no_jobs.ts`],
    /no_jobs\.ts" exports no jobs: export some/,
  ],
  [
    "a cycle",
    ["-f", `${FIXTURES}cycle.ts`],
    /cycle\.ts": dependency cycle (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c); remove one of these deps$/,
  ],
  [
    "an unknown dependency",
    ["-f", `${FIXTURES}unknown_dep.ts`],
    /Cannot schedule "deploy" in ".*unknown_dep\.ts": dependency "tset" is not defined \(did you mean "test"\?\)$/,
  ],
  [
    "two jobs with one name",
    ["-f", `${FIXTURES}duplicate.ts`],
    /duplicate\.ts": two jobs are named "compile" \(export "build" and export "compile"\); give one another name$/,
  ],
  [
    "an unknown job on the command line",
    ["-f", "tasks/build.ts", "chek"],
    /^gather: Unknown job "chek" in "tasks\/build\.ts" \(did you mean "check"\?\); available: bundle, check, fmt, generate, prepare, report$/,
  ],
  [
    "an unknown job with no name close to it",
    ["-f", "tasks/build.ts", "zzz"],
    /^gather: Unknown job "zzz" in "tasks\/build\.ts"; available: bundle, check, fmt, generate, prepare, report$/,
  ],
  [
    "gather cache without a command",
    ["-f", "tasks/build.ts", "cache"],
    /^gather: gather cache needs a command: gather cache status \| clean \| prune --max-size <size> \(a job named "cache" runs with gather -f tasks\/build\.ts -- cache\)$/,
  ],
  [
    "a job named cache that does not exist",
    ["-f", "tasks/build.ts", "--", "cache"],
    /^gather: Unknown job "cache" in "tasks\/build\.ts"; available: .*; the cache's commands are gather cache status \| clean \| prune$/,
  ],
  [
    "an unknown cache command",
    ["cache", "bogus"],
    /^gather: Unknown cache command "bogus": use gather cache status \| clean \| prune --max-size <size>$/,
  ],
  [
    "an option of a run before gather cache",
    ["--reporter", "plain", "cache", "status"],
    /^gather: Unknown option --reporter for gather cache: its options are --cache-dir, --root, --max-size, --remote-cache, --remote-cache-timeout, --remote and --remote-cache-read-only$/,
  ],
  [
    "a misspelled job option",
    ["-f", `${FIXTURES}bad_option.ts`],
    /Cannot schedule "test" in ".*bad_option\.ts": unknown option "dependencies"; job\(\) takes name, description, deps, pool, timeout,/,
  ],
  [
    "a task file that throws while it loads",
    ["-f", `${FIXTURES}throws_at_load.ts`],
    /^gather: Cannot load task file ".*throws_at_load\.ts": config missing \(at .*throws_at_load\.ts:5:33\)$/,
  ],
  [
    "an unparseable job timeout",
    ["-f", `${FIXTURES}bad_timeout.ts`],
    /Cannot schedule "slow" in ".*bad_timeout\.ts": option "timeout": Cannot parse duration "ten seconds"/,
  ],
  [
    "a negative concurrency",
    ["-f", "tasks/build.ts", "-j", "-1"],
    /^gather: Invalid --concurrency "-1": expected a whole number of jobs >= 1, e\.g\. -j 4$/,
  ],
  ["a zero concurrency", ["-f", "tasks/build.ts", "--concurrency=0"], /Invalid --concurrency "0"/],
  ["a bad GATHER_JOBS", ["-f", "tasks/build.ts"], /^gather: Invalid GATHER_JOBS "many"/],
  [
    "an unparseable duration",
    ["-f", "tasks/build.ts", "--timeout", "10x"],
    /^gather: Invalid --timeout "10x": expected a duration like 500ms, 10s or 2m$/,
  ],
  [
    "an unknown flag",
    ["-f", "tasks/build.ts", "--fast"],
    /^gather: Unknown option --fast: see gather --help$/,
  ],
  [
    "an unknown reporter",
    ["--reporter", "fancy"],
    /^gather: Invalid --reporter "fancy": expected auto, tty, plain or json$/,
  ],
  [
    "an unknown --output",
    ["--output", "some"],
    /^gather: Invalid --output "some": expected full, errors or none$/,
  ],
  [
    "-q with --output full",
    ["-q", "--output", "full"],
    /^gather: Options --quiet and --output full disagree: -q prints only failures; pick one$/,
  ],
  [
    "an unknown failure policy",
    ["--on-failure", "panic"],
    /^gather: Invalid --on-failure "panic": expected abort, finish or continue$/,
  ],
];

for (const [what, args, message] of badInputs) {
  Deno.test(`gather rejects ${what} with one line and exit code 2`, async () => {
    const env: Record<string, string> = what.includes("GATHER_JOBS") ? { GATHER_JOBS: "many" } : {};
    const json = args.includes("--reporter") ? [] : ["--reporter", "json"];
    const { code, stdout, stderr } = await gather([...args, ...json], { env });
    assertEquals(code, 2, stderr);
    assertEquals(stderr.trimEnd().split("\n").length, 1, stderr);
    assertMatch(stderr.trimEnd(), message);
    assertEquals(stdout, ""); // no job started: the JSON stream is empty
  });
}

Deno.test("gather --debug shows the stack of a task file's own error, under gather's", async () => {
  const { code, stderr } = await gather(["-f", `${FIXTURES}throws_at_load.ts`, "--debug"]);
  assertEquals(code, 2);
  assertMatch(stderr, /^gather: Cannot load task file .*: config missing \(at .*\)$/m);
  assertMatch(stderr, /^caused by: Error: config missing\n\s+at .*throws_at_load\.ts:5:33$/m);
});

Deno.test("gather rejects a task file that does not parse, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/tasks.ts`, "export const = job(;\n");
    const { code, stderr } = await gather([], { cwd: dir });
    assertEquals(code, 2);
    assertEquals(stderr.trimEnd().split("\n").length, 1, stderr);
    assertMatch(
      stderr,
      /^gather: Cannot load task file "tasks\.ts": SyntaxError: .* \(at tasks\.ts:1:14\)$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather recognises jobs from a second copy of mod.ts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.symlink(ROOT, `${dir}/gather-copy`);
    await Deno.writeTextFile(
      `${dir}/tasks.ts`,
      `import { job } from "./gather-copy/mod.ts";
export const first = job(() => 20);
export const second = job({ deps: [first] }, (ctx) => ctx.log("got", ctx.result(first) + 1));
`,
    );
    const { code, stdout, stderr } = await gather(["--reporter", "json"], { cwd: dir });
    assertEquals(code, 0, stderr);
    assert(parseEvents(stdout).some((e) => e.type === "job:log" && e.line === "got 21"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a project with its own deno.json runs gather through links, as the README says", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({
        imports: { "@gather/gather": "jsr:@gather/gather@^0.1.0", "greeting": "./greeting.ts" },
        links: [ROOT],
        tasks: { gather: "deno run -A jsr:@gather/gather/cli" },
      }),
    );
    await Deno.writeTextFile(
      `${dir}/greeting.ts`,
      `export const greeting = "hello from the project";\n`,
    );
    await Deno.writeTextFile(
      `${dir}/tasks.ts`,
      `import { job } from "@gather/gather";
import { greeting } from "greeting";
export const hello = job((ctx) => ctx.log(greeting));
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", "gather", "--reporter", "json"],
      cwd: dir,
      env: { NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
    assert(
      parseEvents(stdout).some((e) => e.type === "job:log" && e.line === "hello from the project"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather -f on a folder or a FIFO says what it is, without opening it, and exits 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/empty`);
    await Deno.mkdir(`${dir}/project`);
    await Deno.writeTextFile(`${dir}/project/tasks.ts`, "export {};\n");
    const mkfifo = await new Deno.Command("mkfifo", { args: [`${dir}/pipe`] }).output();
    assert(mkfifo.success, "mkfifo");
    const cases: [string, string][] = [
      ["empty", 'gather: Task file "empty" is a folder: pass a task file with -f <path>'],
      [
        "project",
        'gather: Task file "project" is a folder: pass the task file in it, -f project/tasks.ts',
      ],
      [
        "pipe",
        'gather: Task file "pipe" is not a regular file but a FIFO (named pipe): pass a .ts file with -f <path>',
      ],
    ];
    for (const [path, line] of cases) {
      // Opening the FIFO would block gather: nobody writes to it.
      const { code, stderr } = await gather(["-f", path], { cwd: dir });
      assertEquals([code, stderr.trim()], [2, line]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather says why a task file it cannot read cannot be read: Permission denied", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/tasks.ts`;
    await Deno.writeTextFile(file, "export {};\n");
    await Deno.chmod(file, 0o000);
    // root reads anything: run gather without that power, when this machine allows it
    const asRoot = Deno.uid() === 0;
    const prefix = asRoot ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] : [];
    const probe = await new Deno.Command(prefix[0] ?? "cat", {
      args: [...prefix.slice(1), ...(asRoot ? ["cat"] : []), file],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => undefined);
    if (probe === undefined || probe.success) return; // cannot make it unreadable here
    const output = await new Deno.Command(prefix[0] ?? Deno.execPath(), {
      args: [
        ...prefix.slice(1),
        ...(asRoot ? [Deno.execPath()] : []),
        "run",
        "-A",
        `${ROOT}main.ts`,
        "-f",
        file,
      ],
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 2, stderr);
    assertEquals(
      stderr.trim(),
      `gather: Cannot read task file "${file}": Permission denied (os error 13); make it readable (chmod +r), or pass another one with -f <path>`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
