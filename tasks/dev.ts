/**
 * A dev loop: type-check the server, run it as a service, test it end to
 * end. With --watch, an edit of the server restarts it (the old one gone
 * first) and reruns the test once it is ready; an edit of the test reruns
 * the test alone, against the server already running.
 *
 *   deno run -A main.ts -f tasks/dev.ts --watch
 *   deno run -A main.ts -f tasks/dev.ts api      # only the server: until Ctrl-C
 */
import { job } from "../mod.ts";

const dir = new URL("./dev/", import.meta.url).pathname;
const deno = Deno.execPath();

export const check = job(
  { description: "Type-check the server", inputs: ["dev/server.ts", "dev/greet.ts"] },
  (ctx) => ctx.exec(deno, ["check", `${dir}server.ts`]),
);

export const api = job({
  description: "The dev server, ready when it says where it listens",
  deps: [check],
  service: { ready: { line: /listening on (http:\/\/127\.0\.0\.1:\d+)/ }, timeout: "20s" },
  inputs: ["dev/server.ts", "dev/greet.ts"],
}, (ctx) => ctx.exec(deno, ["run", "--allow-net", "--allow-env=PORT", `${dir}server.ts`]));

export const e2e = job(
  { description: "End-to-end tests against the server", deps: [api], inputs: ["dev/e2e.ts"] },
  (ctx) =>
    ctx.exec(deno, ["test", "--allow-net", "--allow-env=API_URL", `${dir}e2e.ts`], {
      env: { API_URL: ctx.result(api) },
    }),
);

export default e2e;
