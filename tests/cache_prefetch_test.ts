/**
 * The lookups made ahead of the job slots, on a fake server whose answers the
 * test releases one by one: how many are in flight, how many bytes are held
 * for jobs not started, what a job that starts gets, and that none is left
 * running after a run.
 */

import { assertEquals } from "@std/assert";
import type { FetchedEntry } from "../src/cache/backing.ts";
import { Prefetcher } from "../src/cache/_prefetch.ts";

/** A server that answers when told to: each answer is an artifact of `bytes` bytes. */
function fakeServer() {
  const asked: string[] = [];
  const pending = new Map<string, (entry: FetchedEntry | undefined) => void>();
  const fetch = (key: string) =>
    new Promise<FetchedEntry | undefined>((resolve) => {
      asked.push(key);
      pending.set(key, resolve);
    });
  const answer = async (key: string, bytes: number | undefined) => {
    pending.get(key)!(
      bytes === undefined
        ? undefined
        : { artifact: new Uint8Array(bytes), blobs: new Map(), manifest: {} as never },
    );
    pending.delete(key);
    for (let i = 0; i < 5; i++) await Promise.resolve(); // let the answer settle
  };
  return { asked, fetch, answer };
}

const key = (job: string) => () => Promise.resolve(`key-${job}`);

Deno.test("prefetch: at most `flight` lookups are in flight; a miss makes room at once", async () => {
  const server = fakeServer();
  const ahead = new Prefetcher(server.fetch, { flight: 2 });
  for (const job of ["a", "b", "c", "d"]) ahead.want(job, key(job));
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(server.asked, ["key-a", "key-b"]);
  await server.answer("key-a", undefined); // a miss: nothing to hold
  assertEquals(server.asked, ["key-a", "key-b", "key-c"]);
  await server.answer("key-b", 10);
  assertEquals(server.asked, ["key-a", "key-b", "key-c", "key-d"]);
  assertEquals((await ahead.claim("b"))?.entry?.artifact.length, 10);
  assertEquals(await ahead.claim("a"), { key: "key-a", entry: undefined });
  await server.answer("key-c", 1);
  await server.answer("key-d", 1);
  await ahead.close();
});

Deno.test("prefetch: artifacts held for jobs not started stop new lookups at the byte bound", async () => {
  const server = fakeServer();
  const ahead = new Prefetcher(server.fetch, { flight: 8, holdBytes: 100 });
  for (const job of ["a", "b", "c"]) ahead.want(job, key(job));
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(server.asked, ["key-a", "key-b", "key-c"]);
  await server.answer("key-a", 60);
  await server.answer("key-b", 60); // 120 bytes held: no more lookups
  ahead.want("d", key("d"));
  await Promise.resolve();
  assertEquals(server.asked, ["key-a", "key-b", "key-c"]);
  await ahead.claim("a"); // 60 held: room again
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(server.asked, ["key-a", "key-b", "key-c", "key-d"]);
  await server.answer("key-c", 1);
  await server.answer("key-d", 1);
  await ahead.close();
});

Deno.test("prefetch: a job that starts first asks itself, and is never looked up ahead after", async () => {
  const server = fakeServer();
  const ahead = new Prefetcher(server.fetch, { flight: 1 });
  ahead.want("a", key("a"));
  ahead.want("b", key("b")); // queued: a holds the only flight
  assertEquals(ahead.claim("b"), null); // started before its lookup was sent: dropped
  ahead.want("b", key("b")); // started: ignored
  await Promise.resolve();
  await Promise.resolve();
  await server.answer("key-a", 1);
  await Promise.resolve();
  assertEquals(server.asked, ["key-a"]);
  assertEquals(ahead.claim("c"), null); // never wanted
  await ahead.close();
});

Deno.test("prefetch: a lookup says which key it was made for; one with no key asks nothing", async () => {
  const server = fakeServer();
  const ahead = new Prefetcher(server.fetch);
  ahead.want("a", key("a"));
  ahead.want("local", () => Promise.resolve(undefined)); // a local hit: nothing to ask
  await Promise.resolve();
  await Promise.resolve();
  await server.answer("key-a", 5);
  const looked = await ahead.claim("a");
  assertEquals(looked?.key, "key-a"); // the job compares it with its own key
  assertEquals(looked?.entry?.artifact.length, 5);
  assertEquals(await ahead.claim("local"), { key: undefined, entry: undefined });
  assertEquals(server.asked, ["key-a"]);
  await ahead.close();
});

Deno.test("prefetch: close waits for the lookups in flight and stops asking", async () => {
  const server = fakeServer();
  const ahead = new Prefetcher(server.fetch, { flight: 1 });
  ahead.want("a", key("a"));
  ahead.want("b", key("b"));
  await Promise.resolve();
  await Promise.resolve();
  let closed = false;
  const closing = ahead.close().then(() => closed = true);
  await Promise.resolve();
  assertEquals(closed, false);
  await server.answer("key-a", 1);
  await closing;
  assertEquals(server.asked, ["key-a"]); // b was never sent
  ahead.want("c", key("c"));
  await Promise.resolve();
  assertEquals(server.asked, ["key-a"]);
});
