/**
 * The remote cache as a store behind the local one. On a local miss it
 * downloads the key's artifact, checks its signature (when a key is set),
 * the archive and every blob, and hands the entry to the cache runner, which
 * keeps the artifact in the local store (`pack.ts`) and restores it like a
 * local hit. After a job is stored locally, its entry is packed and uploaded in the
 * background, a few at a time; the run waits for them at its end, and its
 * signal abandons them.
 *
 * It never uploads over an artifact it refused for its signature (a machine
 * with another key must not push the team's out; one the run did not ask
 * for, under `--force`, is checked first), and without a key it
 * uploads nothing to a server that keeps signatures: that server serves only
 * signed artifacts, and an unsigned upload would replace a signed one's bytes
 * under its old tag. Without a key, signed artifacts are read unverified.
 *
 * It never fails a run: each cause of trouble (a server that is down, slow,
 * refuses the token or fails; an unsigned, tampered or unsafe artifact) gives
 * one warning, and the job runs locally. After repeated failed requests, or
 * a refused token, the server is not asked again for the rest of the run.
 *
 * @module
 */

import type { EventSink } from "../events.ts";
import { packEntry, unpackEntry } from "./archive.ts";
import { type BackingStore, type FetchedEntry, NOT_THERE } from "./backing.ts";
import {
  type CacheUsageEvent,
  RemoteCacheClient,
  type RemoteCacheConfig,
  RemoteCacheError,
} from "./remote_client.ts";
import { artifactTag, verifyArtifactTag } from "./signature.ts";
import type { Manifest } from "./entry.ts";
import { encodeRecord, parseRecord, recordKey } from "./discovered_record.ts";
import type { LocalStore } from "./store.ts";
import { Warnings } from "./_warnings.ts";

/** Options of {@linkcode RemoteStore}. */
export interface RemoteStoreOptions {
  /** Uploads at once. @default {4} */
  uploads?: number;
  /** Failed requests after which the server is not asked again this run. @default {3} */
  maxFailures?: number;
  /** The progress line appears when the uploads take longer than this at the end, in ms. @default {1000} */
  progressAfterMs?: number;
  /** Then it repeats this often, in ms. @default {5000} */
  progressEveryMs?: number;
}

/** What the remote cache did in a run. */
export interface RemoteCounts {
  /** Artifacts downloaded and used. */
  hits: number;
  /** Keys the server did not have. */
  misses: number;
  /** Artifacts refused (signature, damage, unsafe content). */
  refused: number;
  /** Artifacts uploaded. */
  uploaded: number;
  /** Their bytes. */
  uploadedBytes: number;
}

/**
 * A remote cache server behind the local store.
 *
 * @example Usage
 * ```ts ignore
 * const remote = new RemoteStore(config, new LocalStore(".gather/cache"));
 * const caching = new CachingRunner({ ...options, remote });
 * ```
 */
export class RemoteStore implements BackingStore {
  /** What it did this run. */
  readonly counts: RemoteCounts = { hits: 0, misses: 0, refused: 0, uploaded: 0, uploadedBytes: 0 };
  #config: RemoteCacheConfig;
  #store: LocalStore;
  #client: RemoteCacheClient;
  #emit: EventSink = () => {};
  #signal: AbortSignal | undefined;
  #uploads: number;
  #maxFailures: number;
  #progressAfterMs: number;
  #progressEveryMs: number;
  #warnings = new Warnings(() => this.#emit);
  #failures = 0;
  #off = false;
  #queue: Upload[] = [];
  #active = 0;
  #idle: (() => void)[] = [];
  #usage: CacheUsageEvent[] = [];
  /** Uploads someone waits for (a distributed run), by key: resolved with whether it was uploaded. */
  #shared = new Map<string, { done: Promise<boolean>; resolve: (ok: boolean) => void }>();
  #sessionId = crypto.randomUUID();
  /**
   * Keys not to upload over: their artifact was refused for its signature, or
   * (without a key) it is signed, by someone this machine cannot check.
   */
  #keepOff = new Set<string>();
  /** Artifacts whose signature this machine checked, this run. */
  #verified = 0;
  /** The first job whose artifact was refused for its signature before any artifact verified. */
  #unsure: string | undefined;
  /** Keys asked for this run (a hit, a miss, or refused). */
  #asked = new Set<string>();
  /** Why the last download of a key brought nothing, by key (see `whyMissing`). */
  #missing = new Map<string, string>();
  /** Without a key: the server keeps signatures (a tag came, or a miss said so). */
  #serverSigns = false;
  /** Without a key: the request that asks whether the server keeps signatures, once. */
  #probe: Promise<void> | undefined;

  /**
   * Set up the remote cache for a run.
   *
   * @param config The server, token, team, signature key, timeout and mode.
   * @param store The local store artifacts are unpacked into and packed from.
   * @param options Upload concurrency, failure limit, progress timing.
   */
  constructor(config: RemoteCacheConfig, store: LocalStore, options: RemoteStoreOptions = {}) {
    this.#config = config;
    this.#store = store;
    this.#client = new RemoteCacheClient(config);
    this.#uploads = options.uploads ?? 4;
    this.#maxFailures = options.maxFailures ?? 3;
    this.#progressAfterMs = options.progressAfterMs ?? 1000;
    this.#progressEveryMs = options.progressEveryMs ?? 5000;
  }

  open(emit: EventSink, signal?: AbortSignal): void {
    this.#emit = emit;
    this.#signal = signal;
    this.#client = new RemoteCacheClient(this.#config, signal);
    const key = this.#config.signatureKey;
    if (key !== undefined && new TextEncoder().encode(key).length < 32) {
      this.#warnings.say(
        "GATHER_REMOTE_CACHE_SIGNATURE_KEY is shorter than 32 bytes: use a long random key (e.g. `openssl rand -hex 32`)",
      );
    }
  }

  async fetch(key: string, job: string): Promise<FetchedEntry | undefined> {
    const body = await this.#download(key, job, true);
    if (body === undefined) return undefined;
    let entry;
    try {
      entry = await unpackEntry(body, key, await this.#store.hasher());
    } catch (error) {
      this.counts.refused++;
      this.#missing.set(key, `its artifact was refused (${(error as Error).message})`);
      this.#warnings.once(
        "archive",
        `remote cache: refused the artifact for "${job}" (${(error as Error).message}), and ran it`,
        job,
      );
      return undefined;
    }
    this.counts.hits++;
    this.#usage.push(this.#event("HIT", key, entry.manifest.durationMs));
    return { ...entry, artifact: body };
  }

  async fetchRecord(primary: string, job: string): Promise<string[][] | undefined> {
    const key = recordKey(primary, await this.#store.hasher());
    const body = await this.#download(key, job, false);
    if (body === undefined) {
      // A record refused (its signature) or not fetched: that is why the job's entry is missing.
      const why = this.#missing.get(key);
      if (why !== undefined && why !== NOT_THERE) this.#missing.set(primary, why);
      return undefined;
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(body);
    } catch {
      text = "";
    }
    const sets = parseRecord(text, primary);
    if (sets === undefined) {
      this.counts.refused++;
      this.#warnings.once(
        "record",
        `remote cache: refused the record of the files "${job}" read (not a record of its key), and ran it`,
        job,
      );
    }
    return sets;
  }

  async storedRecord(
    primary: string,
    sets: readonly (readonly string[])[],
    job: string,
  ): Promise<string | undefined> {
    if (this.#config.readOnly || this.#off || this.#signal?.aborted) return undefined;
    const key = recordKey(primary, await this.#store.hasher());
    const body = new TextEncoder().encode(encodeRecord(primary, sets));
    this.#enqueue({ key, job, durationMs: 0, body: () => Promise.resolve(body) });
    return key;
  }

  /**
   * Download an artifact and check its signature (when a key is set): its
   * bytes, or `undefined` for a miss or an artifact refused (said once).
   * `entry`: the artifact of an entry (counted as a hit or a miss), not a record.
   */
  async #download(key: string, job: string, entry: boolean): Promise<Uint8Array | undefined> {
    if (this.#off || this.#signal?.aborted) {
      this.#missing.set(
        key,
        `remote cache ${this.#config.url}: turned off for this run (see its warning)`,
      );
      return undefined;
    }
    this.#asked.add(key);
    let artifact;
    try {
      artifact = await this.#client.get(key);
    } catch (error) {
      this.#missing.set(
        key,
        error instanceof RemoteCacheError
          ? this.#describe(error)
          : `remote cache ${this.#config.url}: ${(error as Error)?.message ?? error}`,
      );
      this.#failed(error);
      return undefined;
    }
    const signatureKey = this.#config.signatureKey;
    if (artifact === undefined) {
      this.#missing.set(key, NOT_THERE);
      if (entry) {
        this.counts.misses++;
        this.#usage.push(this.#event("MISS", key, 0));
      }
      if (signatureKey === undefined && this.#client.wantsTags) this.#unverified();
      return undefined;
    }
    if (signatureKey === undefined) {
      // A tag this machine cannot check: the server keeps signatures, so it serves only signed
      // artifacts, never this machine's own; and what it holds here is someone's signed one.
      if (artifact.tag !== null) {
        this.#unverified();
        this.#keepOff.add(key);
      }
    } else {
      const valid = artifact.tag !== null &&
        await verifyArtifactTag(signatureKey, key, this.#config.team, artifact.body, artifact.tag);
      if (!valid) {
        this.counts.refused++;
        this.#keepOff.add(key);
        this.#missing.set(
          key,
          artifact.tag === null
            ? "its artifact was refused for its signature: it is unsigned, and this machine checks signatures"
            : "its artifact was refused for its signature: it was signed with another GATHER_REMOTE_CACHE_SIGNATURE_KEY than this machine's (or tampered with)",
        );
        if (artifact.tag === null) {
          this.#warnings.once(
            "unsigned",
            `remote cache: refused an unsigned artifact (no x-artifact-tag) for "${job}", and ran it: is TURBO_REMOTE_CACHE_SIGNATURE_KEY set on the server? (artifacts refused for their signature are not uploaded over)`,
            job,
          );
        } else if (this.#verified > 0) this.#badSignature(job);
        else this.#unsure ??= job; // said once it is known whether any artifact verifies
        return undefined;
      }
      this.#verified++;
      if (this.#unsure !== undefined) this.#badSignature(this.#unsure);
    }
    return artifact.body;
  }

  /**
   * Say an artifact was refused for its signature: signed with another key
   * (or tampered with). Only when none of the run's artifacts verified is it
   * this machine's key that differs (said at the run's end, see `flush`).
   */
  #badSignature(job: string, none = false): void {
    this.#unsure = undefined;
    this.#warnings.once(
      "bad-signature",
      none
        ? `remote cache: refused an artifact whose signature does not match for "${job}", and ran it: none of this run's artifacts verified, so this machine's key differs from the one these artifacts were signed with (GATHER_REMOTE_CACHE_SIGNATURE_KEY must be the same on every machine), or they were tampered with; this machine does not upload over them`
        : `remote cache: refused an artifact whose signature does not match for "${job}", and ran it: it was signed with another GATHER_REMOTE_CACHE_SIGNATURE_KEY than this run's other artifacts (a machine with another key uploaded it), or tampered with; this machine does not upload over it`,
      job,
    );
  }

  whyNotShared(key: string): string | undefined {
    if (!this.#keepOff.has(key)) return undefined;
    return this.#config.signatureKey === undefined
      ? "the artifact on the remote cache under its key is signed, and this machine, without GATHER_REMOTE_CACHE_SIGNATURE_KEY, does not upload over it"
      : "the artifact on the remote cache under its key was signed with another GATHER_REMOTE_CACHE_SIGNATURE_KEY than this machine's (or tampered with), and this machine does not upload over it";
  }

  whyMissing(key: string): string | undefined {
    return this.#missing.get(key);
  }

  async has(key: string, _job: string): Promise<boolean> {
    if (this.#off || this.#signal?.aborted) return false;
    try {
      return await this.#client.has(key);
    } catch (error) {
      this.#failed(error);
      return false;
    }
  }

  stored(manifest: Manifest): void {
    if (this.#config.readOnly || this.#off || this.#signal?.aborted) return;
    this.#enqueue({
      key: manifest.key,
      job: manifest.job,
      durationMs: manifest.durationMs,
      body: () => packEntry(this.#store.blobsOf(manifest), manifest),
    });
  }

  /** Queue an upload, unless its key may not be uploaded to. */
  #enqueue(upload: Upload): void {
    const key = upload.key;
    if (!this.#mayUpload(key)) {
      this.#shared.get(key)?.resolve(false);
      this.#shared.set(key, { done: Promise.resolve(false), resolve: () => {} });
      return;
    }
    let resolve = (_ok: boolean) => {};
    const done = new Promise<boolean>((wake) => resolve = wake);
    this.#shared.get(key)?.resolve(false);
    this.#shared.set(key, { done, resolve });
    this.#queue.push(upload);
    this.#pump();
  }

  /**
   * Whether an entry may go up under its key. Never over an artifact refused
   * for its signature (a machine with another key, or a tampered artifact,
   * must not replace the team's), and never from a machine without a key to
   * a server that keeps signatures: it serves only signed artifacts, so an
   * unsigned upload is never served back, and it would replace the body of
   * a signed artifact under the old tag.
   */
  #mayUpload(key: string): boolean {
    if (this.#keepOff.has(key)) return false;
    if (this.#config.signatureKey !== undefined) return true;
    if (this.#client.wantsTags) this.#serverSigns = true;
    return !this.#serverSigns;
  }

  /** Without a key, against a server that keeps signatures: say once what that means. */
  #unverified(): void {
    this.#serverSigns = true;
    this.#warnings.once(
      "unverified",
      "remote cache: artifacts are read without verifying their signatures (no GATHER_REMOTE_CACHE_SIGNATURE_KEY here), and this machine's own uploads are never served back by this server, so it makes none",
    );
  }

  whenShared(key: string): Promise<boolean> {
    return this.#shared.get(key)?.done ?? Promise.resolve(false);
  }

  /** An upload ended (or was dropped): wake whoever waits for it. */
  #settle(key: string, ok: boolean): void {
    this.#shared.get(key)?.resolve(ok); // kept: a dependent may ask after the upload ended
  }

  #dropQueue(): void {
    for (const upload of this.#queue.splice(0)) this.#settle(upload.key, false);
  }

  async flush(): Promise<void> {
    const usage = this.#usage.splice(0);
    const reported = usage.length > 0 && !this.#off && !this.#signal?.aborted
      ? this.#client.events(usage).catch(() => {}) // servers may not keep them: never a warning
      : undefined;
    if (this.#active > 0 || this.#queue.length > 0) await this.#waitForUploads();
    // An upload checks what the server holds first: its refusals are in by now.
    if (this.#unsure !== undefined) this.#badSignature(this.#unsure, this.#verified === 0);
    if (!this.#signal?.aborted) await reported;
  }

  #pump(): void {
    if (this.#off || this.#signal?.aborted) this.#dropQueue();
    while (this.#active < this.#uploads && this.#queue.length > 0) {
      const upload = this.#queue.shift()!;
      this.#active++;
      this.#upload(upload).then((ok) => this.#settle(upload.key, ok)).finally(() => {
        this.#active--;
        this.#pump();
        if (this.#active === 0 && this.#queue.length === 0) {
          for (const wake of this.#idle.splice(0)) wake();
        }
      });
    }
  }

  async #upload(upload: Upload): Promise<boolean> {
    if (
      this.#config.signatureKey === undefined && !this.#serverSigns &&
      !this.#client.answeredPlainMiss
    ) {
      // Without a key, learn whether the server keeps signatures before the first upload (a
      // `--force` run asks for nothing): a miss on a key no artifact has says so. A miss this
      // run already had said it does not.
      if (this.#off || this.#signal?.aborted) return false;
      this.#probe ??= this.#client.get(PROBE).then((probe) => {
        if (probe?.tag != null || this.#client.wantsTags) this.#unverified();
      }, (error) => this.#failed(error));
      await this.#probe;
      if (this.#off) return false;
    }
    if (this.#config.signatureKey !== undefined && !this.#asked.has(upload.key)) {
      // Not asked for this run (`--force`): what the server holds there is checked first, so
      // that a machine with another key does not replace the team's artifact.
      await this.#download(upload.key, upload.job, false);
      if (this.#off) return false;
    }
    if (!this.#mayUpload(upload.key)) return false; // learnt since it was queued
    let body: Uint8Array;
    try {
      body = await upload.body();
    } catch (error) {
      this.#warnings.once(
        "pack",
        `remote cache: cannot pack the entry of "${upload.job}" (${(error as Error).message})`,
      );
      return false;
    }
    const key = this.#config.signatureKey;
    try {
      const tag = key === undefined
        ? undefined
        : await artifactTag(key, upload.key, this.#config.team, body);
      await this.#client.put(upload.key, body, {
        durationMs: upload.durationMs,
        ...(tag === undefined ? {} : { tag }),
      });
      this.counts.uploaded++;
      this.counts.uploadedBytes += body.length;
      return true;
    } catch (error) {
      if (error instanceof RemoteCacheError && error.kind === "too-large") {
        this.#warnings.once(
          "too-large",
          `remote cache: "${upload.job}" was not uploaded: its artifact (${body.length} bytes) is larger than the server accepts (${error.message})`,
        );
      } else {
        this.#failed(error);
      }
      return false;
    }
  }

  /** Wait until every upload is done, or the run's signal aborts; say so when it takes a while. */
  async #waitForUploads(): Promise<void> {
    const signal = this.#signal;
    if (signal?.aborted) return;
    let onAbort = () => {};
    const aborted = new Promise<void>((resolve) => onAbort = resolve);
    signal?.addEventListener("abort", onAbort, { once: true });
    const progress = () => {
      this.#emit({
        type: "cache:upload",
        time: Date.now(),
        pending: this.#active + this.#queue.length,
      });
      timer = setTimeout(progress, this.#progressEveryMs);
    };
    let timer = setTimeout(progress, this.#progressAfterMs);
    try {
      await Promise.race([new Promise<void>((resolve) => this.#idle.push(resolve)), aborted]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted) this.#dropQueue(); // abandoned; requests in flight were aborted
    }
  }

  /** A request failed: one warning per cause; after too many, or a refused token, stop asking. */
  #failed(error: unknown): void {
    if (!(error instanceof RemoteCacheError)) {
      this.#warnings.once("internal", `remote cache: ${(error as Error)?.message ?? error}`);
      return;
    }
    if (error.kind === "aborted") return;
    this.#failures++;
    const turnsOff = !this.#off && (error.kind === "auth" || this.#failures >= this.#maxFailures);
    // One warning per cause: turning the server off after more failures of a cause already
    // said is not another.
    this.#warnings.once(
      error.kind,
      this.#describe(error) + (turnsOff ? OFF : "; jobs run locally"),
    );
    if (turnsOff) {
      this.#off = true;
      this.#dropQueue();
    }
  }

  #describe(error: RemoteCacheError): string {
    const at = `remote cache ${this.#config.url}`;
    switch (error.kind) {
      case "unreachable":
        return `${at}: cannot connect (${error.message})`;
      case "timeout":
        return `${at}: ${error.message} (--remote-cache-timeout)`;
      case "auth":
        return this.#config.token
          ? `${at}: the token was refused (${error.message}): check GATHER_REMOTE_CACHE_TOKEN`
          : `${at}: no token (${error.message}): set GATHER_REMOTE_CACHE_TOKEN`;
      case "server":
        return `${at}: the server failed (${error.message})`;
      default:
        return `${at}: ${error.message}`;
    }
  }

  #event(event: "HIT" | "MISS", hash: string, duration: number): CacheUsageEvent {
    return { sessionId: this.#sessionId, source: "REMOTE", event, hash, duration };
  }
}

/** An artifact to upload: an entry's (packed when its turn comes) or a record's. */
interface Upload {
  key: string;
  job: string;
  durationMs: number;
  body: () => Promise<Uint8Array>;
}

/** A key no artifact has: a `GET` of it says how the server answers a miss. */
const PROBE = "0".repeat(64);
const OFF = "; not asked again this run, jobs run locally";
