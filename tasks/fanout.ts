/**
 * An I/O fan-out: one job lists twelve documents, twelve jobs fetch them
 * through a pool that allows three at a time, one job gathers the results.
 * The documents are local files fetched by URL, with a little latency added,
 * so it runs anywhere.
 *
 *   deno run -A main.ts -f tasks/fanout.ts -j 8
 */
import { delay } from "@std/async/delay";
import { type Job, job, pool } from "../mod.ts";

const io = pool("io", 3); // at most three fetches at once, whatever -j says

export const index = job({ description: "Write the documents and list their URLs" }, async () => {
  const dir = await Deno.makeTempDir({ prefix: "gather-fanout-" });
  const urls: string[] = [];
  for (let i = 0; i < 12; i++) {
    const file = `${dir}/doc-${i}.json`;
    await Deno.writeTextFile(file, JSON.stringify({ id: i, words: 100 + i * 7 }));
    urls.push(new URL(`file://${file}`).href);
  }
  return { dir, urls };
});

/** One fetch job per document, each in the `io` pool. */
export const fetches: Job<{ id: number; words: number }>[] = Array.from(
  { length: 12 },
  (_, i) =>
    job(
      { name: `fetch-${i}`, deps: [index], pool: io, timeout: "5s", retries: 1 },
      async (ctx) => {
        const url = ctx.result(index).urls[i]!;
        await delay(50 + (i % 4) * 20, { signal: ctx.signal }); // network latency
        const response = await fetch(url, { signal: ctx.signal });
        return await response.json() as { id: number; words: number };
      },
    ),
);

export const total = job(
  { description: "Add up the words and clean up", deps: [index, ...fetches] },
  async (ctx) => {
    const words = fetches.reduce((sum, fetchJob) => sum + ctx.result(fetchJob).words, 0);
    ctx.log(`${fetches.length} documents, ${words} words`);
    await Deno.remove(ctx.result(index).dir, { recursive: true });
    return words;
  },
);

export default total;
