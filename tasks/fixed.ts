/**
 * The work of `tasks/pitfalls.ts`, done right: CPU work offloaded to a
 * worker, async file reads, every promise awaited, the signal passed on.
 * gather reports nothing, and the ticker is never late.
 *
 *   deno run -A main.ts -f tasks/fixed.ts
 */
import { delay } from "@std/async/delay";
import { job } from "../mod.ts";

export const bigFile = job({ description: "Write a 16 MiB file" }, async () => {
  const file = await Deno.makeTempFile({ prefix: "gather-fixed-" });
  await Deno.writeFile(file, new Uint8Array(16 * 1024 * 1024));
  return file;
});

/** Fix 1: the CPU work runs in a worker; the event loop stays free. */
export const spin = job({ description: "Crunch for 300ms in a worker" }, async (ctx) => {
  await delay(100, { signal: ctx.signal });
  return await ctx.offload<number>(new URL("./_work.ts", import.meta.url), "crunch", 300);
});

/** Fix 2: the async file API. */
export const readAsync = job(
  { description: "Read a big file with the async API", deps: [bigFile] },
  async (ctx) => {
    let bytes = 0;
    for (let i = 0; i < 60; i++) {
      bytes += (await Deno.readFile(ctx.result(bigFile), { signal: ctx.signal })).length;
    }
    await Deno.remove(ctx.result(bigFile));
    return bytes;
  },
);

/** Fix 3: the promise is awaited (or started with ctx.spawn), so its failure is handled. */
export const awaited = job(
  { description: "Await the save, and handle its failure" },
  async (ctx) => {
    const save = async () => {
      await delay(50, { signal: ctx.signal });
      throw new Error("could not save the cache");
    };
    try {
      await save();
    } catch (error) {
      ctx.log(`cache not saved (${(error as Error).message}); carrying on`);
    }
    return "handled";
  },
);

/** Fix 4: the signal is passed on, so the timeout stops the wait at once. */
export const listening = job(
  { description: "Pass ctx.signal on; finish within the timeout", timeout: "2s" },
  async (ctx) => {
    await delay(150, { signal: ctx.signal });
  },
);

export const ticker = job({ description: "Tick every 10ms for a second" }, async (ctx) => {
  let late = 0;
  for (let i = 0; i < 100; i++) {
    const before = performance.now();
    await delay(10, { signal: ctx.signal });
    if (performance.now() - before > 50) late++;
  }
  ctx.log(`${late} of 100 ticks came more than 40ms late`);
});
