/**
 * `run()`'s `onEvent` that fails, whatever emitted the event: `run()`
 * rejects with its error, promptly, with the jobs stopped. Each case is a
 * real program (a script in a folder without a deno.json, importing
 * mod.ts) run as a subprocess, so that a hang, an uncaught rejection or a
 * crash shows as what it is.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { liveProcesses, uniqueSleep } from "./_processes.ts";

const MOD = JSON.stringify(new URL("../mod.ts", import.meta.url).href);

/** Run `body` (after `import { job, run }`) as a program; killed after 20 s. */
async function embed(
  body: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number; ms: number }> {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/embed.ts`;
    await Deno.writeTextFile(script, `import { job, run } from ${MOD};\n${body}\n`);
    const started = Date.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      env: { NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // SIGKILL: a run() that hangs may ignore SIGTERM too.
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const output = await child.output().finally(() => clearTimeout(timer));
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return {
      stdout: decode(output.stdout),
      stderr: decode(output.stderr),
      code: output.code,
      ms: Date.now() - started,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A program whose `onEvent` is `observer`, printing how `run()` settled and how long it took. */
function program(jobs: string, observer: string, options = ""): string {
  return `${jobs}
const t0 = Date.now();
try {
  const report = await run(jobs, { ${options} onEvent: ${observer} });
  console.log("resolved", report.status);
} catch (error) {
  console.log("rejected", String(error));
}
console.error("took", Date.now() - t0);`;
}

function took(stderr: string): number {
  return Number(/took (\d+)/.exec(stderr)?.[1] ?? NaN);
}

const throwsOnLog = `(e) => { if (e.type === "job:log") throw new Error("observer bug"); }`;

for (const route of ["posix_spawn", "command"]) {
  Deno.test(`run() rejects with onEvent's throw on a command's output line, its command stopped (${route})`, async () => {
    const seconds = uniqueSleep();
    const jobs = `const jobs = [
  job({ name: "a" }, (ctx) => ctx.sh\`echo hi; sleep ${seconds}\`),
  job({ name: "b" }, (ctx) => ctx.exec("sleep", ["${seconds}"])),
];`;
    const env: Record<string, string> = route === "command" ? { GATHER_SPAWN: "command" } : {};
    const { stdout, stderr } = await embed(program(jobs, throwsOnLog), env);
    assertEquals(stdout, "rejected Error: observer bug\n", stderr);
    assertEquals(took(stderr) < 5_000, true, stderr);
    assertEquals(await liveProcesses(seconds), []);
  });
}

Deno.test("run() rejects with onEvent's throw on ctx.exec's output, with diagnostics", async () => {
  const jobs = `const jobs = [job({ name: "a" }, (ctx) => ctx.exec("echo", ["hi"]))];`;
  const { stdout, stderr } = await embed(program(jobs, throwsOnLog, "diagnostics: true,"));
  assertEquals(stdout, "rejected Error: observer bug\n", stderr);
});

Deno.test("run() rejects with onEvent's throw on a ctx.log line, and blames no job", async () => {
  const seconds = uniqueSleep();
  const jobs = `const jobs = [
  job({ name: "a" }, async (ctx) => { ctx.log("from-log"); await ctx.sh\`sleep ${seconds}\`; }),
  job({ name: "b" }, (ctx) => ctx.sh\`sleep ${seconds}\`),
];`;
  const { stdout, stderr } = await embed(program(jobs, throwsOnLog, "concurrency: 1,"));
  assertEquals(stdout, "rejected Error: observer bug\n", stderr);
  assertEquals(took(stderr) < 5_000, true, stderr);
  assertEquals(await liveProcesses(seconds), []);
});

Deno.test("run() rejects with onEvent's throw on a warning, and starts no job", async () => {
  const seconds = uniqueSleep();
  // A named pipe in the history's place: the run warns that the history is off.
  const jobs = `const jobs = [job({ name: "a" }, (ctx) => ctx.sh\`sleep ${seconds}\`)];
const fifo = new URL("./history.json", import.meta.url).pathname;
new Deno.Command("mkfifo", { args: [fifo] }).outputSync();`;
  const observer = `(e) => { if (e.type === "warning") throw new Error("observer bug"); }`;
  const { stdout, stderr } = await embed(program(jobs, observer, "history: fifo,"));
  assertEquals(stdout, "rejected Error: observer bug\n", stderr);
  assertEquals(await liveProcesses(seconds), []);
});

Deno.test("run() rejects with onEvent's throw on a diagnostic raised from a timer", async () => {
  const seconds = uniqueSleep();
  // A job that blocks the loop raises a stall, reported from the diagnostics' own timer.
  const jobs = `const jobs = [
  job({ name: "spin" }, () => { const until = Date.now() + 300; while (Date.now() < until); }),
  job({ name: "slow" }, (ctx) => ctx.sh\`sleep ${seconds}\`),
];`;
  const observer = `(e) => { if (e.type === "diagnostic") throw new Error("observer bug"); }`;
  const { stdout, stderr } = await embed(program(jobs, observer, "diagnostics: true,"));
  assertEquals(stdout, "rejected Error: observer bug\n", stderr);
  assertEquals(took(stderr) < 5_000, true, stderr);
  assertEquals(await liveProcesses(seconds), []);
});

Deno.test("run() rejects with the error of a promise its async onEvent returned, its jobs stopped", async () => {
  const seconds = uniqueSleep();
  const jobs = `const jobs = [job({ name: "a" }, (ctx) => ctx.sh\`sleep ${seconds}\`)];`;
  const observer = `async (e) => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (e.type === "job:start") throw new Error("late async boom");
}`;
  const { stdout, stderr, code } = await embed(program(jobs, observer));
  assertEquals(stdout, "rejected Error: late async boom\n", stderr);
  assertEquals(code, 0);
  assertEquals(took(stderr) < 5_000, true, stderr);
  assertEquals(await liveProcesses(seconds), []);
});

Deno.test("run() waits for the promises its async onEvent returned: one that rejects after the jobs end still rejects it", async () => {
  const jobs = `const jobs = [job({ name: "a" }, () => 1)];
let seen = 0;`;
  const observer = `async (e) => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  seen++;
  if (e.type === "run:end") throw new Error("after the end");
}`;
  const { stdout, stderr } = await embed(program(jobs, observer) + `\nconsole.log("seen", seen);`);
  assertEquals(stdout, "rejected Error: after the end\nseen 4\n", stderr);
});
