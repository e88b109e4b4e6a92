/**
 * A task file beside a deno.json: its jobs depend on the config's tasks by
 * name, `denoTask()` adds gather's options to a task, a job named like a
 * task is an error naming both; the task file type-checks and runs under the
 * project's own import map and strict compiler options.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join, relative } from "../src/deps/path.ts";
import { parseEvents, ROOT } from "./_cli.ts";
import {
  gatherIn,
  gatherJson,
  linesOf,
  makeProject,
  runIn,
  started,
  writeFiles,
} from "./_deno_project.ts";

const FLAKY =
  `deno eval "try { Deno.statSync('marker') } catch { Deno.writeTextFileSync('marker', ''); Deno.exit(4) }"`;

async function mixedProject(): Promise<string> {
  const dir = await makeProject({
    "deno.json": {
      tasks: {
        lint: "echo linted",
        test: { description: "Run the tests", command: "echo tested" },
        slow: "sleep 30",
        flaky: FLAKY,
      },
    },
  });
  const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
  await writeFiles(dir, {
    "tasks.ts": `import { denoTask, job } from ${mod};

export const test = denoTask("test", { timeout: "5m", retries: 1 });
export const slow = denoTask("slow", { timeout: "300ms" });
export const flaky = denoTask("flaky", { retries: 1, retryDelay: 1 });
export const report = job({ deps: ["lint", test] }, (ctx) => ctx.log("report after lint and test"));
export default report;
`,
  });
  return dir;
}

Deno.test("a task file's jobs depend on deno.json tasks by name and by denoTask() handle", async () => {
  const dir = await mixedProject();
  try {
    const run = await gatherJson(["--no-history"], dir);
    assertEquals(run.code, 0, run.stderr);
    const order = started(run.events);
    assertEquals(order.slice().sort(), ["lint", "report", "test"]);
    assertEquals(order.at(-1), "report");
    assertEquals(linesOf(run.events, "lint", "stdout"), ["linted"]);
    assertEquals(linesOf(run.events, "test", "log"), ["Task test echo tested"]);
    // A deno.json task named first takes the rest of the line as its arguments.
    const withArgs = await gatherJson(["--no-history", "lint", "--fix"], dir);
    assertEquals(linesOf(withArgs.events, "lint", "stdout"), ["linted --fix"]);
    const listed = await gatherIn(["-l"], dir);
    assertMatch(listed.stdout, /^\* report/m);
    assertMatch(listed.stdout, /^ {2}test {4}Run the tests$/m);
    assertMatch(listed.stdout, /^ {10}\$ echo linted$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unknown name beside a deno.json is looked for among the jobs and the tasks, as one set", async () => {
  const dir = await mixedProject();
  try {
    const run = await gatherIn(["--reporter", "json", "tets"], dir);
    assertEquals(run.code, 2);
    assertEquals(run.stdout, "");
    assertEquals(
      run.stderr.trimEnd(),
      `gather: Unknown job or task "tets" in "tasks.ts" and "deno.json" (did you mean "test"?); available: flaky, lint, report, slow, test`,
    );
    const typo = await gatherIn(["--reporter", "json", "lnit"], dir);
    assertMatch(typo.stderr, /\(did you mean "lint"\?\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--cwd with a task file keeps gather's history and logs in that folder, as cd would", async () => {
  const dir = await mixedProject();
  const elsewhere = await Deno.makeTempDir();
  try {
    const run = await gatherIn(["--cwd", dir, "--reporter", "json", "lint"], elsewhere);
    assertEquals(run.code, 0, run.stderr);
    assertEquals([...Deno.readDirSync(elsewhere)], []);
    assert(Deno.statSync(join(dir, ".gather", "history.json")).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("denoTask() gives a deno.json task gather's timeout and retries", async () => {
  const dir = await mixedProject();
  try {
    const slow = await gatherJson(["--no-history", "--grace", "1s", "slow"], dir);
    assertEquals(slow.code, 1);
    const end = slow.events.find((e) => e.type === "job:end" && e.job === "slow");
    assert(end?.type === "job:end" && end.status === "failed");
    assertMatch(end.error?.message ?? "", /timed out after 300ms/);
    const flaky = await gatherJson(["--no-history", "flaky"], dir);
    assertEquals(flaky.code, 0, flaky.stderr);
    assertEquals(flaky.events.filter((e) => e.type === "job:retry").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task-file job named like a deno.json task is an error naming both places", async () => {
  const dir = await makeProject({ "deno.json": { tasks: { lint: "echo linted" } } });
  try {
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await writeFiles(dir, {
      "tasks.ts": `import { job } from ${mod};\nexport const lint = job(() => {});\n`,
    });
    const run = await gatherIn(["--reporter", "json"], dir);
    assertEquals(run.code, 2);
    assertEquals(run.stdout, "");
    assertEquals(
      run.stderr.trimEnd(),
      `gather: Cannot load "tasks.ts": job "lint" is also a task in "deno.json" (task "lint"); rename the job, or wrap the task with denoTask("lint", { ... })`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task file in a project with its own import map and strict compilerOptions type-checks and runs", async () => {
  const dir = await makeProject({
    "deno.json": {
      imports: { "@gather/gather": "jsr:@gather/gather@^0.1.0", "greet": "./lib/greet.ts" },
      links: [ROOT],
      compilerOptions: {
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        noImplicitOverride: true,
        noImplicitReturns: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        noFallthroughCasesInSwitch: true,
        noPropertyAccessFromIndexSignature: true,
      },
      tasks: {
        gather: "deno run -A jsr:@gather/gather/cli",
        hello: "echo hello from deno.json",
      },
    },
    "lib/greet.ts": "export const greet = (name: string): string => `hi ${name}`;\n",
    "tasks.ts": `import { denoTask, job, type JobContext } from "@gather/gather";
import { greet } from "greet";

export const hello = denoTask("hello", { timeout: "1m" });
export const greeting = job({ deps: [hello] }, (ctx: JobContext) => ctx.log(greet(ctx.name)));
`,
    // The CLI too: a project's strict options apply to every gather module it checks.
    "cli_check.ts": `import "@gather/gather/cli";\n`,
  });
  try {
    const checked = await runIn([Deno.execPath(), "check", "tasks.ts", "cli_check.ts"], dir);
    assertEquals(checked.code, 0, checked.stderr);
    // Run the README's way, so the project's import map resolves "greet".
    const run = await runIn(
      [Deno.execPath(), "task", "gather", "--reporter", "json", "--no-logs", "greeting"],
      dir,
    );
    assertEquals(run.code, 0, run.stderr);
    const events = parseEvents(run.stdout);
    assertEquals(linesOf(events, "greeting", "log"), ["hi greeting"]);
    assertStringIncludes(linesOf(events, "hello", "stdout").join(), "hello from deno.json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gather run by path in a project whose task file uses the project's import map: one line says how to run it, and --config runs it", async () => {
  const dir = await makeProject({ "deno.json": { imports: { "#greet": "./greet.ts" } } });
  try {
    const mod = JSON.stringify(relative(dir, join(ROOT, "mod.ts")));
    await writeFiles(dir, {
      "greet.ts": `export const greeting = "hi";\n`,
      "tasks.ts": `import { job } from ${mod};\nimport { greeting } from "#greet";\n` +
        `export const hello = job((ctx) => ctx.log(greeting));\n`,
    });
    const byPath = await gatherIn(["--reporter", "json"], dir);
    assertEquals(byPath.code, 2);
    assertEquals(byPath.stderr.trimEnd().split("\n").length, 1, byPath.stderr);
    assertStringIncludes(
      byPath.stderr,
      `gather run by path reads the import map of the config beside its own main.ts, not "deno.json": run it with deno run -A --config deno.json <gather>/main.ts`,
    );
    const configured = await runIn(
      [
        Deno.execPath(),
        "run",
        "-A",
        "--config",
        "deno.json",
        join(ROOT, "main.ts"),
        "--reporter",
        "json",
      ],
      dir,
    );
    assertEquals(configured.code, 0, configured.stderr);
    assertEquals(linesOf(parseEvents(configured.stdout), "hello", "log"), ["hi"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
