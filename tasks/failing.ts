/**
 * Fail-fast in action: `lint` fails after a moment, which cancels the
 * long-running `test` (its subprocess is killed) and skips `deploy`, which
 * depends on both. The exit code is 1 and the summary leads with lint's error.
 *
 *   deno run -A main.ts -f tasks/failing.ts
 *   deno run -A main.ts -f tasks/failing.ts --keep-going   # test runs to the end
 */
import { job } from "../mod.ts";

export const lint = job({ description: "Find a problem after 300ms" }, async (ctx) => {
  await ctx.sh`sleep 0.3 && echo "src/app.ts:3 unused variable" >&2 && exit 1`;
});

export const test = job({ description: "A slow test run (2s)" }, async (ctx) => {
  ctx.log("running tests");
  await ctx.sh`sleep 2`;
  ctx.log("tests passed");
});

export const deploy = job(
  { description: "Deploy when lint and test pass", deps: [lint, test] },
  (ctx) => ctx.log("deploying"),
);

export default deploy;
