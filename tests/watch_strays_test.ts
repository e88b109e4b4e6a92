/**
 * `gather --watch` and the processes jobs start without `ctx.sh`: each run
 * stops and reports what its jobs left running, as a run without `--watch`
 * does at its end (a service keeps its own while it runs); a rerun stops what
 * the cancelled job was waiting for before it runs again; Ctrl-C and SIGTERM
 * stop everything. Real processes, found again by the pids the task file
 * wrote.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import type { DiagnosticEvent, GatherEvent, JobEndEvent } from "../src/events.ts";
import { uniqueSleep } from "./_processes.ts";
import { MOD, project, WatchSession, write } from "./_watch.ts";

/** Whether a process is running (a zombie is not). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The pids a task file wrote, one a line, into `file` (none yet if it is missing). */
function pidsIn(dir: string, file: string): number[] {
  try {
    return Deno.readTextFileSync(`${dir}/${file}`).split("\n").filter((line) => line !== "")
      .map(Number);
  } catch {
    return [];
  }
}

/** SIGKILL what a failed test left behind, by the pids it wrote. */
function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      if (alive(pid)) Deno.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/** Wait until `test` holds, looking every 25 ms; give up after a minute. */
async function until(test: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const strays = (events: readonly GatherEvent[]) =>
  events.filter((e): e is DiagnosticEvent => e.type === "diagnostic" && e.kind === "stray-process");
const end = (events: readonly GatherEvent[], job: string) =>
  events.find((e): e is JobEndEvent => e.type === "job:end" && e.job === job);

Deno.test("--watch: what a job left running without ctx.sh is stopped and reported under it at the end of each run; a service keeps its own", async () => {
  const mark = uniqueSleep();
  const tasks = `
import { spawn } from "node:child_process";
import { job } from "${MOD}";
const sleep = () => new Deno.Command("sleep", { args: ["${mark}"], stdout: "null", stderr: "null" });
const note = (file: string, pid: number) => Deno.writeTextFileSync(file, \`\${pid}\\n\`, { append: true });
export const leaves = job({ inputs: ["src/**"] }, (ctx) => {
  note("leaves.pids", sleep().spawn().pid);
  ctx.log("ran leaves");
});
export const nodeLeaves = job({ inputs: ["src/**"] }, (ctx) => {
  note("node.pids", spawn("sleep", ["${mark}"], { detached: false, stdio: "ignore" }).pid!);
  ctx.log("ran nodeLeaves");
});
// Its process is its own while it runs: no run's end stops it.
export const api = job({ service: true }, async (ctx) => {
  const child = sleep().spawn();
  note("api.pids", child.pid);
  ctx.ready(child.pid);
  ctx.signal.addEventListener("abort", () => child.kill());
  await child.status;
});
export const uses = job({ deps: [api], inputs: ["src/**"] }, (ctx) => {
  ctx.log("ran uses");
  ctx.log(\`api is \${ctx.result(api)}\`);
});
`;
  const dir = await project({ "tasks.ts": tasks, "src/x.txt": "1" });
  const session = new WatchSession(dir);
  try {
    await session.waitForRun(1, 60_000);
    await write(dir, "src/x.txt", "2");
    await session.waitForRun(2, 60_000);
    assertEquals(session.ran(2).sort(), ["leaves", "nodeLeaves", "uses"]);
    for (const [file, job] of [["leaves.pids", "leaves"], ["node.pids", "nodeLeaves"]] as const) {
      const pids = pidsIn(dir, file);
      assertEquals(pids.length, 2, file);
      // Each run's stray was stopped at that run's end: none is left after two runs.
      assertEquals(pids.filter(alive), [], `${job}'s strays`);
      for (const [n, pid] of pids.entries()) {
        const found = strays(session.runs[n]!).filter((e) => e.job === job);
        assertEquals(found.length, 1, `run ${n + 1}: ${JSON.stringify(strays(session.runs[n]!))}`);
        assertMatch(
          found[0]!.message,
          new RegExp(
            `^Job "${job}" started sleep ${mark} \\(pid ${pid}\\) without ctx\\.sh, which was still running when the run ended: gather stopped it \\(SIGTERM\\)$`,
          ),
        );
        // Reported in its own run, before that run's end.
        const runEnd = session.runs[n]!.findIndex((e) => e.type === "run:end");
        assert(session.runs[n]!.indexOf(found[0]!) < runEnd, `run ${n + 1}: before run:end`);
      }
    }
    // The service's process runs on, kept from run 1, and no run reported it.
    const [service, ...more] = pidsIn(dir, "api.pids");
    assertEquals(more, []);
    assert(alive(service!), "the service's own process runs on");
    assertEquals(
      session.runs.flatMap(strays).filter((e) => e.job !== "leaves" && e.job !== "nodeLeaves"),
      [],
    );
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    const all = ["leaves.pids", "node.pids", "api.pids"].flatMap((file) => pidsIn(dir, file));
    const left = all.filter(alive);
    killAll(left);
    assertEquals(left, [], "nothing left after Ctrl-C");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--watch: a change while a job waits for a process it started without ctx.sh stops that process before the job runs again", async () => {
  const mark = uniqueSleep();
  // A dev server started by a raw spawn, its job waiting for it (and ignoring ctx.signal): the
  // rerun would find it still holding its port.
  const tasks = `
import { job } from "${MOD}";
export const dev = job({ inputs: ["src/**"] }, async (ctx) => {
  let survivor = "none";
  for (const line of (() => { try { return Deno.readTextFileSync("dev.pids"); } catch { return ""; } })().split("\\n")) {
    if (line === "") continue;
    try {
      const stat = Deno.readTextFileSync(\`/proc/\${line}/stat\`);
      if (stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z") survivor = line;
    } catch { /* gone */ }
  }
  const child = new Deno.Command("sleep", { args: ["${mark}"], stdout: "null", stderr: "null" }).spawn();
  Deno.writeTextFileSync("dev.pids", \`\${child.pid}\\n\`, { append: true });
  ctx.log(\`survivor: \${survivor}\`);
  await child.status;
});
`;
  const dir = await project({ "tasks.ts": tasks, "src/x.txt": "1" });
  const session = new WatchSession(dir, ["--grace", "30s"]);
  const survivors = () =>
    session.live.events.flatMap((e) =>
      e.type === "job:log" && e.line.startsWith("survivor:") ? [e.line] : []
    );
  try {
    await session.live.waitFor(() => survivors().length === 1, 60_000);
    await write(dir, "src/x.txt", "2");
    await session.live.waitFor(() => survivors().length === 2, 60_000);
    assertEquals(survivors(), ["survivor: none", "survivor: none"]);
    const [first, second] = pidsIn(dir, "dev.pids");
    assert(!alive(first!) && alive(second!), "the first run's process stopped, the second's runs");
    // Run 1 was cancelled by the change: its job's process was stopped then, under its name.
    const [stray, ...more] = strays(session.runs[0]!);
    assertEquals(more, []);
    assertEquals(stray?.job, "dev");
    assertMatch(
      stray?.message ?? "",
      new RegExp(
        `^Job "dev" started sleep ${mark} \\(pid ${first}\\) without ctx\\.sh, which was still running when the job was cancelled: gather stopped it \\(SIGTERM\\)$`,
      ),
    );
    assertEquals(end(session.runs[0]!, "dev")?.ignoredCancellation, undefined);
  } finally {
    const result = await session.stop();
    assertEquals(result.code, 130);
    const left = pidsIn(dir, "dev.pids").filter(alive);
    killAll(left);
    assertEquals(left, [], "nothing left after Ctrl-C");
    await Deno.remove(dir, { recursive: true });
  }
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`--watch: ${signal} during a run stops every process of it, those started without ctx.sh included, at once`, async () => {
    const mark = uniqueSleep();
    const tasks = `
import { spawn } from "node:child_process";
import { job } from "${MOD}";
const sleep = () => new Deno.Command("sleep", { args: ["${mark}"], stdout: "null", stderr: "null" });
const note = (pid: number) => Deno.writeTextFileSync("pids", \`\${pid}\\n\`, { append: true });
export const sh = job((ctx) => ctx.sh\`sh -c \${"echo $$ >> pids; exec sleep ${mark}"}\`);
export const escapes = job((ctx) =>
  ctx.sh\`sh -c \${"setsid sh -c 'echo $$ >> pids; exec sleep ${mark}' > /dev/null 2>&1 & wait"}\`
);
export const waits = job(async () => {
  const child = sleep().spawn();
  note(child.pid);
  await child.status;
});
export const node = job(async () => {
  const child = spawn("sleep", ["${mark}"], { stdio: "ignore" });
  note(child.pid!);
  await new Promise((resolve) => child.on("exit", resolve));
});
export const leaves = job(() => note(sleep().spawn().pid));
export const api = job({ service: true }, async (ctx) => {
  const child = sleep().spawn();
  note(child.pid);
  ctx.ready(child.pid);
  await child.status;
});
`;
    const dir = await project({ "tasks.ts": tasks });
    // A long grace period: a job still waiting for its process would be given up on only then.
    const session = new WatchSession(dir, ["-j", "8", "--grace", "60s"]);
    try {
      // Every process has started, the run is under way (nothing ends on its own).
      await until(() =>
        pidsIn(dir, "pids").length === 6 &&
        session.live.events.some((e) => e.type === "job:ready")
      );
      session.live.kill(signal);
      const result = await session.live.result();
      assertEquals(result.code, signal === "SIGINT" ? 130 : 143);
      assertEquals(pidsIn(dir, "pids").filter(alive), []);
      // The jobs waiting for their processes ended when those were stopped, not given up on.
      for (const job of ["waits", "node"]) {
        assertEquals(end(session.runs[0]!, job)?.ignoredCancellation, undefined, job);
      }
      const named = strays(session.runs[0]!).map((e) => e.job ?? "(no job)").sort();
      assertEquals(named.filter((job) => job !== "leaves"), ["api", "node", "waits"]);
    } finally {
      const left = pidsIn(dir, "pids").filter(alive);
      killAll(left);
      await Deno.remove(dir, { recursive: true });
    }
  });
}
