/**
 * The Turborepo Remote Cache API (v8), the requests gather makes: `GET`,
 * `HEAD` and `PUT /v8/artifacts/:hash`, `GET /v8/artifacts/status`, `POST
 * /v8/artifacts/events`, with `Authorization: Bearer <token>` and the team
 * as `teamId` (a Vercel team id, `team_...`) or `slug` (anything else). Every
 * request has a timeout and follows the run's signal; every response body is
 * read or cancelled. Failures are {@linkcode RemoteCacheError}s, by kind.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import { Deadlines } from "./_deadlines.ts";

/** How the run reaches a remote cache. */
export interface RemoteCacheConfig {
  /** The server, e.g. `http://127.0.0.1:3000` (without `/v8`). */
  url: string;
  /** The bearer token (`GATHER_REMOTE_CACHE_TOKEN`). */
  token?: string;
  /** The team artifacts are stored under (`GATHER_REMOTE_CACHE_TEAM`). */
  team: string;
  /** The key artifacts are signed with (`GATHER_REMOTE_CACHE_SIGNATURE_KEY`): unsigned ones are refused. */
  signatureKey?: string;
  /** How long one request may take, in ms (`--remote-cache-timeout`). */
  timeoutMs: number;
  /** Download, never upload (`--remote-cache-read-only`). */
  readOnly: boolean;
}

/** Why a request failed. */
export type RemoteFailureKind =
  | "unreachable"
  | "timeout"
  | "auth"
  | "server"
  | "rejected"
  | "too-large"
  | "aborted";

/** A request to the remote cache that failed. */
export class RemoteCacheError extends Error {
  /** Why. */
  readonly kind: RemoteFailureKind;
  /** The HTTP status, when there was an answer. */
  readonly status: number | undefined;

  /**
   * Construct it.
   *
   * @param kind Why it failed.
   * @param message What happened, in words.
   * @param status The HTTP status, if any.
   */
  constructor(kind: RemoteFailureKind, message: string, status?: number) {
    super(message);
    this.name = "RemoteCacheError";
    this.kind = kind;
    this.status = status;
  }
}

/** A downloaded artifact. */
export interface Artifact {
  /** Its bytes. */
  body: Uint8Array;
  /** Its `x-artifact-tag` header, if any. */
  tag: string | null;
}

/** A hit or a miss, as turbo reports it to `POST /v8/artifacts/events`. */
export interface CacheUsageEvent {
  /** The run's id. */
  sessionId: string;
  /** Always `REMOTE` from gather. */
  source: "REMOTE";
  /** What happened. */
  event: "HIT" | "MISS";
  /** The artifact. */
  hash: string;
  /** The time the hit saved, in ms (0 on a miss). */
  duration: number;
}

const ARTIFACT_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * A client of one server.
 *
 * @example Usage
 * ```ts ignore
 * const client = new RemoteCacheClient({ url, token, team: "gather", timeoutMs: 5000, readOnly: false });
 * const artifact = await client.get(key); // undefined on a miss
 * ```
 */
export class RemoteCacheClient {
  #config: RemoteCacheConfig;
  #base: string;
  #query: string;
  #signal: AbortSignal | undefined;
  #headers: Record<string, string>;
  #wantsTags = false;
  #answeredPlainMiss = false;
  /** The requests in flight, each aborted at its timeout; the run's signal aborts them all. */
  #inFlight: Deadlines;

  /**
   * Set up requests to a server.
   *
   * @param config The server, token, team and timeout.
   * @param signal Aborting it abandons every request at once.
   */
  constructor(config: RemoteCacheConfig, signal?: AbortSignal) {
    this.#config = config;
    this.#base = `${config.url.replace(/\/+$/, "")}/v8/artifacts`;
    const param = config.team.startsWith("team_") ? "teamId" : "slug";
    this.#query = `?${param}=${encodeURIComponent(config.team)}`;
    this.#signal = signal;
    this.#inFlight = new Deadlines(config.timeoutMs);
    this.#headers = { "user-agent": `gather/${VERSION}` };
    if (config.token) this.#headers["authorization"] = `Bearer ${config.token}`;
    // One listener for the client, not one per request (nor AbortSignal.any per request).
    signal?.addEventListener("abort", () => {
      for (const request of [...this.#inFlight.requests()]) request.abort(signal.reason);
    }, { once: true });
  }

  /**
   * Whether the server said it serves only artifacts uploaded with a signature
   * (`turborepo-remote-cache` with `TURBO_REMOTE_CACHE_SIGNATURE_KEY` answers
   * a miss "Artifact tag not found"): known after a `GET` that missed.
   *
   * @returns `true` once a miss said so.
   */
  get wantsTags(): boolean {
    return this.#wantsTags;
  }

  /**
   * Whether a `GET` missed with a plain 404, not "Artifact tag not found":
   * the server does not keep signatures.
   *
   * @returns `true` once such a miss came.
   */
  get answeredPlainMiss(): boolean {
    return this.#answeredPlainMiss;
  }

  /**
   * The server's cache status: `enabled`, `disabled`, `over_limit` or `paused`.
   *
   * @returns The status.
   * @throws {RemoteCacheError} When the request fails.
   */
  async status(): Promise<string> {
    return await this.#send(
      `${this.#base}/status${this.#query}`,
      { method: "GET" },
      async (response) => {
        if (!response.ok) return await this.#fail(response, "GET status");
        const body = await response.json().catch(() => undefined);
        return typeof body?.status === "string" ? body.status : "unknown";
      },
    );
  }

  /**
   * Whether an artifact exists (`HEAD`): checks the token too.
   *
   * @param hash The artifact's hash.
   * @returns `true` when it exists.
   * @throws {RemoteCacheError} When the request fails.
   */
  async has(hash: string): Promise<boolean> {
    return await this.#send(this.#artifact(hash), { method: "HEAD" }, async (response) => {
      if (response.status === 404 || response.ok) {
        await response.body?.cancel();
        return response.ok;
      }
      return await this.#fail(response, "HEAD");
    });
  }

  /**
   * Download an artifact.
   *
   * @param hash The artifact's hash.
   * @returns It, or `undefined` when the server has none.
   * @throws {RemoteCacheError} When the request fails.
   */
  async get(hash: string): Promise<Artifact | undefined> {
    return await this.#send(this.#artifact(hash), { method: "GET" }, async (response) => {
      if (response.status === 404) {
        const said = await response.text().catch(() => "");
        if (/artifact tag not found/i.test(said)) this.#wantsTags = true;
        else this.#answeredPlainMiss = true;
        return undefined;
      }
      if (!response.ok) return await this.#fail(response, "GET");
      return { body: await response.bytes(), tag: response.headers.get("x-artifact-tag") };
    });
  }

  /**
   * Upload an artifact.
   *
   * @param hash The artifact's hash.
   * @param body Its bytes.
   * @param options How long the job took, and its signature.
   * @throws {RemoteCacheError} When the request fails.
   */
  async put(
    hash: string,
    body: Uint8Array,
    options: { durationMs: number; tag?: string },
  ): Promise<void> {
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "x-artifact-duration": String(Math.max(0, Math.round(options.durationMs))),
    };
    if (options.tag !== undefined) headers["x-artifact-tag"] = options.tag;
    await this.#send(
      this.#artifact(hash),
      { method: "PUT", headers, body: body as Uint8Array<ArrayBuffer> },
      async (response) => {
        if (!response.ok) return await this.#fail(response, "PUT");
        await response.body?.cancel();
      },
    );
  }

  /**
   * Report hits and misses, as turbo does (servers may ignore them).
   *
   * @param events The events.
   * @throws {RemoteCacheError} When the request fails.
   */
  async events(events: readonly CacheUsageEvent[]): Promise<void> {
    await this.#send(`${this.#base}/events${this.#query}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(events),
    }, async (response) => {
      if (!response.ok) return await this.#fail(response, "POST events");
      await response.body?.cancel();
    });
  }

  #artifact(hash: string): string {
    if (!ARTIFACT_ID.test(hash) || hash === "status" || hash === "events") {
      throw new RangeError(`Cannot name an artifact ${JSON.stringify(hash)}`);
    }
    return `${this.#base}/${hash}${this.#query}`;
  }

  /**
   * Send a request and read its answer, both within the timeout; the run's
   * signal abandons it.
   */
  async #send<T>(
    url: string,
    init: RequestInit & { headers?: Record<string, string> },
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    if (this.#signal?.aborted) throw new RemoteCacheError("aborted", "the run was interrupted");
    const request = new AbortController();
    this.#inFlight.add(request);
    try {
      const headers = init.headers ? { ...this.#headers, ...init.headers } : this.#headers;
      return await read(await fetch(url, { ...init, headers, signal: request.signal }));
    } catch (error) {
      throw error instanceof RemoteCacheError ? error : this.#transport(error);
    } finally {
      this.#inFlight.delete(request);
    }
  }

  #transport(error: unknown): RemoteCacheError {
    if (this.#signal?.aborted) return new RemoteCacheError("aborted", "the run was interrupted");
    const name = (error as Error)?.name;
    if (name === "TimeoutError" || name === "AbortError") {
      return new RemoteCacheError("timeout", `no answer within ${this.#config.timeoutMs} ms`);
    }
    // Deno says "fetch failed"; what failed is in the cause.
    const cause = (error as Error)?.cause as Error | undefined;
    const message = String(cause?.message ?? (error as Error)?.message ?? error);
    const detail = /connection refused/i.test(message)
      ? "connection refused"
      : message.replace(/^error sending request for url \([^)]*\): /, "")
        .replace(/^client error \(Connect\): /, "");
    return new RemoteCacheError("unreachable", detail);
  }

  async #fail(response: Response, what: string): Promise<never> {
    const text = await response.text().catch(() => "");
    let said = text.slice(0, 200);
    try {
      said = JSON.parse(text)?.message ?? said;
    } catch {
      // not JSON: the text itself
    }
    const status = response.status;
    const kind: RemoteFailureKind = status === 401 || status === 403
      ? "auth"
      : status === 400 && /authori[sz]ation/i.test(said)
      ? "auth"
      : status === 413
      ? "too-large"
      : status >= 500
      ? "server"
      : "rejected";
    const detail = said ? `: ${said}` : "";
    throw new RemoteCacheError(kind, `${what} answered HTTP ${status}${detail}`, status);
  }
}
