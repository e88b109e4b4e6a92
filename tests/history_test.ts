import { assertEquals, assertRejects } from "@std/assert";
import { FORGET_AFTER_RUNS, History, KEEP_FILES } from "../src/state/history.ts";
import { toFileUrl } from "../src/deps/path.ts";
import { FIXTURES, gather, parseEvents, ROOT } from "./_cli.ts";

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
    const remembered = history.files[toFileUrl(file).href].jobs;
    assertEquals(Object.keys(remembered).toSorted(), [...JOBS].toSorted());
    // Remembered durations (written here, so the machine's load cannot blur them): the 900 ms
    // job heads the longest path, so it starts first.
    const ms = (name: string) => ({ ms: name === "zlong" ? 900 : 100, runs: 1, seen: 1 });
    history.files[toFileUrl(file).href].jobs = Object.fromEntries(
      JOBS.map((name) => [name, ms(name)]),
    );
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

const KEY = "file:///project/tasks.ts";

/** Contents that once broke every run, or could: each must read as (part of) a history. */
const BAD_FILES: [string, string | Uint8Array][] = [
  ["files: null", '{"version":1,"files":null}'],
  ["files: a string", '{"version":2,"files":"oops"}'],
  ["an array", "[1,2,3]"],
  ["null", "null"],
  ["a number", "42"],
  ["truncated JSON", '{"version":2,"files":{"file:///project/tasks.ts":{"lastRun":1,'],
  ["binary bytes", new Uint8Array([0xff, 0xfe, 0x00, 0x01, 0x80, 0x7b])],
  ["an empty file", ""],
  ["a future version", '{"version":99,"files":{}}'],
  ["a task file that is null", `{"version":2,"files":{"${KEY}":null}}`],
  ["jobs that is an array", `{"version":2,"files":{"${KEY}":{"lastRun":1,"runs":1,"jobs":[]}}}`],
  [
    "entries of the wrong types",
    `{"version":2,"files":{"${KEY}":{"lastRun":1,"runs":2,"jobs":{"a":null,"b":{"ms":"9"},"c":{"ms":-1,"runs":1,"seen":1},"d":{"ms":5,"runs":1.5,"seen":1},"e":{"ms":1e999,"runs":1,"seen":1},"ok":{"ms":50,"runs":1,"seen":2}}}}}`,
  ],
  [
    "a job named __proto__",
    `{"version":2,"files":{"${KEY}":{"lastRun":1,"runs":1,"jobs":{"__proto__":{"ms":7,"runs":1,"seen":1}}}}}`,
  ],
];

for (const [what, content] of BAD_FILES) {
  Deno.test(`History reads a history file holding ${what}, and repairs it`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/history.json`;
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
      const history = History.load(path, KEY);
      const weights = history.weights(["ok", "a", "__proto__"]);
      if (what === "entries of the wrong types") assertEquals(weights.get("ok"), 50);
      if (what === "a job named __proto__") assertEquals(weights.get("__proto__"), 7);
      await history.save(new Map([["build", 100]]));
      const repaired = JSON.parse(await Deno.readTextFile(path));
      assertEquals(repaired.version, 2);
      assertEquals(repaired.files[KEY].jobs.build.ms, 100);
      for (const job of ["a", "b", "c", "d", "e"]) {
        assertEquals(repaired.files[KEY].jobs[job], undefined);
      }
      assertEquals(History.load(path, KEY).weights(["build"]).get("build"), 100);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("History keeps the history of a version 1 file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/history.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ version: 1, files: { [KEY]: { a: { ms: 40, runs: 3 } } } }),
    );
    assertEquals(History.load(path, KEY).weights(["a"]).get("a"), 40);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("History replaces an empty folder in its place, and leaves a full one alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/history.json`;
    await Deno.mkdir(path);
    const history = History.load(path, KEY);
    assertEquals(history.weights(["a"]).size, 0);
    await history.save(new Map([["a", 10]]));
    assertEquals(History.load(path, KEY).weights(["a"]).get("a"), 10);
    await Deno.remove(path);
    await Deno.mkdir(path);
    await Deno.writeTextFile(`${path}/keep.txt`, "not gather's");
    await assertRejects(() => History.load(path, KEY).save(new Map([["a", 10]])));
    assertEquals(await Deno.readTextFile(`${path}/keep.txt`), "not gather's");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["history.json"]); // no temporary left
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("History keeps the task files run most recently and forgets jobs gone for many runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/history.json`;
    for (let i = 0; i < KEEP_FILES + 10; i++) {
      await History.load(path, `file:///p${i}/tasks.ts`).save(new Map([["a", 10]]));
    }
    const kept = Object.keys(JSON.parse(await Deno.readTextFile(path)).files);
    assertEquals(kept.length, KEEP_FILES);
    assertEquals(kept.includes("file:///p0/tasks.ts"), false);
    assertEquals(kept.includes(`file:///p${KEEP_FILES + 9}/tasks.ts`), true);
    // Running an old task file again brings it back as the most recent.
    await History.load(path, "file:///p10/tasks.ts").save(new Map([["a", 10]]));
    await History.load(path, "file:///new/tasks.ts").save(new Map([["a", 10]]));
    const after = Object.keys(JSON.parse(await Deno.readTextFile(path)).files);
    assertEquals(after.includes("file:///p10/tasks.ts"), true);
    assertEquals(after.includes("file:///p11/tasks.ts"), false);

    await History.load(path, KEY).save(new Map([["renamed", 30], ["stays", 30]]));
    for (let run = 1; run < FORGET_AFTER_RUNS; run++) {
      await History.load(path, KEY).save(new Map([["stays", 30]]));
    }
    assertEquals(History.load(path, KEY).weights(["renamed"]).get("renamed"), 30);
    await History.load(path, KEY).save(new Map([["stays", 30]]));
    assertEquals(History.load(path, KEY).weights(["renamed"]).get("renamed"), 1); // forgotten
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather runs despite a broken history file, and repairs it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/.gather`);
    await Deno.writeTextFile(`${dir}/.gather/history.json`, '{"version":1,"files":null}');
    const first = await gather(["-f", `${FIXTURES}history.ts`, "-j", "4"], { cwd: dir });
    assertEquals(first.code, 0, first.stderr);
    const repaired = JSON.parse(await Deno.readTextFile(`${dir}/.gather/history.json`));
    assertEquals(repaired.version, 2);
    const second = await gather(["-f", `${FIXTURES}history.ts`, "-j", "4"], { cwd: dir });
    assertEquals(second.code, 0, second.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('a history path without a folder (run({ history: "durations.json" })) is written where it says, and no stray folder is made', async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/script.ts`;
    await Deno.writeTextFile(
      script,
      `import { job, run } from "${ROOT}mod.ts";
import { writeAtomic } from "${ROOT}src/cache/atomic.ts";
const report = await run({ a: job(() => new Promise((done) => setTimeout(done, 5))) }, { history: "durations.json" });
if (report.status !== "ok") throw new Error(report.status);
writeAtomic("atomic.json", "{}");
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      cwd: dir,
      stdin: "null",
    }).output();
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
    const names = Array.from(Deno.readDirSync(dir), (entry) => entry.name).toSorted();
    assertEquals(names, ["atomic.json", "durations.json", "script.ts"]);
    assertEquals(
      Object.keys(JSON.parse(await Deno.readTextFile(`${dir}/durations.json`)).files).length,
      1,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
