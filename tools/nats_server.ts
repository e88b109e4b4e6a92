/**
 * A real `nats-server -js` for the distributed runs' tests and the bench: on
 * 127.0.0.1, a free port (`-p -1`, read back from `--ports_file_dir`), its
 * own storage folder, ready when its monitoring port's `/healthz` answers,
 * stopped by its pid. Debian's package installs it (`apt-get install
 * nats-server`); `.ci/run` does.
 *
 * @module
 */

/** A running server. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  url: string;
  /** Its process id. */
  pid: number;
  /** Its folder (storage, ports file, log). */
  dir: string;
  /** Stop it (SIGTERM) and wait until it has exited. */
  stop(): Promise<void>;
  /** Kill it at once (SIGKILL) and wait until it has exited. */
  kill(): Promise<void>;
}

/**
 * Why the server cannot run here, or `undefined` when it can.
 *
 * @returns The reason.
 */
export function natsMissing(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat("/usr/sbin", "/usr/bin")) {
    try {
      if (dir !== "" && Deno.statSync(`${dir}/nats-server`).isFile) return undefined;
    } catch {
      // not there
    }
  }
  return "nats-server is not installed (apt-get install nats-server)";
}

/** The server's program: on the PATH, or where Debian puts it. */
function program(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (dir !== "" && Deno.statSync(`${dir}/nats-server`).isFile) return `${dir}/nats-server`;
    } catch {
      // not there
    }
  }
  return "/usr/sbin/nats-server";
}

/**
 * Start a server in a folder of its own.
 *
 * @param dir The folder (made if missing).
 * @param timeoutMs How long to wait for it to answer.
 * @param jetstream Whether JetStream is on (`-js`); off only to test what a server without it gives.
 * @returns The server.
 */
export async function startNats(
  dir: string,
  timeoutMs = 20_000,
  jetstream = true,
): Promise<NatsServer> {
  await Deno.mkdir(dir, { recursive: true });
  const child = new Deno.Command(program(), {
    args: [
      ...(jetstream ? ["-js", "-sd", `${dir}/store`] : []),
      "-a",
      "127.0.0.1",
      "-p",
      "-1",
      "-m",
      "-1",
      "--ports_file_dir",
      dir,
      "-l",
      `${dir}/nats.log`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const portsFile = `${dir}/nats-server_${child.pid}.ports`;
  const started = performance.now();
  let ports: { nats: string[]; monitoring: string[] } | undefined;
  let ready = false;
  while (!ready && performance.now() - started < timeoutMs) {
    try {
      ports ??= JSON.parse(await Deno.readTextFile(portsFile));
      const response = await fetch(`${ports!.monitoring[0]}/healthz`);
      ready = response.ok;
      await response.body?.cancel();
    } catch {
      // not yet
    }
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const end = async (signal: Deno.Signal) => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
    await status;
  };
  if (!ready || ports === undefined) {
    await end("SIGKILL");
    throw new Error(`nats-server did not become ready in ${timeoutMs}ms; see ${dir}/nats.log`);
  }
  return {
    url: ports.nats[0]!,
    pid: child.pid,
    dir,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}
