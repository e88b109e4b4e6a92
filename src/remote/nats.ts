/**
 * The coordinator's side of NATS JetStream: jobs published to the work queue
 * (deduplicated by run and job name), claims and results answered by
 * request/reply, events heard, cancel and end broadcast, the server's
 * advisory for a job that reached its delivery limit, and workers' liveness
 * probes answered: while the run is open, its `alive` subject has this
 * connection's subscription, so a worker's probe of a coordinator that died
 * gets NATS's "no responders" as soon as the server has dropped its
 * connection (at once for a killed process).
 *
 * @module
 */

import {
  jetstream,
  jetstreamManager,
  type NatsConnection,
  type Subscription,
} from "../deps/nats.ts";
import type { Dispatcher, DispatchRun, QueueOptions, RunHandlers } from "./dispatcher.ts";
import type { ClaimMessage, EventBatch, ResultMessage } from "./protocol.ts";
import {
  connectionLost,
  connectNats,
  DURABLE,
  ensureQueue,
  MAX_DELIVERIES,
  STREAM,
  subjects,
} from "./_nats_queue.ts";

/**
 * Connect a coordinator to a NATS server.
 *
 * @param url The server, `nats://host:port`.
 * @returns The dispatcher.
 * @throws {GatherError} When the server cannot be reached.
 *
 * @example Usage
 * ```ts ignore
 * const dispatcher = await connectDispatcher("nats://127.0.0.1:4222");
 * const run = await dispatcher.openRun("r1", handlers, { ackWaitMs: 30_000, maxDeliveries: 3 });
 * ```
 */
export async function connectDispatcher(url: string): Promise<Dispatcher> {
  const nc = await connectNats(url, `gather-coordinator-${Deno.pid}`);
  return new NatsDispatcher(nc, url);
}

/** A coordinator's connection. */
class NatsDispatcher implements Dispatcher {
  readonly url: string;
  readonly lost: Promise<Error>;
  #nc: NatsConnection;
  #closing = false;

  constructor(nc: NatsConnection, url: string) {
    this.#nc = nc;
    this.url = url;
    this.lost = connectionLost(nc, url, () => this.#closing);
  }

  async openRun(run: string, handlers: RunHandlers, options: QueueOptions): Promise<DispatchRun> {
    const nc = this.#nc;
    await ensureQueue(nc, this.url, options);
    const names = subjects(run);
    const subs: Subscription[] = [
      nc.subscribe(names.claim, {
        callback: (_error, msg) => {
          let go = false;
          try {
            go = handlers.claim(msg.json<ClaimMessage>());
          } finally {
            msg.respond(go ? "go" : "no");
          }
        },
      }),
      nc.subscribe(names.result, {
        callback: (_error, msg) => {
          try {
            handlers.result(msg.json<ResultMessage>());
          } finally {
            msg.respond("ok");
          }
        },
      }),
      nc.subscribe(names.events, {
        callback: (_error, msg) => handlers.events(msg.json<EventBatch>()),
      }),
      nc.subscribe(names.alive, { callback: (_error, msg) => void msg.respond("yes") }),
      nc.subscribe(MAX_DELIVERIES, {
        callback: (_error, msg) => {
          const advisory = msg.json<{ stream_seq?: number; deliveries?: number }>();
          if (typeof advisory.stream_seq === "number") {
            handlers.exhausted(advisory.stream_seq, advisory.deliveries ?? 0);
          }
        },
      }),
    ];
    await nc.flush();
    return new NatsRun(nc, run, subs);
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (!this.#nc.isClosed()) await this.#nc.drain().catch(() => this.#nc.close());
  }
}

/** One run on the queue. */
class NatsRun implements DispatchRun {
  #nc: NatsConnection;
  #run: string;
  #subs: Subscription[];
  #names: ReturnType<typeof subjects>;
  #js: ReturnType<typeof jetstream>;
  /** The sequence numbers of the jobs this run published. */
  #published = new Set<number>();

  constructor(nc: NatsConnection, run: string, subs: Subscription[]) {
    this.#nc = nc;
    this.#run = run;
    this.#subs = subs;
    this.#names = subjects(run);
    this.#js = jetstream(nc);
  }

  async publish(job: { job: string }, copy = 0): Promise<number> {
    // A job given back goes on again under another id: the server drops a repeated id.
    const again = copy > 0 ? `.${copy}` : "";
    const ack = await this.#js.publish(this.#names.jobs, JSON.stringify(job), {
      msgID: `${this.#run}.${job.job}${again}`,
    });
    this.#published.add(ack.seq);
    return ack.seq;
  }

  cancel(message: { jobs?: string[]; reason: string }): void {
    if (!this.#nc.isClosed()) this.#nc.publish(this.#names.cancel, JSON.stringify(message));
  }

  /**
   * Drop the run's queued jobs one by one, by sequence number. Not a purge
   * filtered by the run's subject: nats-server 2.9 then moves the shared
   * consumer past the end of the stream, and every other run's queued jobs
   * are never delivered.
   */
  async purge(): Promise<void> {
    if (this.#nc.isClosed() || this.#published.size === 0) return;
    const jsm = await jetstreamManager(this.#nc);
    const sequences = [...this.#published];
    this.#published.clear();
    // A job already acknowledged is gone from the queue: its delete fails, which is fine.
    await Promise.all(
      sequences.map((seq) => jsm.streams.deleteMessage(STREAM, seq, false).catch(() => {})),
    );
  }

  async delivered(): Promise<number | undefined> {
    if (this.#nc.isClosed()) return undefined;
    const jsm = await jetstreamManager(this.#nc);
    const info = await jsm.consumers.info(STREAM, DURABLE).catch(() => undefined);
    return info?.delivered.stream_seq;
  }

  async end(): Promise<void> {
    if (this.#nc.isClosed()) return;
    await this.purge().catch(() => {});
    this.#nc.publish(this.#names.end, "");
    for (const sub of this.#subs) sub.unsubscribe();
    await this.#nc.flush().catch(() => {});
  }
}
