/**
 * Async mistakes, made on purpose, so you can see what gather says about
 * each. `tasks/fixed.ts` does the same work correctly.
 *
 *   deno run -A main.ts -f tasks/pitfalls.ts -k -j 8 --grace 500ms
 */
import { delay } from "@std/async/delay";
import process from "node:process";
import { job } from "../mod.ts";

/** Makes a 16 MiB file for `readSync` to read. */
export const bigFile = job({ description: "Write a 16 MiB file" }, async () => {
  const file = await Deno.makeTempFile({ prefix: "gather-pitfalls-" });
  await Deno.writeFile(file, new Uint8Array(16 * 1024 * 1024));
  return file;
});

/** Mistake 1: CPU work on the event loop. Every other job freezes for 300 ms. */
export const spin = job({ description: "Spin for 300ms on the event loop" }, async () => {
  await delay(100);
  // 300 ms of CPU time, not of wall time: on a loaded machine it takes longer, as real work does.
  const cpuMs = () => Object.values(process.cpuUsage()).reduce((a, b) => a + b) / 1000;
  const end = cpuMs() + 300;
  let rounds = 0;
  while (cpuMs() < end) for (let i = 0; i < 1_000_000; i++) rounds++;
  return rounds;
});

/** Mistake 2: a synchronous file API in a loop. */
export const readSync = job(
  { description: "Read a big file with readFileSync, over and over", deps: [bigFile] },
  async (ctx) => {
    let bytes = 0;
    for (let i = 0; i < 60; i++) bytes += Deno.readFileSync(ctx.result(bigFile)).length;
    await Deno.remove(ctx.result(bigFile));
    return bytes;
  },
);

/** Mistake 3: a promise started and never awaited, which rejects. */
export const orphan = job({ description: "Start a promise and forget it" }, async () => {
  const save = async () => {
    await delay(50);
    throw new Error("could not save the cache");
  };
  save(); // not awaited: its failure would vanish
  await delay(100);
  return "looked fine";
});

/** Mistake 4: a job that ignores its signal, so its timeout cannot stop it. */
export const deaf = job(
  { description: "Ignore ctx.signal past its timeout", timeout: "200ms" },
  async () => {
    await delay(60_000); // no { signal: ctx.signal }
  },
);

/** An innocent neighbour: awaits a lot, blocks nothing. */
export const ticker = job({ description: "Tick every 10ms for a second" }, async (ctx) => {
  let late = 0;
  for (let i = 0; i < 100; i++) {
    const before = performance.now();
    await delay(10, { signal: ctx.signal });
    if (performance.now() - before > 50) late++;
  }
  ctx.log(`${late} of 100 ticks came more than 40ms late`);
});
