/**
 * Readiness probes for services: wait until a TCP port accepts connections
 * or an HTTP URL answers 2xx/3xx, polling with a short backoff; and, before a
 * service starts, tell whether its port is already taken, and by which
 * process (Linux: `/proc/net/tcp` and the processes' sockets).
 *
 * @module
 */

/** Options of {@linkcode waitForPort} and {@linkcode waitForUrl}. */
export interface ProbeOptions {
  /** Stop probing when it aborts (the promise then rejects with its reason). */
  signal: AbortSignal;
  /** Told what each failed attempt saw: `connection refused`, `answered 503`, ... */
  onMiss?: (why: string) => void;
  /** The first pause between attempts, in ms; it doubles up to `maxIntervalMs`. @default {10} */
  intervalMs?: number;
  /** The longest pause between attempts, in ms. @default {200} */
  maxIntervalMs?: number;
}

/**
 * Wait until a TCP port accepts a connection.
 *
 * @param host The host.
 * @param port The port.
 * @param options Cancellation, and what failed attempts saw.
 * @returns Once a connection was accepted (and closed again).
 * @throws The signal's reason when it aborts first.
 *
 * @example Usage
 * ```ts
 * import { waitForPort } from "./probe.ts";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepting = listener.accept().then((conn) => conn.close());
 * await waitForPort("127.0.0.1", (listener.addr as Deno.NetAddr).port, { signal: AbortSignal.timeout(5000) });
 * await accepting;
 * listener.close();
 * ```
 */
export async function waitForPort(
  host: string,
  port: number,
  options: ProbeOptions,
): Promise<void> {
  await poll(options, async () => {
    const attempt = AbortSignal.any([options.signal, AbortSignal.timeout(2000)]);
    try {
      const conn = await Deno.connect({ hostname: host, port, signal: attempt });
      conn.close();
      return undefined;
    } catch (error) {
      return missOf(error);
    }
  });
}

/**
 * Wait until an HTTP URL answers with a status from 200 to 399 (redirects
 * are not followed: a 3xx answer is an answer).
 *
 * @param url The URL.
 * @param options Cancellation, and what failed attempts saw.
 * @returns Once it answered.
 * @throws The signal's reason when it aborts first.
 *
 * @example Usage
 * ```ts
 * import { waitForUrl } from "./probe.ts";
 *
 * const server = Deno.serve({ port: 0, onListen() {} }, () => new Response("ok"));
 * await waitForUrl(`http://127.0.0.1:${server.addr.port}/`, { signal: AbortSignal.timeout(5000) });
 * await server.shutdown();
 * ```
 */
export async function waitForUrl(url: string, options: ProbeOptions): Promise<void> {
  await poll(options, async () => {
    const attempt = AbortSignal.any([options.signal, AbortSignal.timeout(2000)]);
    try {
      const response = await fetch(url, { redirect: "manual", signal: attempt });
      await response.body?.cancel();
      return response.status >= 200 && response.status < 400
        ? undefined
        : `it answered ${response.status}`;
    } catch (error) {
      return missOf(error);
    }
  });
}

/**
 * Whether something already accepts connections on a port, and what.
 *
 * @param host The host.
 * @param port The port.
 * @returns `undefined` when the port is free, else who holds it: `process 1234 (python3)`
 *   when it can be found, else `another process`.
 *
 * @example Usage
 * ```ts
 * import { portTakenBy } from "./probe.ts";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = (listener.addr as Deno.NetAddr).port;
 * assertStringIncludes((await portTakenBy("127.0.0.1", port)) ?? "", `process ${Deno.pid}`);
 * listener.close();
 * assertEquals(await portTakenBy("127.0.0.1", port), undefined);
 * ```
 */
export async function portTakenBy(host: string, port: number): Promise<string | undefined> {
  try {
    const conn = await Deno.connect({ hostname: host, port, signal: AbortSignal.timeout(1000) });
    conn.close();
  } catch {
    return undefined;
  }
  return listenerOf(port) ?? "another process";
}

async function poll(options: ProbeOptions, attempt: () => Promise<string | undefined>) {
  const { signal } = options;
  let pause = options.intervalMs ?? 10;
  const longest = options.maxIntervalMs ?? 200;
  for (;;) {
    signal.throwIfAborted();
    const miss = await attempt();
    signal.throwIfAborted();
    if (miss === undefined) return;
    options.onMiss?.(miss);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pause);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
    pause = Math.min(longest, pause * 2);
  }
}

function missOf(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Error && error.name === "TimeoutError") return "no answer within 2s";
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.slice(0, 200);
}

/** The process that listens on a TCP port, from `/proc` (Linux), if it can be found. */
function listenerOf(port: number): string | undefined {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is fields[1] (ADDR:PORT in hex), st is fields[3] (0A: LISTEN), inode fields[9].
      if (fields[3] === "0A" && fields[1]?.endsWith(`:${hexPort}`) && fields[9]) {
        inodes.add(`socket:[${fields[9]}]`);
      }
    }
  }
  if (inodes.size === 0) return undefined;
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        for (const fd of Deno.readDirSync(`/proc/${entry.name}/fd`)) {
          if (inodes.has(linkOf(`/proc/${entry.name}/fd/${fd.name}`))) {
            const name = Deno.readTextFileSync(`/proc/${entry.name}/comm`).trim();
            return `process ${entry.name} (${name})`;
          }
        }
      } catch {
        // gone, or not ours to read
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** Where a `/proc/<pid>/fd/<n>` link points; "" for a descriptor closed since it was listed. */
function linkOf(path: string): string {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return "";
  }
}
