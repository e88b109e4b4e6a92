// The NATS client for distributed runs (`--nats`, `gather worker`): the maintained
// nats.js line, pinned. `@nats-io/transport-deno` is published on JSR only; the Node
// transport runs under Deno with --allow-net alone. Loaded only by src/remote/nats.ts,
// which is imported dynamically: a run without --nats never pays for it (~150 ms).
export { connect } from "npm:@nats-io/transport-node@3.4.0";
export {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "npm:@nats-io/jetstream@3.4.0";
export type { Consumer, JetStreamManager, JsMsg } from "npm:@nats-io/jetstream@3.4.0";
export { nanos, RequestError } from "npm:@nats-io/nats-core@3.4.0";
export type { NatsConnection, Subscription } from "npm:@nats-io/nats-core@3.4.0";
