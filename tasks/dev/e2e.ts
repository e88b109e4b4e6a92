/** The dev loop's end-to-end test, against the server at $API_URL. */
const api = Deno.env.get("API_URL") ?? "http://127.0.0.1:8000";

Deno.test("the server is healthy", async () => {
  const response = await fetch(`${api}/health`);
  if (await response.text() !== "ok") throw new Error(`unhealthy: ${response.status}`);
});

Deno.test("the server greets by name", async () => {
  const text = await (await fetch(`${api}/greet?name=gather`)).text();
  if (text !== "hello, gather") throw new Error(`unexpected greeting: ${text}`);
});
