/**
 * A real Turborepo Remote Cache API server for tests and the bench: the npm
 * package `turborepo-remote-cache` (pinned in `package.json` beside this
 * file, installed by `.ci/run` with `npm ci --prefix tools/remote-cache-server`),
 * run with Node on a free loopback port, with filesystem storage in a folder
 * of its own. Stopped by its pid: SIGTERM, then SIGKILL after a grace period
 * (its graceful close sometimes hangs on keep-alive connections).
 *
 * @module
 */

/** Where the server's entry point is once installed. */
export const SERVER_CLI: string = new URL(
  "./node_modules/turborepo-remote-cache/dist/cli.js",
  import.meta.url,
).pathname;

/** The command that installs the server. */
export const INSTALL_HINT = "npm ci --prefix tools/remote-cache-server";

/** Options of {@linkcode startServer}. */
export interface ServerOptions {
  /** Where artifacts are stored (made if missing). */
  storageDir: string;
  /** The token it accepts. @default {"test-token"} */
  token?: string;
  /** Keep `x-artifact-tag` headers (the server's `TURBO_REMOTE_CACHE_SIGNATURE_KEY`; it never checks them). @default {false} */
  keepTags?: boolean;
  /** How long to wait for it to answer, in ms. @default {20000} */
  readyTimeoutMs?: number;
  /** How long SIGTERM gets before SIGKILL, in ms. @default {2000} */
  stopGraceMs?: number;
}

/** A running server. */
export interface RunningServer {
  /** Its URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Its process id. */
  pid: number;
  /** The token it accepts. */
  token: string;
  /** Where a stored artifact's bytes are on disk (its tag is beside it, with `.tag`). */
  artifactPath(team: string, hash: string): string;
  /** Stop it and wait until it has exited. */
  stop(): Promise<void>;
  /** Kill it at once (SIGKILL) and wait until it has exited. */
  kill(): Promise<void>;
}

/**
 * Whether the server is installed (and Node is there to run it).
 *
 * @returns `undefined` when it can run, else why not.
 *
 * @example Usage
 * ```ts ignore
 * Deno.test({ name: "...", ignore: serverMissing() !== undefined }, async () => {});
 * ```
 */
export function serverMissing(): string | undefined {
  try {
    Deno.statSync(SERVER_CLI);
  } catch {
    return `turborepo-remote-cache is not installed (${INSTALL_HINT})`;
  }
  const path = Deno.env.get("PATH") ?? "";
  const node = path.split(":").some((dir) => {
    try {
      return dir !== "" && Deno.statSync(`${dir}/node`).isFile;
    } catch {
      return false;
    }
  });
  return node ? undefined : "node is not on the PATH";
}

/**
 * Start a server on a free loopback port and wait until it answers.
 *
 * @param options Storage, token, whether to keep tags.
 * @returns The running server.
 * @throws {Error} When it exits or does not answer in time (it is stopped first).
 *
 * @example Usage
 * ```ts ignore
 * const server = await startServer({ storageDir: await Deno.makeTempDir() });
 * try {
 *   // GATHER_REMOTE_CACHE_URL=server.url GATHER_REMOTE_CACHE_TOKEN=server.token gather ...
 * } finally {
 *   await server.stop();
 * }
 * ```
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const token = options.token ?? "test-token";
  await Deno.mkdir(options.storageDir, { recursive: true });
  const env: Record<string, string> = {
    // clearEnv: a TURBO_TOKEN, HOST or BODY_LIMIT of the caller's must not leak in.
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    NODE_ENV: "production", // "development" reads a .env file from the working folder
    HOST: "127.0.0.1",
    PORT: String(port),
    STORAGE_PROVIDER: "local",
    STORAGE_PATH: options.storageDir,
    STORAGE_PATH_USE_TMP_FOLDER: "false",
    TURBO_TOKEN: token,
    LOG_LEVEL: "warn",
  };
  if (options.keepTags) env["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = "keep-tags";
  const child = new Deno.Command("node", {
    args: [SERVER_CLI],
    env,
    clearEnv: true,
    cwd: options.storageDir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((value) => {
    exited = true;
    return value;
  });
  const end = async (signal: Deno.Signal) => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, options.stopGraceMs ?? 2_000);
      await status;
      clearTimeout(timer);
    }
    await stderr;
  };
  const url = `http://127.0.0.1:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) {
      await end("SIGTERM");
      throw new Error(`turborepo-remote-cache exited at start-up: ${(await stderr).slice(-500)}`);
    }
    try {
      const response = await fetch(`${url}/v8/artifacts/status`, {
        signal: AbortSignal.timeout(1_000),
      });
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await end("SIGTERM");
      throw new Error(`turborepo-remote-cache did not answer within ${readyTimeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url,
    pid: child.pid,
    token,
    artifactPath: (team, hash) => `${options.storageDir}/${team}/${hash}`,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}
