/**
 * The NATS side both roles share: the connection (no reconnects: a dead
 * server fails the run at once), and the one JetStream work queue every run
 * uses. Stream `GATHER_JOBS` (work-queue retention, file storage, a day's
 * `max_age` for what a crashed coordinator leaves) holds subjects
 * `gather.jobs.<run>`; the durable pull consumer `workers` (explicit acks)
 * serves every worker, one job per `next()`. A run's own traffic is core
 * NATS under `gather.run.<run>.*`.
 *
 * @module
 */

import {
  AckPolicy,
  connect,
  DeliverPolicy,
  jetstreamManager,
  nanos,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
} from "../deps/nats.ts";
import { GatherError } from "../errors.ts";
import type { QueueOptions } from "./dispatcher.ts";

/** The stream every run's jobs go to. */
export const STREAM = "GATHER_JOBS";
/** The durable pull consumer the workers share. */
export const DURABLE = "workers";

/**
 * The subjects of a run.
 *
 * @param run The run's id.
 * @returns Its work-queue subject and its core NATS subjects.
 *
 * @example Usage
 * ```ts
 * import { subjects } from "./_nats_queue.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(subjects("r1").jobs, "gather.jobs.r1");
 * assertEquals(subjects("r1").claim, "gather.run.r1.claim");
 * assertEquals(subjects("r1").alive, "gather.run.r1.alive");
 * ```
 */
export function subjects(run: string): {
  jobs: string;
  claim: string;
  result: string;
  events: string;
  cancel: string;
  end: string;
  alive: string;
} {
  const base = `gather.run.${run}`;
  return {
    jobs: `gather.jobs.${run}`,
    claim: `${base}.claim`,
    result: `${base}.result`,
    events: `${base}.events`,
    cancel: `${base}.cancel`,
    end: `${base}.end`,
    alive: `${base}.alive`,
  };
}

/** The advisory the server sends when a job reached its delivery limit. */
export const MAX_DELIVERIES = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${STREAM}.${DURABLE}`;

/** The queue's settings when a worker has to create it. */
export const DEFAULT_QUEUE: QueueOptions = { ackWaitMs: 30_000, maxDeliveries: 3 };

/**
 * Connect, or say clearly why not.
 *
 * @param url The server, `nats://host:port`.
 * @param name The client's name (shown by the server's monitoring).
 * @returns The connection.
 * @throws {GatherError} `NATS_UNREACHABLE` when the server cannot be reached.
 */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, name, reconnect: false, timeout: 5_000 });
  } catch (error) {
    throw new GatherError(
      "NATS_UNREACHABLE",
      `Cannot connect to the NATS server at ${url}: ${
        (error as Error).message
      }; start one with: nats-server -js`,
      { cause: error },
    );
  }
}

/**
 * Make sure the work queue exists; the coordinator also sets its timing.
 *
 * @param nc The connection.
 * @param url The server, for messages.
 * @param options The timing to set, or `undefined` to keep whatever is there (a worker).
 * @throws {GatherError} `NATS_NO_JETSTREAM` when the server runs without JetStream.
 */
export async function ensureQueue(
  nc: NatsConnection,
  url: string,
  options: QueueOptions | undefined,
): Promise<void> {
  try {
    // Inside the try: without JetStream, getting the manager is what fails.
    const jsm = await jetstreamManager(nc);
    await jsm.streams.info(STREAM).catch(async (error) => {
      if (!/not found/i.test(String((error as Error).message))) throw error;
      await jsm.streams.add({
        name: STREAM,
        subjects: ["gather.jobs.>"],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        num_replicas: 1,
        max_age: nanos(24 * 3600_000),
        duplicate_window: nanos(120_000),
      });
    });
    const wanted = options ?? DEFAULT_QUEUE;
    const config = {
      ack_wait: nanos(wanted.ackWaitMs),
      max_deliver: wanted.maxDeliveries,
    };
    const info = await jsm.consumers.info(STREAM, DURABLE).catch((error) => {
      if (!/not found/i.test(String((error as Error).message))) throw error;
      return undefined;
    });
    if (info === undefined) {
      await jsm.consumers.add(STREAM, {
        durable_name: DURABLE,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 10_000,
        ...config,
      }).catch((error) => {
        // Another process created it at the same moment.
        if (!/already/i.test(String((error as Error).message))) throw error;
      });
    } else if (
      options !== undefined &&
      (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver)
    ) {
      await jsm.consumers.update(STREAM, DURABLE, config);
    }
  } catch (error) {
    if (error instanceof GatherError) throw error;
    const message = (error as Error).message;
    throw new GatherError(
      "NATS_NO_JETSTREAM",
      /jetstream/i.test(message) && /(not enabled|unavailable|no responders)/i.test(message)
        ? `The NATS server at ${url} runs without JetStream: start it with nats-server -js`
        : `Cannot set up the work queue on the NATS server at ${url}: ${message}`,
      { cause: error },
    );
  }
}

/**
 * A promise that resolves with why the connection ended, unless this side
 * closed it on purpose (`closing()` returns `true` then).
 *
 * @param nc The connection.
 * @param url The server, for the message.
 * @param closing Whether this side is closing it.
 * @returns The loss.
 */
export function connectionLost(
  nc: NatsConnection,
  url: string,
  closing: () => boolean,
): Promise<Error> {
  return new Promise((resolve) => {
    nc.closed().then((error) => {
      if (closing()) return; // never resolves: nothing was lost
      const why = error instanceof Error ? `: ${error.message}` : "";
      resolve(
        new GatherError(
          "NATS_LOST",
          `Lost the connection to the NATS server at ${url}${why}`,
        ),
      );
    });
  });
}
