/**
 * What a job's name may hold: any printable character, and no control
 * characters or bidirectional marks, which would break the lines gather
 * prints or drive the terminal. A task file, `run()` and deno.json are held
 * to the same rule; a refusal is one clean line, exit 2, nothing started.
 */

import { assertEquals, assertMatch, assertStringIncludes, assertThrows } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import { GatherError } from "../src/errors.ts";
import { job } from "../src/job.ts";
import { resolveJobs } from "../src/load/resolve.ts";
import { ROOT } from "./_cli.ts";
import { denoTask, gatherIn, makeProject } from "./_deno_project.ts";

/** A task file whose jobs are the given names, each printing one line. */
function taskFile(dir: string, names: string[], more = ""): string {
  const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
  const jobs = names.map((name, i) =>
    `export const j${i} = job({ name: ${JSON.stringify(name)} }, (ctx) => ctx.log("from ${i}"));`
  );
  return `import { job } from ${mod};\n${jobs.join("\n")}\n${more}`;
}

/** No control character but the line breaks between lines, and no bidirectional mark. */
function assertClean(text: string): void {
  // deno-lint-ignore no-control-regex
  const unclean = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e]/;
  assertEquals(unclean.test(text), false, JSON.stringify(text));
}

/** What is refused: the name, how the message shows it, what it says is wrong. */
const REFUSED: [string, string, string, string][] = [
  [
    "a line break and an escape sequence",
    "line\nbreak\u001b[31mRED",
    "line\\nbreak\\u001b[31mRED",
    "a line break (\\n)",
  ],
  ["an escape sequence", "\u001b]0;owned\u0007b", "\\u001b]0;owned\\u0007b", "an escape (\\u001b)"],
  ["a tab", "lint\tfix", "lint\\tfix", "a tab (\\t)"],
  ["a carriage return", "ok\rfake", "ok\\rfake", "a carriage return (\\r)"],
  ["a C1 control", "next\u0085line", "next\\u0085line", "a control character (\\u0085)"],
  [
    "a right-to-left override",
    "deploy\u202eved",
    "deploy\\u202eved",
    "a bidirectional mark (\\u202e)",
  ],
];

for (const [what, name, shown, problem] of REFUSED) {
  Deno.test(`gather refuses a task file whose job name holds ${what}: one clean line naming the file and the job, exit 2`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, ["fine", name]));
      const run = await gatherIn(["--reporter", "plain", "--no-history"], dir);
      assertEquals(run.code, 2, run.stderr);
      assertEquals(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
      assertClean(run.stderr);
      assertEquals(
        run.stderr,
        `gather: Cannot load "tasks.ts": job "${shown}" has ${problem} in its name; rename it: a name may hold any printable character (spaces, ":", "/" and "#" too), but no control characters (line breaks, tabs, escapes) or bidirectional marks\n`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("gather refuses a string export name and a dependency name with a control character", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};\nconst a = job(() => {});\nexport { a as "tab\\there" };\n`,
    );
    const exported = await gatherIn(["--no-history"], dir);
    assertEquals(exported.code, 2, exported.stderr);
    assertStringIncludes(exported.stderr, `job "tab\\there" has a tab (\\t) in its name`);
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${mod};\nexport const a = job({ deps: ["x\\u001b[2J"] }, () => {});\n`,
    );
    const dep = await gatherIn(["--no-history"], dir);
    assertEquals(dep.code, 2, dep.stderr);
    assertClean(dep.stderr);
    assertEquals(
      dep.stderr,
      `gather: Cannot schedule "a" in "tasks.ts": dependency "x\\u001b[2J" has an escape (\\u001b), which no job's name has\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run() refuses a job name with a control character, as a task file does", () => {
  const error = assertThrows(
    () => resolveJobs([["a", job({ name: "a\nb" }, () => {})]], "run()"),
    GatherError,
    `Cannot load run(): job "a\\nb" has a line break (\\n) in its name`,
  );
  assertEquals([error.code, error.job], ["BAD_OPTION", "a\nb"]);
});

Deno.test("gather runs jobs named with spaces, punctuation and any script, and prints them as they are", async () => {
  const dir = await Deno.makeTempDir();
  const names = ["build web", "lint:fix", "pkg/a#test", "ünïcode ✓", "构建", "a\u200db"];
  try {
    await Deno.writeTextFile(join(dir, "tasks.ts"), taskFile(dir, names));
    const run = await gatherIn(["--reporter", "plain", "--no-history", "-j", "1"], dir);
    assertEquals(run.code, 0, run.stderr);
    names.forEach((name, i) => assertMatch(run.stderr, new RegExp(`${name} +│ from ${i}\n`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather refuses a deno.json task name, dependency or package name with a control character (deno task takes them, printed raw)", async () => {
  const dir = await makeProject({
    "deno.json": { tasks: { "fine": "echo fine", "esc\u001b[31mRED": "echo red" } },
  });
  try {
    // deno task takes it and prints the escape as it is: gather says what to do instead.
    assertStringIncludes((await denoTask([], dir)).stdout, "esc\u001b[31mRED");
    const run = await gatherIn(["--reporter", "json", "fine"], dir);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(run.stdout, "");
    assertClean(run.stderr);
    assertEquals(
      run.stderr,
      `gather: Cannot read "deno.json": task "esc\\u001b[31mRED" has an escape (\\u001b) in its name; rename it: a name may hold any printable character (spaces, ":", "/" and "#" too), but no control characters (line breaks, tabs, escapes) or bidirectional marks\n`,
    );
    await Deno.writeTextFile(
      join(dir, "deno.json"),
      JSON.stringify({ tasks: { fine: { command: "echo", dependencies: ["a\nb"] } } }),
    );
    const dependency = await gatherIn(["fine"], dir);
    assertEquals(dependency.code, 2, dependency.stderr);
    assertEquals(
      dependency.stderr,
      `gather: Cannot read "deno.json": task "fine": dependency "a\\nb" has a line break (\\n), which no task's name has\n`,
    );
    await Deno.writeTextFile(
      join(dir, "deno.json"),
      JSON.stringify({ workspace: ["./web"], tasks: { fine: "echo fine" } }),
    );
    await Deno.mkdir(join(dir, "web"));
    await Deno.writeTextFile(
      join(dir, "web", "deno.json"),
      JSON.stringify({ name: "@s/w\u009beb", tasks: { test: "echo" } }),
    );
    const member = await gatherIn(["-r", "test"], dir);
    assertEquals(member.code, 2, member.stderr);
    assertClean(member.stderr);
    assertStringIncludes(
      member.stderr,
      `: "name" "@s/w\\u009beb" has a control character (\\u009b), and its tasks' jobs are named after it; rename it`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather runs deno.json tasks named with spaces, a colon, a slash and a # as deno task does", async () => {
  const tasks = { "build web": "echo space", "lint:fix": "echo colon", "x/y#z": "echo punct" };
  const dir = await makeProject({ "deno.json": { tasks } });
  try {
    for (const [name, command] of Object.entries(tasks)) {
      const deno = await denoTask([name], dir);
      const run = await gatherIn(["--reporter", "plain", "--no-history", name], dir);
      assertEquals(run.code, 0, run.stderr);
      const said = command.slice("echo ".length);
      assertEquals(deno.stdout, `${said}\n`);
      assertMatch(run.stderr, new RegExp(`${name.replace("/", "\\/")} +│ ${said}\n`));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
