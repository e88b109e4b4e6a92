/**
 * "Machines" for the remote cache's tests: checkouts of one small project at
 * different paths (and depths), each with its own local cache, run by the
 * real CLI against a real `turborepo-remote-cache` server on loopback. Each
 * job appends its name to `runs.txt` when its function is called, so a hit
 * is proven by the function not running.
 *
 * @module
 */

import { join } from "../src/deps/path.ts";
import type { GatherEvent, JobEndEvent } from "../src/events.ts";
import {
  type RunningServer,
  serverMissing,
  type ServerOptions,
  startServer,
} from "../tools/remote-cache-server/server.ts";
import { gather, parseEvents, ROOT } from "./_cli.ts";

/** The cached jobs of the project. */
export const CACHED = ["compile", "docs", "lex", "parse"];
/** Every job of the project. */
export const ALL = [...CACHED, "publish"].sort();

/**
 * The task file: lex -> parse -> (compile, docs) -> publish; compile makes an
 * executable `build/app.bin`; publish is not cached. gather is imported by
 * its absolute URL, so every checkout holds the very same files.
 */
export const TASK_FILE = `import { job } from ${
  JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)
};

function ran(name: string) {
  Deno.writeTextFileSync("runs.txt", name + "\\n", { append: true });
}

export const lex = job({ inputs: ["src/**/*.txt"] }, (ctx) => {
  ran("lex");
  ctx.log("lexed", Deno.readTextFileSync("src/a.txt").trim());
  return { tokens: new Map([["a", 1]]), at: new Date(0) };
});

export const parse = job({ deps: [lex], inputs: ["grammar.txt"] }, (ctx) => {
  ran("parse");
  return [...ctx.result(lex).tokens.keys()].join(",") + "!";
});

export const compile = job({ deps: [parse], inputs: [], outputs: ["build/**"] }, async (ctx) => {
  ran("compile");
  await Deno.mkdir("build/lib", { recursive: true });
  await Deno.writeTextFile("build/app.bin", "#!/bin/sh\\necho " + ctx.result(parse) + "\\n");
  await Deno.chmod("build/app.bin", 0o755);
  await Deno.writeTextFile("build/lib/data.txt", "x".repeat(5000));
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

export default publish;
`;

/**
 * Make a checkout of the project.
 *
 * @param dir Where (made, with its parents).
 * @returns The folder.
 */
export async function checkout(dir: string): Promise<string> {
  await Deno.mkdir(join(dir, "src"), { recursive: true });
  await Deno.mkdir(join(dir, "docs"));
  await Deno.writeTextFile(join(dir, "deno.json"), "{}\n");
  await Deno.writeTextFile(join(dir, "src", "a.txt"), "alpha\n");
  await Deno.writeTextFile(join(dir, "grammar.txt"), "g1\n");
  await Deno.writeTextFile(join(dir, "docs", "index.md"), "# docs\n");
  await Deno.writeTextFile(join(dir, "tasks.ts"), TASK_FILE);
  return dir;
}

/** What a run did. */
export interface ProjectRun {
  code: number;
  /** The jobs whose function was called, sorted. */
  ran: string[];
  events: GatherEvent[];
  stderr: string;
  /** Each job's `job:end.cache`. */
  cache: Record<string, string>;
  /** The warnings' messages. */
  warnings: string[];
}

/**
 * Run gather in a checkout (JSON reporter, no logs).
 *
 * @param dir The checkout.
 * @param env Environment (the remote cache's settings).
 * @param args More arguments.
 * @returns What happened.
 */
export async function runIn(
  dir: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<ProjectRun> {
  await Deno.remove(join(dir, "runs.txt")).catch(() => {});
  const result = await gather(["--reporter", "json", "--no-logs", ...args], { cwd: dir, env });
  const ran = await Deno.readTextFile(join(dir, "runs.txt")).then(
    (text) => text.trim().split("\n").filter(Boolean).sort(),
    () => [],
  );
  const events = parseEvents(result.stdout);
  const cache: Record<string, string> = {};
  for (const event of events) {
    if (event.type === "job:end") cache[event.job] = (event as JobEndEvent).cache;
  }
  const warnings = events.flatMap((e) => e.type === "warning" ? [e.message] : []);
  return { code: result.code, ran, events, stderr: result.stderr, cache, warnings };
}

/**
 * The environment that points gather at a server.
 *
 * @param server The server.
 * @param extra More variables (a team, a signature key, another token).
 * @returns The environment.
 */
export function remoteEnv(
  server: { url: string; token: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    GATHER_REMOTE_CACHE_URL: server.url,
    GATHER_REMOTE_CACHE_TOKEN: server.token,
    GATHER_REMOTE_CACHE_TEAM: "",
    GATHER_REMOTE_CACHE_SIGNATURE_KEY: "",
    ...extra,
  };
}

/** What a server test gets. */
export interface ServerTestContext {
  /** The server. */
  server: RunningServer;
  /** A temporary folder for checkouts (removed after). */
  dir: string;
  /** Where the server keeps artifacts. */
  storage: string;
  /** The test's context, for steps. */
  t: Deno.TestContext;
}

/**
 * A test with its own server, started before and stopped (by pid) after,
 * in the same test. Skipped with a note when the server is not installed,
 * except in CI, where that is a failure.
 *
 * @param name The test's name.
 * @param options The server's options (its storage is made here).
 * @param fn The test.
 */
export function serverTest(
  name: string,
  options: Omit<ServerOptions, "storageDir">,
  fn: (context: ServerTestContext) => Promise<void>,
): void {
  const missing = serverMissing();
  const ignore = missing !== undefined && Deno.env.get("CI") !== "true";
  Deno.test({ name: ignore ? `${name} (skipped: ${missing})` : name, ignore }, async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "gather-remote-" });
    const storage = join(dir, "server-storage");
    try {
      const server = await startServer({ ...options, storageDir: storage });
      try {
        await fn({ server, dir, storage, t });
      } finally {
        await server.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/**
 * The artifacts a server holds for a team.
 *
 * @param storage The server's storage folder.
 * @param team The team.
 * @returns Their hashes, sorted.
 */
export function artifactsOf(storage: string, team = "gather"): string[] {
  try {
    return [...Deno.readDirSync(join(storage, team))]
      .map((entry) => entry.name)
      .filter((name) => !name.endsWith(".tag"))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The cache key of each cached job of a run.
 *
 * @param events The run's events.
 * @returns Keys by job.
 */
export function keysOf(events: GatherEvent[]): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const event of events) if (event.type === "job:cache") keys[event.job] = event.key;
  return keys;
}
