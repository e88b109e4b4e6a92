// deno-lint-ignore-file no-console
/**
 * The dev loop's server: `GET /health` and `GET /greet?name=...`. It picks a
 * free port (or $PORT) and says where it listens; gather's line probe reads it.
 */
import { greet } from "./greet.ts";

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 0),
  onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
}, (request) => {
  const url = new URL(request.url);
  if (url.pathname === "/health") return new Response("ok");
  if (url.pathname === "/greet") return new Response(greet(url.searchParams.get("name") ?? "you"));
  return new Response("not found", { status: 404 });
});
await server.finished;
