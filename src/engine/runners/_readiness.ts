/**
 * A service's readiness, as the in-process runner follows it: the ready
 * promise its dependents wait for, its probe (a line of output, a port, a
 * URL, or `ctx.ready()`), the readiness timeout, the last lines of its
 * output, and the messages that say why it failed.
 *
 * @module
 */

import { GatherError } from "../../errors.ts";
import { portTakenBy, waitForPort, waitForUrl } from "../../process/probe.ts";
import type { ServiceSpec } from "../../types.ts";

/** How many of a service's last output lines its failures show. */
const TAIL_LINES = 10;

/**
 * One service in a run, from its start to its end.
 *
 * @example Usage
 * ```ts
 * import { Readiness } from "./_readiness.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const service = new Readiness("api", {
 *   probe: { line: /listening on :(\d+)/ }, readyTimeoutMs: 1000, probeText: "line /listening/",
 * });
 * service.line("starting");
 * service.line("listening on :8000");
 * assertEquals(await service.promise, "8000");
 * service.dispose();
 * ```
 */
export class Readiness {
  /** Resolves with the ready value; never rejects (a service that fails is never ready). */
  readonly promise: Promise<unknown>;
  /** Whether it is ready. */
  isReady = false;
  /** Its ready value, once ready. */
  value: unknown = undefined;
  #name: string;
  #spec: ServiceSpec;
  #resolve!: (value: unknown) => void;
  #tail: string[] = [];
  #lines = 0;
  #miss: string | undefined;
  #probing = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Follow a service.
   *
   * @param name The job's name.
   * @param spec Its probe and readiness timeout.
   */
  constructor(name: string, spec: ServiceSpec) {
    this.#name = name;
    this.#spec = spec;
    this.promise = new Promise((resolve) => this.#resolve = resolve);
  }

  /** Whether its function says when it is ready (`ctx.ready()`), having no probe. */
  get manual(): boolean {
    return this.#spec.probe === undefined;
  }

  /**
   * Before the service starts: a port probe on a port another process holds
   * would pass at once, for the wrong server.
   *
   * @returns The error to fail with, when the port is taken.
   */
  async taken(): Promise<GatherError | undefined> {
    const probe = this.#spec.probe;
    let host: string | undefined;
    let port: number | undefined;
    if (probe !== undefined && "port" in probe) {
      [host, port] = [probe.host ?? "127.0.0.1", probe.port];
    } else if (probe !== undefined && "url" in probe) {
      const url = new URL(probe.url);
      [host, port] = [url.hostname.replace(/^\[|\]$/g, ""), Number(url.port) || defaultPort(url)];
    }
    if (host === undefined || port === undefined) return undefined;
    const holder = await portTakenBy(host, port);
    if (holder === undefined) return undefined;
    return new GatherError(
      "NOT_READY",
      `Service "${this.#name}" cannot become ready: port ${port} is already taken by ${holder}, so its probe (${this.#spec.probeText}) would pass for the wrong server; stop that process, or give the service another port`,
      { job: this.#name },
    );
  }

  /**
   * The service's attempt has started: start its probe and its readiness timeout.
   *
   * @param fail Aborts the attempt with the error when it is not ready in time.
   */
  start(fail: (error: GatherError) => void): void {
    this.#timer = setTimeout(() => {
      if (!this.isReady) fail(this.#notReadyError());
    }, this.#spec.readyTimeoutMs);
    const probe = this.#spec.probe;
    if (probe === undefined || "line" in probe) return;
    const options = { signal: this.#probing.signal, onMiss: (why: string) => this.#miss = why };
    const waiting = "port" in probe
      ? waitForPort(probe.host ?? "127.0.0.1", probe.port, options).then(() => probe.port)
      : waitForUrl(String(probe.url), options).then(() => String(probe.url));
    waiting.then((value) => this.#ready(value), () => {});
  }

  /**
   * A line of the service's output: kept for its messages, and tested by a line probe.
   *
   * @param line The line.
   */
  line(line: string): void {
    this.#lines++;
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    const probe = this.#spec.probe;
    if (this.isReady || probe === undefined || !("line" in probe)) return;
    const match = probe.line.exec(line);
    if (match) this.#ready(match[1] ?? match[0]);
  }

  /**
   * `ctx.ready(value)`.
   *
   * @param value The ready value.
   * @throws {TypeError} When the service has a probe.
   */
  manualReady(value: unknown): void {
    if (!this.manual) {
      throw new TypeError(
        `Service "${this.#name}" is ready when its probe (${this.#spec.probeText}) passes: remove ctx.ready(), or declare it with service: true and no ready probe`,
      );
    }
    this.#ready(value);
  }

  /**
   * Why a service that ended on its own failed, from what ended it.
   *
   * @param cause What its function threw, or `undefined` when it returned.
   * @returns The error: not ready (`NOT_READY`), or stopped on its own (`SERVICE_EXITED`).
   */
  endedError(cause: Error | undefined): GatherError {
    const how = cause === undefined ? "its function returned" : cause.message.split("\n")[0]!;
    const name = this.#name;
    if (!this.isReady) {
      return new GatherError(
        "NOT_READY",
        `Service "${name}" ended before it was ready (${this.#spec.probeText}): ${how}${this.#lastLines()}`,
        { job: name, ...(cause === undefined ? {} : { cause }) },
      );
    }
    return new GatherError(
      "SERVICE_EXITED",
      `Service "${name}" stopped on its own while it was needed: ${how}${this.#lastLines()}`,
      { job: name, ...(cause === undefined ? {} : { cause }) },
    );
  }

  /** Stop probing and the readiness timer. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#probing.abort();
  }

  #ready(value: unknown): void {
    if (this.isReady) return;
    this.isReady = true;
    this.value = value;
    this.dispose();
    this.#resolve(value);
  }

  #notReadyError(): GatherError {
    const probe = this.#spec.probe;
    const seconds = `${Math.round(this.#spec.readyTimeoutMs / 100) / 10}s`;
    const miss = this.#miss === undefined ? "" : ` (${this.#miss})`;
    const why = probe === undefined
      ? "its function did not call ctx.ready()"
      : "line" in probe
      ? `no line of its output matched ${probe.line}`
      : "port" in probe
      ? `port ${probe.port} did not accept connections${miss}`
      : `${probe.url} did not answer 2xx or 3xx${miss}`;
    return new GatherError(
      "NOT_READY",
      `Service "${this.#name}" was not ready after ${seconds}: ${why}${this.#lastLines()}`,
      { job: this.#name },
    );
  }

  /**
   * The end of a failure's message: on its first line, that it printed
   * nothing; else its last lines, on the lines after the first (which the
   * human reporters leave out when they print the job's output).
   */
  #lastLines(): string {
    if (this.#lines === 0) return "; it printed nothing";
    const earlier = this.#lines > this.#tail.length ? "last lines" : "output";
    return `\nits ${earlier}:\n${this.#tail.join("\n")}`;
  }
}

function defaultPort(url: URL): number {
  return url.protocol === "https:" ? 443 : 80;
}
