/**
 * The result cache, end to end: real task files in a temporary project, real
 * files on disk, the real CLI. Each job appends its name to `runs.txt` when
 * its function is called, so a hit is proven by the function not running.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import type { GatherEvent, JobEndEvent } from "../src/events.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import type { Manifest } from "../src/cache/entry.ts";
import { restoreOutputs } from "../src/cache/outputs.ts";
import { StatIndex } from "../src/cache/stat_index.ts";
import { LocalStore } from "../src/cache/store.ts";

const MOD = (dir: string) => JSON.stringify(relative(dir, join(ROOT, "mod.ts")));

/** A task file: lex -> parse -> (compile, docs); compile writes build/app.bin (executable). */
function taskFile(dir: string, extra = ""): string {
  return `import { job } from ${MOD(dir)};
import { FLAGS } from "./lib/flags.ts";

const PREFIX = "v1";

function ran(name: string) {
  Deno.writeTextFileSync("runs.txt", name + "\\n", { append: true });
}

export const lex = job({ inputs: ["src/**/*.txt", "!src/**/*.skip.txt"] }, (ctx) => {
  ran("lex");
  ctx.log("lexed", Deno.readTextFileSync("src/a.txt").trim());
  return { tokens: new Map([["a", 1]]), at: new Date(0) };
});

export const parse = job({ deps: [lex], inputs: ["grammar.txt"], env: ["GATHER_TEST_MODE"] }, (ctx) => {
  ran("parse");
  const tokens = ctx.result(lex).tokens;
  return [...tokens.keys()].join(",") + PREFIX + FLAGS.join("");
});

export const compile = job({ deps: [parse], inputs: [], outputs: ["build/**"] }, async (ctx) => {
  ran("compile");
  await Deno.mkdir("build", { recursive: true });
  await Deno.writeTextFile("build/app.bin", "#!/bin/sh\\necho " + ctx.result(parse) + "\\n");
  await Deno.chmod("build/app.bin", 0o755);
  return 42;
});

export const docs = job({ deps: [parse], inputs: ["docs/*.md"] }, () => {
  ran("docs");
  return "docs";
});

export const publish = job({ deps: [compile, docs] }, (ctx) => {
  ran("publish");
  ctx.log("published", ctx.result(compile), ctx.result(docs));
});
${extra}`;
}

async function project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "gather-cache-" });
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  await Deno.mkdir(join(dir, "src", "deep"), { recursive: true });
  await Deno.mkdir(join(dir, "lib"));
  await Deno.mkdir(join(dir, "docs"));
  await Deno.writeTextFile(join(dir, "src", "a.txt"), "alpha\n");
  await Deno.writeTextFile(join(dir, "src", "deep", "b.txt"), "beta\n");
  await Deno.writeTextFile(join(dir, "src", "c.skip.txt"), "skipped\n");
  await Deno.writeTextFile(join(dir, "grammar.txt"), "g1\n");
  await Deno.writeTextFile(join(dir, "docs", "index.md"), "# docs\n");
  await Deno.writeTextFile(join(dir, "lib", "flags.ts"), 'export const FLAGS = ["-O2"];\n');
  await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir));
  return dir;
}

interface Run {
  code: number;
  ran: string[];
  events: GatherEvent[];
  stderr: string;
  cache: Record<string, string>;
}

async function run(
  dir: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Run> {
  await Deno.remove(join(dir, "runs.txt")).catch(() => {});
  const result = await gather(["--reporter", "json", "--no-logs", ...args], { cwd: dir, env });
  const ran = await Deno.readTextFile(join(dir, "runs.txt")).then(
    (text) => text.trim().split("\n").filter(Boolean),
    () => [],
  );
  const events = parseEvents(result.stdout);
  const cache: Record<string, string> = {};
  for (const event of events) {
    if (event.type === "job:end") cache[event.job] = (event as JobEndEvent).cache;
  }
  return { code: result.code, ran: ran.sort(), events, stderr: result.stderr, cache };
}

async function withProject(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await project();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ALL = ["compile", "docs", "lex", "parse", "publish"];

Deno.test("cache: the first run misses, the second runs no cached job and hands on equal results", async () => {
  await withProject(async (dir) => {
    const first = await run(dir);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(first.ran, ALL);
    assertEquals(first.cache, {
      lex: "miss",
      parse: "miss",
      compile: "miss",
      docs: "miss",
      publish: "off",
    });
    const second = await run(dir);
    assertEquals(second.code, 0, second.stderr);
    assertEquals(second.ran, ["publish"]); // the one job without inputs
    assertEquals(second.cache["lex"], "hit");
    // Results restored from the cache reach dependents intact (a Map, a Date, a number).
    const published = second.events.find((e) => e.type === "job:log" && e.job === "publish");
    assertEquals(published?.type === "job:log" && published.line, "published 42 docs");
    // The replayed log, marked as such.
    const replayed = second.events.find((e) => e.type === "job:log" && e.job === "lex");
    assertEquals(replayed?.type === "job:log" && [replayed.line, replayed.replayed], [
      "lexed alpha",
      true,
    ]);
    const end = second.events.at(-1)!;
    assert(end.type === "run:end");
    assertEquals(end.counts.cached, 4);
  });
});

Deno.test("cache: a changed input reruns exactly that job and its dependents; reverting it hits again", async () => {
  await withProject(async (dir) => {
    await run(dir);
    await Deno.writeTextFile(join(dir, "docs", "index.md"), "# docs, edited\n");
    assertEquals((await run(dir)).ran, ["docs", "publish"]);
    await Deno.writeTextFile(join(dir, "src", "deep", "b.txt"), "beta 2\n");
    assertEquals((await run(dir)).ran, ["compile", "docs", "lex", "parse", "publish"]);
    // Back to the first content: every entry is still there (several per job).
    await Deno.writeTextFile(join(dir, "src", "deep", "b.txt"), "beta\n");
    await Deno.writeTextFile(join(dir, "docs", "index.md"), "# docs\n");
    assertEquals((await run(dir)).ran, ["publish"]);
    // A file the glob excludes, or one no glob names, changes nothing.
    await Deno.writeTextFile(join(dir, "src", "c.skip.txt"), "still skipped\n");
    await Deno.writeTextFile(join(dir, "notes.txt"), "unrelated\n");
    assertEquals((await run(dir)).ran, ["publish"]);
    // A new file under a glob is a change.
    await Deno.writeTextFile(join(dir, "src", "new.txt"), "new\n");
    assertEquals((await run(dir, ["--explain"])).ran, [
      "compile",
      "docs",
      "lex",
      "parse",
      "publish",
    ]);
  });
});

Deno.test("cache: a hit restores a deleted or changed output byte for byte, with its executable bit", async () => {
  await withProject(async (dir) => {
    await run(dir);
    const path = join(dir, "build", "app.bin");
    const original = await Deno.readFile(path);
    await Deno.remove(path);
    assertEquals((await run(dir)).ran, ["publish"]);
    assertEquals(await Deno.readFile(path), original);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o755);
    await Deno.writeTextFile(path, "tampered");
    await Deno.chmod(path, 0o644);
    assertEquals((await run(dir)).ran, ["publish"]);
    assertEquals(await Deno.readFile(path), original);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o755);
  });
});

Deno.test("cache: a listed env variable is part of the key, an unlisted one is not", async () => {
  await withProject(async (dir) => {
    await run(dir, [], { GATHER_TEST_MODE: "a" });
    assertEquals((await run(dir, [], { GATHER_TEST_MODE: "b" })).ran, [
      "compile",
      "docs",
      "parse",
      "publish",
    ]);
    assertEquals((await run(dir, [], { GATHER_TEST_MODE: "b", OTHER_VAR: "x" })).ran, ["publish"]);
    const explained = await run(dir, ["--explain"], {});
    const reason = explained.events.find((e) => e.type === "job:cache" && e.job === "parse");
    assertEquals(reason?.type === "job:cache" && reason.reason, "env GATHER_TEST_MODE changed");
  });
});

Deno.test("cache: an edit inside one job's function reruns it and its dependents; an edit outside, or in a local module, reruns every job", async () => {
  await withProject(async (dir) => {
    await run(dir);
    const source = await Deno.readTextFile(join(dir, "tasks.ts"));
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      source.replace(`return "docs";`, `return "docs!";`),
    );
    const inside = await run(dir, ["--explain"]);
    assertEquals(inside.ran, ["docs", "publish"]);
    const why = inside.events.find((e) => e.type === "job:cache" && e.job === "docs");
    assertEquals(why?.type === "job:cache" && why.reason, "job code changed");
    await Deno.writeTextFile(join(dir, "tasks.ts"), source.replace(`"v1"`, `"v2"`));
    assertEquals((await run(dir)).ran, ALL);
    await Deno.writeTextFile(join(dir, "lib", "flags.ts"), 'export const FLAGS = ["-O3"];\n');
    const module = await run(dir, ["--explain"]);
    assertEquals(module.ran, ALL);
    const reason = module.events.find((e) => e.type === "job:cache" && e.job === "lex");
    assertMatch(
      reason?.type === "job:cache" ? reason.reason ?? "" : "",
      /^module lib\/flags\.ts changed/,
    );
  });
});

Deno.test("cache: an edit inside a job's function that is not cached reruns no cached job, unless a cached job calls it", async () => {
  await withProject(async (dir) => {
    const extra = `function stamp() {
  return "s1";
}

export const stamped = job(stamp);

export const label = job({ inputs: [] }, () => {
  ran("label");
  return stamp();
});
`;
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, extra));
    assertEquals((await run(dir)).ran, [...ALL, "label"].sort());
    const source = await Deno.readTextFile(join(dir, "tasks.ts"));
    // publish is not cached, and no cached job calls its function: every cached job hits.
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      source.replace(`ctx.log("published",`, `ctx.log("published!",`),
    );
    const uncached = await run(dir, ["--explain"]);
    assertEquals(uncached.ran, ["publish"]);
    assertEquals(uncached.cache["lex"], "hit");
    // A cached job's function is still its own key: it and its dependents run.
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      source.replace(`ctx.log("published",`, `ctx.log("published!",`)
        .replace(`return "docs";`, `return "docs!";`),
    );
    const cached = await run(dir, ["--explain"]);
    assertEquals(cached.ran, ["docs", "publish"]);
    const why = cached.events.find((e) => e.type === "job:cache" && e.job === "docs");
    assertEquals(why?.type === "job:cache" && why.reason, "job code changed");
    // stamped is not cached, but label calls its function: like code outside the jobs, every cached job runs.
    await Deno.writeTextFile(join(dir, "tasks.ts"), source.replace(`"s1"`, `"s2"`));
    assertEquals((await run(dir)).ran, [...ALL, "label"].sort());
  });
});

Deno.test("cache: an edit inside a cached job's function that another cached job calls reruns every cached job; an inline one reruns only its job", async () => {
  await withProject(async (dir) => {
    const extra = `function shout(_ctx?: unknown, word = "shout") {
  ran(word);
  return word + " loud1";
}

export const loud = job({ inputs: [] }, shout);

export const echo = job({ inputs: [] }, () => shout(undefined, "echo"));

export const quiet = job({ inputs: [] }, () => {
  ran("quiet");
  return "quiet1";
});
`;
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, extra));
    const everything = [...ALL, "echo", "quiet", "shout"].sort();
    assertEquals((await run(dir)).ran, everything);
    const source = await Deno.readTextFile(join(dir, "tasks.ts"));
    // echo runs shout's code too: a hit for it would be stale. shout is named outside it, so every cached job runs.
    await Deno.writeTextFile(join(dir, "tasks.ts"), source.replace(`" loud1"`, `" loud2"`));
    const shared = await run(dir, ["--explain"]);
    assertEquals(shared.ran, everything);
    const why = shared.events.find((e) => e.type === "job:cache" && e.job === "echo");
    assertMatch(why?.type === "job:cache" ? why.reason ?? "" : "", /^module tasks\.ts changed/);
    // A cached job's inline function that nothing else names is still its own key.
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      source.replace(`" loud1"`, `" loud2"`).replace(`"quiet1"`, `"quiet2"`),
    );
    assertEquals((await run(dir)).ran, ["publish", "quiet"]);
  });
});

Deno.test("cache: --force runs and stores, --no-cache neither reads nor writes, --explain says why", async () => {
  await withProject(async (dir) => {
    const first = await run(dir, ["--explain"]);
    const why = first.events.filter((e) => e.type === "job:cache").map((e) =>
      e.type === "job:cache" ? `${e.job}: ${e.reason}` : ""
    );
    assertEquals(why.sort(), [
      "compile: no cache entry",
      "docs: no cache entry",
      "lex: no cache entry",
      "parse: no cache entry",
    ]);
    assertEquals((await run(dir, ["--force"])).ran, ALL);
    const none = await run(dir, ["--no-cache"]);
    assertEquals(none.ran, ALL);
    assertEquals(none.cache["lex"], "off");
    assertEquals((await run(dir)).ran, ["publish"]);
    // The plain reporter prints the reason on the job's line.
    await Deno.writeTextFile(join(dir, "grammar.txt"), "g2\n");
    const plain = await gather(["--reporter", "plain", "--no-logs", "--explain"], { cwd: dir });
    assertStringIncludes(plain.stderr, "parse   │ ↻ runs: input grammar.txt changed");
    assertStringIncludes(plain.stderr, "lex     │ ✔ ok");
    assertMatch(plain.stderr, /✔ done: 5 ok \(1 cached\) of 5 jobs/);
  });
});

Deno.test("cache: --explain compares with the entry the job last used, not the last one stored", async () => {
  await withProject(async (dir) => {
    const reasons = (events: GatherEvent[]) =>
      Object.fromEntries(
        events.flatMap((e) =>
          e.type === "job:cache" && e.status === "miss" ? [[e.job, e.reason]] : []
        ),
      );
    await run(dir);
    // docs stores a second entry, then the revert hits its first: the one it last used, which a
    // run without docs does not forget.
    await Deno.writeTextFile(join(dir, "docs", "index.md"), "# docs, edited\n");
    assertEquals((await run(dir)).ran, ["docs", "publish"]);
    await Deno.writeTextFile(join(dir, "docs", "index.md"), "# docs\n");
    assertEquals((await run(dir)).ran, ["publish"]);
    assertEquals((await run(dir, ["lex"])).ran, []);
    // What changed since docs last ran is parse's input, and through it docs's dependency.
    await Deno.writeTextFile(join(dir, "grammar.txt"), "g2\n");
    const explained = await run(dir, ["--explain"]);
    assertEquals(explained.ran, ["compile", "docs", "parse", "publish"]);
    assertEquals(reasons(explained.events), {
      parse: "input grammar.txt changed",
      docs: "dependency parse changed",
      compile: "dependency parse changed",
    });
  });
});

Deno.test("cache: a job that fails keeps the entry it last used for --explain", async () => {
  await withProject(async (dir) => {
    const flaky = `\nexport const flaky = job({ inputs: ["grammar.txt", "docs/*.md"] }, () => {
  ran("flaky");
  if (Deno.env.get("FAIL")) throw new Error("broken");
});\n`;
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, flaky));
    const docs = (text: string) => Deno.writeTextFile(join(dir, "docs", "index.md"), text);
    assertEquals((await run(dir, ["flaky"])).ran, ["flaky"]);
    await docs("# docs, edited\n");
    assertEquals((await run(dir, ["flaky"])).ran, ["flaky"]); // the last entry stored
    await docs("# docs\n");
    assertEquals((await run(dir, ["flaky"])).ran, []); // the entry it last used
    await Deno.writeTextFile(join(dir, "grammar.txt"), "g2\n");
    assertEquals((await run(dir, ["flaky"], { FAIL: "1" })).code, 1); // keyed, never stored
    const explained = await run(dir, ["--explain", "flaky"]);
    const reason = explained.events.find((e) => e.type === "job:cache" && e.job === "flaky");
    assertEquals(reason?.type === "job:cache" && reason.reason, "input grammar.txt changed");
  });
});

Deno.test("cache: a job's key does not depend on which jobs were asked for", async () => {
  await withProject(async (dir) => {
    assertEquals((await run(dir, ["docs"])).ran, ["docs", "lex", "parse"]);
    assertEquals((await run(dir)).ran, ["compile", "publish"]); // docs, lex and parse: hits
    assertEquals((await run(dir, ["lex"])).ran, []);
  });
});

Deno.test("cache: a failed job is not stored", async () => {
  await withProject(async (dir) => {
    const failing = `\nexport const flaky = job({ inputs: ["grammar.txt"] }, () => {
  ran("flaky");
  if (!Deno.env.get("PASS")) throw new Error("broken");
  return "fine";
});\n`;
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, failing));
    assertEquals((await run(dir, ["flaky"])).code, 1);
    const again = await run(dir, ["flaky"], { PASS: "1" });
    assertEquals(again.ran, ["flaky"]);
    assertEquals((await run(dir, ["flaky"])).ran, []); // now stored, and a hit without PASS
  });
});

Deno.test("cache: a damaged entry is a miss with a warning and a correct result, whatever file is damaged", async () => {
  await withProject(async (dir) => {
    await run(dir);
    const files: string[] = [];
    const walk = async (folder: string) => {
      for await (const entry of Deno.readDir(folder)) {
        const path = join(folder, entry.name);
        if (entry.isDirectory) await walk(path);
        else if (!path.endsWith("index.json") && !path.endsWith("stats.json")) files.push(path);
      }
    };
    await walk(join(dir, ".gather", "cache"));
    assert(files.length >= 6, `${files.length} files in the store`);
    const expected = await Deno.readFile(join(dir, "build", "app.bin"));
    for (const file of files) {
      const saved = await Deno.readFile(file);
      await Deno.writeFile(file, saved.subarray(0, Math.floor(saved.length / 2)));
      await Deno.remove(join(dir, "build"), { recursive: true });
      const damaged = await run(dir);
      assertEquals(damaged.code, 0, `${file}: ${damaged.stderr}`);
      const published = damaged.events.find((e) => e.type === "job:log" && e.job === "publish");
      assertEquals(published?.type === "job:log" && published.line, "published 42 docs", file);
      assertEquals(await Deno.readFile(join(dir, "build", "app.bin")), expected, file);
      await Deno.writeFile(file, saved);
    }
  });
});

Deno.test("cache: two runs at once on one cache both succeed, and a third is all hits", async () => {
  await withProject(async (dir) => {
    const copy = join(dir, "..", `${dir.split("/").at(-1)}-twin`);
    await Deno.mkdir(copy);
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name === ".gather") continue;
        await new Deno.Command("cp", { args: ["-r", join(dir, entry.name), copy] }).output();
      }
      await Deno.writeTextFile(join(copy, "tasks.ts"), taskFile(copy));
      const shared = join(dir, "shared-cache");
      const [a, b] = await Promise.all([
        run(dir, ["--cache-dir", shared]),
        run(copy, ["--cache-dir", shared]),
      ]);
      assertEquals([a.code, b.code], [0, 0], a.stderr + b.stderr);
      assertEquals((await run(dir, ["--cache-dir", shared])).ran, ["publish"]);
      assertEquals((await run(copy, ["--cache-dir", shared])).ran, ["publish"]); // another path, same keys
    } finally {
      await Deno.remove(copy, { recursive: true });
    }
  });
});

Deno.test("cache: globs that leave the project are refused before anything runs", async () => {
  await withProject(async (dir) => {
    const escape =
      `\nexport const sneaky = job({ inputs: ["../../etc/passwd"] }, () => ran("sneaky"));\n`;
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, escape));
    const refused = await run(dir);
    assertEquals(refused.code, 2);
    assertEquals(refused.ran, []);
    assertMatch(
      refused.stderr,
      /^gather: Cannot cache "sneaky" in "tasks\.ts": input "\.\.\/\.\.\/etc\/passwd" reaches outside the project root .*\n$/,
    );
  });
});

Deno.test("cache: a manifest that names a path outside the project is refused at restore time", async () => {
  await withProject(async (dir) => {
    await run(dir);
    const outside = join(dir, "..", `outside-${crypto.randomUUID()}.txt`);
    for await (const file of walkFiles(join(dir, ".gather", "cache", "v1", "entries"))) {
      const manifest = JSON.parse(await Deno.readTextFile(file));
      if (manifest.outputs.length === 0) continue;
      manifest.outputs[0].path = relative(dir, outside);
      await Deno.writeTextFile(file, JSON.stringify(manifest));
    }
    await Deno.remove(join(dir, "build"), { recursive: true });
    // The entries as another store would hand them over: without the last run's local memo.
    await Deno.remove(join(dir, ".gather", "cache", "v1", "memo"), { recursive: true });
    const result = await run(dir);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(await Deno.stat(outside).then(() => true, () => false), false);
    assertEquals(result.ran.includes("compile"), true); // ran instead
    assert(
      result.events.some((e) =>
        e.type === "warning" && e.message.includes("leaves the project root")
      ),
    );
  });
});

Deno.test("cache: a result it cannot store, a glob that matches nothing, an unwritable cache: warnings, never a failure", async () => {
  await withProject(async (dir) => {
    const extra = `\nclass Tree { constructor(public size: number) {} }
export const odd = job({ inputs: ["nothing/*.zzz"] }, () => new Tree(3));\n`;
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, extra));
    const first = await run(dir, ["odd"]);
    assertEquals(first.code, 0, first.stderr);
    const warnings = first.events.filter((e) => e.type === "warning").map((e) =>
      e.type === "warning" ? e.message : ""
    );
    assertEquals(warnings, [
      'input glob "nothing/*.zzz" matches no file (keyed as an empty set)',
      "not cached: result is an instance of Tree, which the cache cannot store",
    ]);
    assertEquals((await run(dir, ["odd"])).cache["odd"], "miss");
    // A cache folder that cannot be made (a file stands where it should be): every job still runs.
    const blocked = join(dir, "blocked");
    await Deno.writeTextFile(blocked, "a file, not a folder");
    const unwritable = await run(dir, ["--cache-dir", join(blocked, "cache")]);
    assertEquals(unwritable.code, 0, unwritable.stderr);
    assertEquals(unwritable.ran, ALL);
    // One cause, one warning: looking entries up, writing them, the stat index and the run's
    // stats all fail (the odd job's own two warnings aside).
    const said = unwritable.events.flatMap((e) =>
      e.type === "warning" && !e.message.includes("nothing/*.zzz") && !e.message.includes("Tree")
        ? [e.message]
        : []
    );
    assertEquals(said.length, 1, JSON.stringify(said));
    assert(said[0]!.startsWith("the cache could not be written"), said[0]);
  });
});

Deno.test("cache: --dry-run says which jobs would be hits", async () => {
  await withProject(async (dir) => {
    await run(dir);
    await Deno.writeTextFile(join(dir, "docs", "index.md"), "# changed\n");
    const dry = await gather(["-n"], { cwd: dir });
    assertEquals(dry.code, 0, dry.stderr);
    const lines = dry.stdout.trim().split("\n");
    assert(lines.includes("step 1  lex  (cached)"), dry.stdout);
    assert(lines.some((l) => l.endsWith("docs  (runs: input docs/index.md changed)")), dry.stdout);
    assert(lines.some((l) => /publish$/.test(l)), dry.stdout);
  });
});

Deno.test("cache: --dry-run says a job's hit is unknown while it needs the result of a job not cached", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gather-cache-" });
  try {
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${MOD(dir)};
export const prepare = job(() => "v1");
export const compile = job({ deps: [prepare], inputs: ["tasks.ts"] }, (ctx) => ctx.result(prepare));
`,
    );
    assertEquals((await gather(["compile"], { cwd: dir })).code, 0);
    const dry = await gather(["-n", "compile"], { cwd: dir });
    assertEquals(dry.code, 0, dry.stderr);
    assertStringIncludes(
      dry.stdout,
      `compile  (hit or not: unknown until "prepare" runs: its key depends on that job's result)`,
    );
    // The real run: a hit.
    const real = await gather(["--reporter", "json", "compile"], { cwd: dir });
    assertStringIncludes(real.stdout, `"job":"compile","status":"ok","started":true`);
    assertStringIncludes(real.stdout, `"cache":"hit"`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather cache status, prune and clean", async () => {
  await withProject(async (dir) => {
    await run(dir);
    await Deno.writeTextFile(join(dir, "docs", "index.md"), "# two\n");
    await run(dir);
    const status = await gather(["cache", "status"], { cwd: dir });
    assertEquals(status.code, 0, status.stderr);
    assertStringIncludes(status.stdout, "entries: 5");
    assertStringIncludes(status.stdout, "last run: 3 hits, 1 miss (75.0 % hits)");
    // Make the first docs entry the least recently used, then prune to just under the total.
    const entries: string[] = [];
    for await (const file of walkFiles(join(dir, ".gather", "cache", "v1", "entries"))) {
      entries.push(file);
    }
    const old = new Date(Date.now() - 3_600_000);
    const docsEntries = [];
    for (const file of entries) {
      if (JSON.parse(await Deno.readTextFile(file)).job === "docs") docsEntries.push(file);
    }
    const oldest = docsEntries.sort((a, b) =>
      Deno.statSync(a).mtime!.getTime() - Deno.statSync(b).mtime!.getTime()
    )[0]!;
    await Deno.utime(oldest, old, old);
    let total = 0;
    for await (const file of walkFiles(join(dir, ".gather", "cache", "v1"))) {
      // The memo of the last run's entries goes first: it would serve a removed entry.
      if (!file.includes("/memo/recent-")) total += Deno.statSync(file).size;
    }
    const limit = total - Deno.statSync(oldest).size; // room for all but the oldest entry
    const pruned = await gather(["cache", "prune", "--max-size", String(limit)], { cwd: dir });
    assertEquals(pruned.code, 0, pruned.stderr);
    assertStringIncludes(pruned.stdout, "removed 1 entry (");
    assertStringIncludes(pruned.stdout, ": 4 entries, ");
    assertEquals(await Deno.stat(oldest).then(() => true, () => false), false);
    // The most recent entries survived: the current docs is still a hit.
    assertEquals((await run(dir)).ran, ["publish"]);
    const clean = await gather(["cache", "clean"], { cwd: dir });
    assertEquals(clean.code, 0, clean.stderr);
    assertEquals((await run(dir)).ran, ALL);
    const bad = await gather(["cache", "prune"], { cwd: dir });
    assertEquals([bad.code, bad.stderr], [
      2,
      "gather: gather cache prune needs --max-size <size>, e.g. --max-size 1GB\n",
    ]);
    const negative = await gather(["cache", "prune", "--max-size", "-1"], { cwd: dir });
    assertEquals([negative.code, negative.stderr], [
      2,
      'gather: Invalid size "-1": a size cannot be negative; use bytes or a size like 500MB or 5GB\n',
    ]);
  });
});

async function* walkFiles(folder: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) yield* walkFiles(path);
    else yield path;
  }
}

Deno.test("tasks/incremental.ts: a C build that restores everything on the second run, and rebuilds one object after an edit", async () => {
  const cacheDir = await Deno.makeTempDir();
  const build = join(ROOT, "tasks", "c", "build");
  const source = join(ROOT, "tasks", "c", "add.c");
  const original = await Deno.readTextFile(source);
  const args = [
    "-f",
    "tasks/incremental.ts",
    "--reporter",
    "json",
    "--no-logs",
    "--cache-dir",
    cacheDir,
  ];
  const statuses = async () => {
    const result = await gather(args);
    assertEquals(result.code, 0, result.stderr);
    const ends = parseEvents(result.stdout).filter((e): e is JobEndEvent => e.type === "job:end");
    return Object.fromEntries(ends.map((e) => [e.job, e.cache]));
  };
  try {
    await Deno.remove(build, { recursive: true }).catch(() => {});
    assertEquals(Object.values(await statuses()), ["miss", "miss", "miss", "miss", "miss"]);
    const binary = await Deno.readFile(join(build, "hello"));
    await Deno.remove(build, { recursive: true });
    assertEquals(Object.values(await statuses()), ["hit", "hit", "hit", "hit", "hit"]);
    assertEquals(await Deno.readFile(join(build, "hello")), binary); // restored, and it runs
    await Deno.writeTextFile(source, original + "/* an edit */\n");
    assertEquals(await statuses(), {
      "compile:add": "miss",
      "compile:greet": "hit",
      "compile:main": "hit",
      link: "miss",
      test: "miss",
    });
  } finally {
    await Deno.writeTextFile(source, original);
    await Deno.remove(cacheDir, { recursive: true });
    await Deno.remove(build, { recursive: true }).catch(() => {});
  }
});

Deno.test("StatIndex.mayExist: a folder is listed once a run; a file written since is known, any other is checked again", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.txt"), "a");
    const index = StatIndex.load(join(dir, "index.json"), lazyHasher());
    assertEquals(index.mayExist(join(dir, "a.txt")), true);
    assertEquals(index.mayExist(join(dir, "b.txt")), false);
    await Deno.writeTextFile(join(dir, "b.txt"), "b"); // by someone else: the listing is not read again
    assertEquals(index.mayExist(join(dir, "b.txt")), false);
    index.wrote(join(dir, "b.txt"));
    assertEquals(index.mayExist(join(dir, "b.txt")), true);
    assertEquals(index.mayExist(join(dir, "missing", "c.txt")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restoreOutputs: a missing output is written, a present and unchanged one is left, a changed one is replaced", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    const store = new LocalStore(join(dir, "cache"), lazyHasher());
    const text = (s: string) => new TextEncoder().encode(s);
    const outputs = await Promise.all(["one", "two", "three"].map(async (name) => ({
      path: `out/${name}.txt`,
      hash: await store.putBytes(text(name)),
      size: name.length,
      mode: 0o644,
    })));
    await Deno.mkdir(join(dir, "out"));
    await Deno.writeTextFile(join(dir, "out/two.txt"), "two");
    await Deno.writeTextFile(join(dir, "out/three.txt"), "3");
    Deno.chmodSync(join(dir, "out/two.txt"), 0o644);
    Deno.chmodSync(join(dir, "out/three.txt"), 0o644);
    const index = StatIndex.load(join(dir, "index.json"), lazyHasher());
    const manifest = { outputs } as unknown as Manifest;
    const written = await restoreOutputs(dir, outputs, store.blobsOf(manifest), index);
    assertEquals(written, 2); // one (missing) and three (changed)
    for (const name of ["one", "two", "three"]) {
      assertEquals(await Deno.readTextFile(join(dir, `out/${name}.txt`)), name);
    }
    assertEquals(await restoreOutputs(dir, outputs, store.blobsOf(manifest), index), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
