/**
 * The watch-mode benchmark: `gather --watch` on a small project (a job that
 * reads `src/`, an HTTP server as a service that reads `server/`), measuring
 * from the moment a file is saved: the rerun latency (until the affected
 * job's `job:start`) over many edits, and a service's restart (until its
 * `job:ready`: the old server stopped, the new one listening). Beside it,
 * `deno run --watch` restarts the same server (until its "listening" line),
 * interleaved with gather's restarts in the same run.
 *
 * @module
 */

import { TextLineStream } from "@std/streams/text-line-stream";
import type { BenchEnv } from "./env.ts";
import { join, OUT_DIR } from "./paths.ts";
import type { Section } from "./section.ts";
import { median, num, ratio } from "./stats.ts";

/**
 * The pause before each edit: saves a person makes. Changes that come within
 * 500 ms of the last batch's are taken as one burst and wait 500 ms of quiet.
 */
const EDIT_PAUSE_MS = 600;

/** Options of {@linkcode runWatchBench}. */
export interface WatchBenchOptions {
  /** Edits of the job's input, one after the other. */
  edits: number;
  /** Restarts of the service (and of `deno run --watch`). */
  restarts: number;
}

/** A process whose output lines are read as they come. */
class Lines {
  readonly lines: { text: string; at: number }[] = [];
  readonly child: Deno.ChildProcess;
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(argv: string[], cwd: string, stream: "stdout" | "stderr") {
    this.child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      cwd,
      stdin: "null",
      stdout: stream === "stdout" ? "piped" : "null",
      stderr: stream === "stderr" ? "piped" : "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    const readable = stream === "stdout" ? this.child.stdout : this.child.stderr;
    (async () => {
      const lines = readable.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream());
      for await (const text of lines) {
        this.lines.push({ text, at: Date.now() });
        this.#wake();
      }
      this.#ended = true;
      this.#wake();
    })();
  }

  /** Wait for a line, after `from` lines, that passes `test`; its index. */
  async next(from: number, test: (text: string) => boolean, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) if (test(this.lines[i]!.text)) return i;
      if (this.#ended) throw new Error("the process ended");
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

const SERVER = `const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(\`listening on http://127.0.0.1:\${port}\`),
}, () => new Response("ok"));
await server.finished;
`;

/**
 * Run the watch benchmark.
 *
 * @param env The bench's environment.
 * @param options How many edits and restarts.
 * @returns The section.
 */
export async function runWatchBench(env: BenchEnv, options: WatchBenchOptions): Promise<Section> {
  const root = join(OUT_DIR, "watch");
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const gatherDir = join(root, "gather");
  const denoDir = join(root, "deno");
  for (const dir of [gatherDir, denoDir]) {
    await Deno.mkdir(join(dir, "src"), { recursive: true });
    await Deno.mkdir(join(dir, "server"), { recursive: true });
    await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
    await Deno.writeTextFile(join(dir, "src", "x.txt"), "0\n");
    await Deno.writeTextFile(join(dir, "server", "server.ts"), SERVER);
  }
  await Deno.writeTextFile(
    join(gatherDir, "tasks.ts"),
    `import { job } from "${env.gather.modUrl}";
export const edit = job({ inputs: ["src/**"] }, (ctx) => ctx.log("edited"));
export const api = job(
  { service: { ready: { line: /listening on (http:\\S+)/ } }, inputs: ["server/**"] },
  (ctx) => ctx.exec(Deno.execPath(), ["run", "--allow-net", "server/server.ts"]),
);
`,
  );
  const deno = env.installed.deno;
  const problems: string[] = [];
  const latency: number[] = [];
  const gatherRestart: number[] = [];
  const denoRestart: number[] = [];
  const gather = new Lines(
    [deno, "run", "-A", env.gather.main, "--watch", "--reporter", "json", "--no-logs"],
    gatherDir,
    "stdout",
  );
  const watcher = new Lines(
    [deno, "run", "--watch", "--no-clear-screen", "--allow-net", "server/server.ts"],
    denoDir,
    "stdout",
  );
  const event = (text: string) => {
    try {
      return JSON.parse(text) as { type: string; job?: string; time: number; status?: string };
    } catch {
      return undefined;
    }
  };
  const waits = () => gather.lines.filter((line) => event(line.text)?.type === "watch:wait").length;
  try {
    await gather.next(0, (text) => event(text)?.type === "watch:wait");
    await watcher.next(0, (text) => text.startsWith("listening on"));
    env.log(`  ${options.edits} edits of src/x.txt`);
    for (let i = 1; i <= options.edits; i++) {
      await new Promise((resolve) => setTimeout(resolve, EDIT_PAUSE_MS)); // as saves come
      const runs = waits();
      const from = gather.lines.length;
      const saved = Date.now();
      await Deno.writeTextFile(join(gatherDir, "src", "x.txt"), `${i}\n`);
      const start = await gather.next(from, (text) => {
        const e = event(text);
        return e?.type === "job:start" && e.job === "edit";
      });
      latency.push(event(gather.lines[start]!.text)!.time - saved);
      await gather.next(from, () => waits() > runs);
    }
    env.log(`  ${options.restarts} restarts of the server, gather and deno run --watch in turn`);
    for (let i = 1; i <= options.restarts; i++) {
      await new Promise((resolve) => setTimeout(resolve, EDIT_PAUSE_MS));
      const runs = waits();
      let from = gather.lines.length;
      let saved = Date.now();
      await Deno.writeTextFile(join(gatherDir, "server", "data.txt"), `${i}\n`);
      const ready = await gather.next(from, (text) => {
        const e = event(text);
        return e?.type === "job:ready" && e.job === "api";
      });
      gatherRestart.push(event(gather.lines[ready]!.text)!.time - saved);
      await gather.next(from, () => waits() > runs);
      from = watcher.lines.length;
      saved = Date.now();
      await Deno.writeTextFile(join(denoDir, "server", "server.ts"), `${SERVER}// edit ${i}\n`);
      const listening = await watcher.next(from, (text) => text.startsWith("listening on"));
      denoRestart.push(watcher.lines[listening]!.at - saved);
    }
    for (const line of gather.lines) {
      const e = event(line.text);
      if (e?.type === "run:end" && e.status !== "ok") problems.push(`a run ended ${e.status}`);
    }
  } catch (error) {
    const last = gather.lines.slice(-5).map((line) => line.text.slice(0, 200)).join("\n    ");
    problems.push(
      `watch bench: ${
        (error as Error).message
      } after ${latency.length} edits and ${gatherRestart.length} restarts; gather's last lines:\n    ${last}`,
    );
  } finally {
    gather.child.kill("SIGINT");
    watcher.child.kill("SIGTERM");
    const status = await gather.child.status;
    await watcher.child.status;
    if (status.code !== 130) problems.push(`gather --watch exited ${status.code}, not 130`);
  }
  const rows = [
    ["gather: file saved → affected job started", latency],
    ["gather: service restart (saved → ready again)", gatherRestart],
    ["deno run --watch: restart (saved → listening)", denoRestart],
  ] as const;
  return {
    id: "watch",
    title: "Watch mode: rerun latency and a server's restart, gather --watch and deno run --watch",
    notes: [
      `${options.edits} edits, then ${options.restarts} restarts each, interleaved, ${EDIT_PAUSE_MS} ms apart; ms from the file write`,
      "gather's figures include its 100 ms debounce (--watch-debounce); a restart includes stopping the old server (its process tree gone) and starting a new one",
      `restart ×gather: ${
        ratio(median(denoRestart), median(gatherRestart))
      } (above 1: gather restarts faster)`,
    ],
    table: {
      headers: ["what", "median ms", "p95 ms", "min ms", "n"],
      rows: rows.map(([what, values]) => [
        what,
        num(median([...values])),
        num(p95(values)),
        num(values.length > 0 ? Math.min(...values) : undefined),
        String(values.length),
      ]),
    },
    problems,
    series: [],
    facts: {
      watchLatencyMedianMs: median([...latency]),
      watchLatencyP95Ms: p95(latency),
      serviceRestartMedianMs: median([...gatherRestart]),
      denoWatchRestartMedianMs: median([...denoRestart]),
    },
  };
}

/** The 95th percentile (nearest rank). */
function p95(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)];
}
