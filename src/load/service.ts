/**
 * A job's `service` option, checked and resolved: its ready probe (a line of
 * output, a TCP port, an HTTP URL, or `ctx.ready()`), its readiness timeout,
 * and the options a service cannot have.
 *
 * @module
 */

import { parseDuration } from "../duration.ts";
import type { GatherError } from "../errors.ts";
import type { JobOptions, ReadyProbe, ServiceSpec } from "../types.ts";

/** How long a service may take to be ready when it says nothing: 30 s. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;

/**
 * Resolve a job's `service` option.
 *
 * @param options The job's options.
 * @param fail Makes the error for a bad option: `Cannot schedule "<job>" in <file>: <message>`.
 * @returns The service, or `undefined` for a job that is not one.
 * @throws {GatherError} On a bad probe, `ready` outside `service`, or an option a service cannot have.
 *
 * @example Usage
 * ```ts
 * import { parseService } from "./service.ts";
 * import { GatherError } from "../errors.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const fail = (message: string) => new GatherError("BAD_OPTION", message);
 * const spec = parseService({ service: { ready: { port: 8000 }, timeout: "20s" } }, fail);
 * assertEquals(spec, { probe: { port: 8000 }, readyTimeoutMs: 20_000, probeText: "port 8000" });
 * assertThrows(() => parseService({ service: { ready: { line: "listening" } } } as never, fail));
 * ```
 */
export function parseService(
  options: Readonly<JobOptions>,
  fail: (message: string) => GatherError,
): ServiceSpec | undefined {
  const { service } = options;
  if ("ready" in options) {
    throw fail(
      `option "ready" belongs to a service: write service: { ready: ${
        shown((options as { ready: unknown }).ready)
      } }`,
    );
  }
  if (service === undefined || service === false) return undefined;
  if (service !== true && (typeof service !== "object" || service === null)) {
    throw fail(`option "service" must be true or { ready, timeout }, got ${shown(service)}`);
  }
  const settings = service === true ? {} : service;
  for (const key of Object.keys(settings)) {
    if (key !== "ready" && key !== "timeout") {
      throw fail(`option "service" has no "${key}": it takes ready and timeout`);
    }
  }
  const cannot: [keyof JobOptions, string][] = [
    ["outputs", `a service has no outputs: it is never cached, so remove "outputs"`],
    ["env", `a service is never cached, so "env" keys nothing: remove it`],
    ["retries", `a service is not retried: remove "retries"`],
    [
      "timeout",
      `a service runs until no job needs it: write service: { timeout } for how long it may take to be ready`,
    ],
  ];
  for (const [option, message] of cannot) {
    if (options[option] !== undefined) throw fail(message);
  }
  if (options.cache === true) throw fail(`a service is never cached: remove "cache"`);
  const probe = settings.ready === undefined ? undefined : parseProbe(settings.ready, fail);
  let readyTimeoutMs = DEFAULT_READY_TIMEOUT_MS;
  if (settings.timeout !== undefined) {
    try {
      readyTimeoutMs = parseDuration(settings.timeout);
    } catch (error) {
      throw fail(`option "service.timeout": ${(error as Error).message}`);
    }
  }
  const spec: ServiceSpec = { readyTimeoutMs, probeText: describeProbe(probe) };
  if (probe !== undefined) spec.probe = probe;
  return spec;
}

/**
 * A probe as people read it.
 *
 * @param probe The probe, or `undefined` for `ctx.ready()`.
 * @returns `line /re/`, `port 8000`, `url http://…` or `ctx.ready()`.
 *
 * @example Usage
 * ```ts
 * import { describeProbe } from "./service.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(describeProbe({ line: /listening on (\d+)/ }), "line /listening on (\\d+)/");
 * assertEquals(describeProbe(undefined), "ctx.ready()");
 * ```
 */
export function describeProbe(probe: ReadyProbe | undefined): string {
  if (probe === undefined) return "ctx.ready()";
  if ("line" in probe) return `line ${probe.line}`;
  if ("port" in probe) return `port ${probe.host ? `${probe.host}:` : ""}${probe.port}`;
  return `url ${probe.url}`;
}

const PROBE_SHAPES =
  `{ line: /pattern/ }, { port: 8000 } or { url: "http://127.0.0.1:8000/health" }`;

function parseProbe(value: unknown, fail: (message: string) => GatherError): ReadyProbe {
  if (typeof value !== "object" || value === null || value instanceof RegExp) {
    throw fail(`option "service.ready" must be ${PROBE_SHAPES}, got ${shown(value)}`);
  }
  const keys = Object.keys(value);
  const kinds = keys.filter((key) => key === "line" || key === "port" || key === "url");
  const extra = keys.filter((key) => !["line", "port", "url", "host"].includes(key));
  if (kinds.length !== 1 || extra.length > 0) {
    throw fail(`option "service.ready" must be one of ${PROBE_SHAPES}, got ${shown(value)}`);
  }
  const probe = value as { line?: unknown; port?: unknown; host?: unknown; url?: unknown };
  if ("line" in probe) {
    if (!(probe.line instanceof RegExp)) {
      throw fail(
        `option "service.ready.line" must be a RegExp, e.g. /listening on/, got ${
          shown(probe.line)
        }`,
      );
    }
    // A global or sticky flag would make test() remember where it stopped.
    const flags = probe.line.flags.replace(/[gy]/g, "");
    return { line: flags === probe.line.flags ? probe.line : new RegExp(probe.line, flags) };
  }
  if ("port" in probe) {
    const port = probe.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw fail(`option "service.ready.port" must be a port number 1-65535, got ${shown(port)}`);
    }
    if (probe.host !== undefined && (typeof probe.host !== "string" || probe.host === "")) {
      throw fail(`option "service.ready.host" must be a host name, got ${shown(probe.host)}`);
    }
    return probe.host === undefined ? { port } : { port, host: probe.host as string };
  }
  if ("host" in probe) throw fail(`option "service.ready.host" goes with a port: { port, host }`);
  const url = probe.url;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === "string" || url instanceof URL ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw fail(`option "service.ready.url" must be an http(s) URL, got ${shown(url)}`);
  }
  return { url: parsed.href };
}

function shown(value: unknown): string {
  if (typeof value === "string") return `a string ${JSON.stringify(value)}`;
  try {
    return Deno.inspect(value, { colors: false, depth: 2, breakLength: Infinity });
  } catch {
    return String(value);
  }
}
