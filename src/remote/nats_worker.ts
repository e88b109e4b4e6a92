/**
 * The worker's side of NATS JetStream: one job per `next()` from the shared
 * durable consumer (no prefetch: a job waiting in a busy worker's buffer
 * would time out there), claims and reports by request/reply, events
 * published, cancel and end broadcasts heard, coordinators probed.
 *
 * @module
 */

import {
  type Consumer,
  jetstream,
  type JsMsg,
  type NatsConnection,
  RequestError,
} from "../deps/nats.ts";
import type { AliveAnswer, ClaimAnswer, Delivery, ReportAnswer, WorkerLink } from "./dispatcher.ts";
import type { CancelMessage, ClaimMessage, EventBatch, ResultMessage } from "./protocol.ts";
import {
  connectionLost,
  connectNats,
  DURABLE,
  ensureQueue,
  STREAM,
  subjects,
} from "./_nats_queue.ts";

/**
 * Connect a worker to a NATS server.
 *
 * @param url The server, `nats://host:port`.
 * @param name The worker's name.
 * @returns The link.
 * @throws {GatherError} When the server cannot be reached or has no JetStream.
 *
 * @example Usage
 * ```ts ignore
 * const link = await connectWorker("nats://127.0.0.1:4222", "w1");
 * const delivery = await link.next(5000);
 * ```
 */
export async function connectWorker(url: string, name: string): Promise<WorkerLink> {
  const nc = await connectNats(url, `gather-worker-${name}`);
  try {
    await ensureQueue(nc, url, undefined);
    const consumer = await jetstream(nc).consumers.get(STREAM, DURABLE);
    return new NatsWorkerLink(nc, url, consumer);
  } catch (error) {
    await nc.close();
    throw error;
  }
}

/** The largest message sent, in characters (a NATS server takes 1 MiB by default). */
const MAX_MESSAGE_CHARS = 512 * 1024;

/** How long a claim or report may wait for the coordinator, in ms. */
const REQUEST_TIMEOUT_MS = 10_000;

class NatsWorkerLink implements WorkerLink {
  readonly url: string;
  readonly lost: Promise<Error>;
  #nc: NatsConnection;
  #consumer: Consumer;
  #closing = false;

  constructor(nc: NatsConnection, url: string, consumer: Consumer) {
    this.#nc = nc;
    this.url = url;
    this.#consumer = consumer;
    this.lost = connectionLost(nc, url, () => this.#closing);
  }

  async next(waitMs: number): Promise<Delivery | undefined> {
    if (this.#closing || this.#nc.isClosed()) return undefined;
    let msg: JsMsg | null;
    try {
      msg = await this.#consumer.next({ expires: Math.max(1000, waitMs) });
    } catch {
      // A pull cut short (the server going away, a consumer re-created): the caller asks again.
      if (!this.#closing && !this.#nc.isClosed()) await new Promise((r) => setTimeout(r, 200));
      return undefined;
    }
    if (msg === null) return undefined;
    const taken = msg;
    return {
      text: taken.string(),
      delivery: taken.info.deliveryCount,
      working: () => this.#safely(() => taken.working()),
      ack: () => this.#safely(() => taken.ack()),
      nak: (delayMs) => this.#safely(() => taken.nak(delayMs)),
      // No reason: nats-server 2.9 ignores a TERM with one and redelivers the job.
      term: () => this.#safely(() => taken.term()),
    };
  }

  async claim(run: string, claim: ClaimMessage): Promise<ClaimAnswer> {
    try {
      const reply = await this.#nc.request(subjects(run).claim, JSON.stringify(claim), {
        timeout: REQUEST_TIMEOUT_MS,
      });
      return reply.string() === "go" ? "go" : "no";
    } catch (error) {
      return noResponders(error) ? "gone" : "later";
    }
  }

  async alive(run: string): Promise<AliveAnswer> {
    if (this.#nc.isClosed()) return "later";
    try {
      await this.#nc.request(subjects(run).alive, "", { timeout: REQUEST_TIMEOUT_MS });
      return "yes";
    } catch (error) {
      return noResponders(error) ? "gone" : "later";
    }
  }

  async report(run: string, result: ResultMessage): Promise<ReportAnswer> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (this.#nc.isClosed()) return "later";
      try {
        await this.#nc.request(subjects(run).result, JSON.stringify(result), {
          timeout: REQUEST_TIMEOUT_MS,
        });
        return "recorded";
      } catch (error) {
        if (noResponders(error)) return "gone";
      }
    }
    return "later";
  }

  events(run: string, batch: EventBatch): void {
    if (this.#nc.isClosed()) return;
    const text = JSON.stringify(batch);
    if (text.length <= MAX_MESSAGE_CHARS) {
      this.#safely(() => this.#nc.publish(subjects(run).events, text));
    } else if (batch.events.length > 1) {
      // Too large for one message (the server takes 1 MiB): in halves.
      const half = Math.ceil(batch.events.length / 2);
      this.events(run, { ...batch, events: batch.events.slice(0, half) });
      this.events(run, { ...batch, events: batch.events.slice(half) });
    } else {
      const [event] = batch.events;
      if (event?.type !== "job:log") return;
      const line = cutOnTheWay(event.line, MAX_MESSAGE_CHARS / 4, batch.worker);
      this.events(run, { ...batch, events: [{ ...event, line }] });
    }
  }

  listen(
    onCancel: (run: string, message: CancelMessage) => void,
    onEnd: (run: string) => void,
  ): void {
    this.#nc.subscribe("gather.run.*.cancel", {
      callback: (_error, msg) => {
        try {
          onCancel(msg.subject.split(".")[2]!, msg.json<CancelMessage>());
        } catch {
          // a malformed broadcast is not this worker's problem
        }
      },
    });
    this.#nc.subscribe("gather.run.*.end", {
      callback: (_error, msg) => onEnd(msg.subject.split(".")[2]!),
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (!this.#nc.isClosed()) await this.#nc.drain().catch(() => this.#nc.close());
  }

  #safely(act: () => void): void {
    if (this.#nc.isClosed()) return;
    try {
      act();
    } catch {
      // the connection went away: the queue redelivers the job after its wait
    }
  }
}

function noResponders(error: unknown): boolean {
  return error instanceof RequestError && error.isNoResponders();
}

/**
 * A line too long for a NATS message, cut to `keep` characters, saying how
 * many characters were lost in all: those cut here, and those the job's
 * command had cut already (its line then ends with `… (line cut: N more
 * characters)`).
 *
 * @param line The line.
 * @param keep How many characters to keep.
 * @param worker The worker's name, for the note.
 * @returns The line cut, with the note.
 *
 * @example Usage
 * ```ts
 * import { cutOnTheWay } from "./nats_worker.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(cutOnTheWay("abcdef", 2, "w1"), "ab … (4 characters cut on the way from w1)");
 * const cutAlready = "abcdef … (line cut: 100 more characters)";
 * assertEquals(cutOnTheWay(cutAlready, 2, "w1"), "ab … (104 characters cut on the way from w1)");
 * ```
 */
export function cutOnTheWay(line: string, keep: number, worker: string): string {
  const note = / … \(line cut: (\d+) more characters\)$/.exec(line);
  const text = note === null ? line : line.slice(0, note.index);
  const kept = text.slice(0, keep);
  const lost = text.length - kept.length + (note === null ? 0 : Number(note[1]));
  return `${kept} … (${lost} characters cut on the way from ${worker})`;
}
