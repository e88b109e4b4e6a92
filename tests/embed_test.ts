/**
 * gather used from outside its repository, as a user would: a script in a
 * temporary folder imports mod.ts by relative path or file URL, with and
 * without a deno.json of its own, and a task file there runs under main.ts.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join, relative, toFileUrl } from "../src/deps/path.ts";
import { gather, ROOT } from "./_cli.ts";

const SCRIPT = (modSpecifier: string) => `
import { job, run, type RunReport } from ${JSON.stringify(modSpecifier)};

const a = job(() => 20);
const b = job({ deps: [a] }, (ctx) => ctx.result(a) + 1);
const spin = job(() => {
  const cpuMs = () => process.cpuUsage().user / 1000; // CPU time: a loaded machine stretches it
  const until = cpuMs() + 300;
  while (cpuMs() < until) Math.sqrt(until);
});
const report: RunReport = await run({ a, b, spin }, { diagnostics: true, concurrency: 1 });
const total: number = report.jobs.find((j) => j.name === "b")!.result as number;
console.log(JSON.stringify({
  status: report.status,
  total,
  stall: report.diagnostics.find((d) => d.kind === "stall")?.job,
}));
`;

async function deno(args: string[], cwd: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

async function inTempFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  // A path with a space: file URLs must be made properly.
  const dir = join(await Deno.makeTempDir(), "my project");
  await Deno.mkdir(dir);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
}

for (const withConfig of [false, true]) {
  for (const how of ["relative path", "file URL"] as const) {
    const label = `${how}, ${withConfig ? "with" : "without"} a deno.json of its own`;
    Deno.test(`a script outside the repository runs run() with diagnostics, by ${label}`, async () => {
      await inTempFolder(async (dir) => {
        if (withConfig) {
          // A project of its own, with an import map gather knows nothing of.
          await Deno.writeTextFile(
            join(dir, "deno.json"),
            JSON.stringify({ imports: { "@std/assert": "npm:deno-std@1.4.0/assert/mod.js" } }),
          );
        }
        const mod = how === "relative path"
          ? relative(dir, join(ROOT, "mod.ts"))
          : toFileUrl(join(ROOT, "mod.ts")).href;
        await Deno.writeTextFile(join(dir, "script.ts"), SCRIPT(mod));
        const checked = await deno(["check", "script.ts"], dir);
        assertEquals(checked.code, 0, checked.stderr);
        const ran = await deno(["run", "-A", "script.ts"], dir);
        assertEquals(ran.code, 0, ran.stderr);
        assertEquals(JSON.parse(ran.stdout), { status: "ok", total: 21, stall: "spin" });
      });
    });
  }
}

Deno.test("a task file outside the repository runs under main.ts and type-checks there", async () => {
  await inTempFolder(async (dir) => {
    const mod = relative(dir, join(ROOT, "mod.ts"));
    await Deno.writeTextFile(
      join(dir, "tasks.ts"),
      `import { job } from ${JSON.stringify(mod)};
export const hello = job(async (ctx) => {
  const { stdout } = await ctx.sh\`echo hello from \${ctx.name}\`;
  return stdout.trim();
});
`,
    );
    const checked = await deno(["check", "tasks.ts"], dir);
    assertEquals(checked.code, 0, checked.stderr);
    const run = await gather(["-f", "tasks.ts", "--reporter", "plain", "--no-logs"], { cwd: dir });
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(run.stderr, "hello from hello");
    assert(!(await exists(join(dir, "deno.lock"))), "gather wrote a lockfile into the project");
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("run() with cache: true stores jobs with inputs under the project, and the next run restores them", async () => {
  await inTempFolder(async (dir) => {
    const mod = relative(dir, join(ROOT, "mod.ts"));
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.writeTextFile(join(dir, "input.txt"), "4\n");
    await Deno.writeTextFile(
      join(dir, "script.ts"),
      `import { job, run } from ${JSON.stringify(mod)};
const square = job({ inputs: ["input.txt"], outputs: ["out.txt"] }, async () => {
  const n = Number(await Deno.readTextFile("input.txt"));
  await Deno.writeTextFile("out.txt", String(n * n));
  return n * n;
});
const cube = job({ inputs: ["input.txt"] }, async () => Number(await Deno.readTextFile("input.txt")) ** 3);
const report = await run({ square, cube }, { cache: true });
console.log(JSON.stringify(report.jobs.map((j) => [j.name, j.cache, j.result])));
`,
    );
    const first = await deno(["run", "-A", "script.ts"], dir);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(JSON.parse(first.stdout), [["square", "miss", 16], ["cube", "miss", 64]]);
    await Deno.remove(join(dir, "out.txt"));
    const second = await deno(["run", "-A", "script.ts"], dir);
    assertEquals(JSON.parse(second.stdout), [["square", "hit", 16], ["cube", "hit", 64]]);
    assertEquals(await Deno.readTextFile(join(dir, "out.txt")), "16");
    assert(await exists(join(dir, ".gather", "cache")));
    // An edit inside one job's function reruns that job only, as with the CLI.
    const script = await Deno.readTextFile(join(dir, "script.ts"));
    await Deno.writeTextFile(
      join(dir, "script.ts"),
      script.replace("return n * n;", "return n * n + 0;"),
    );
    const edited = await deno(["run", "-A", "script.ts"], dir);
    assertEquals(JSON.parse(edited.stdout), [["square", "miss", 16], ["cube", "hit", 64]]);
  });
});

Deno.test("run() names a stall's TypeScript line, as the CLI does for the same job", async () => {
  await inTempFolder(async (dir) => {
    const mod = relative(join(dir, "lib"), join(ROOT, "mod.ts"));
    // Types and object literals make the emitted JavaScript's lines differ from the source's.
    const script = `import { job, run } from ${JSON.stringify(mod)};

interface Budget {
  ms: number;
  label: string;
}
const budget: Budget = { ms: 400, label: "spin" };

export const spin = job(async () => {
  await Promise.resolve();
  const until = process.cpuUsage().user / 1000 + budget.ms; // CPU time: load stretches it
  while (process.cpuUsage().user / 1000 < until) for (let i = 0; i < 1e5; i++) Math.sqrt(i); // the loop
});
export const neighbour = job(() => new Promise((resolve) => setTimeout(resolve, 1000)));

if (import.meta.main) {
  const report = await run({ spin, neighbour }, { diagnostics: true });
  console.log(JSON.stringify(report.diagnostics.filter((d) => d.kind === "stall")));
}
`;
    const line = script.split("\n").findIndex((text) => text.endsWith("// the loop")) + 1;
    await Deno.mkdir(join(dir, "lib"));
    await Deno.writeTextFile(join(dir, "lib", "script.ts"), script);
    const ran = await deno(["run", "-A", "lib/script.ts"], dir);
    assertEquals(ran.code, 0, ran.stderr);
    const fromRun = JSON.parse(ran.stdout) as { job?: string; site?: string }[];
    assertEquals(fromRun.map((d) => [d.job, d.site]), [["spin", `lib/script.ts:${line}`]]);
    const cli = await gather(["-f", "lib/script.ts", "--reporter", "json", "--no-logs"], {
      cwd: dir,
    });
    assertEquals(cli.code, 0, cli.stderr);
    const fromCli = cli.stdout.split("\n").filter((text) => text.includes('"diagnostic"'))
      .map((text) => JSON.parse(text) as { job?: string; site?: string });
    assertEquals(fromCli.map((d) => [d.job, d.site]), [["spin", `lib/script.ts:${line}`]]);
  });
});
