// deno-lint-ignore-file no-console
import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import process from "node:process";
import { captureConsole } from "../src/diagnostics/console_capture.ts";
import { JobScope } from "../src/engine/scope.ts";
import type { GatherEvent } from "../src/events.ts";

/** Every own property of an object, with its descriptor. */
function snapshot(target: object): Map<PropertyKey, PropertyDescriptor> {
  return new Map(
    Reflect.ownKeys(target).map((key) => [key, Object.getOwnPropertyDescriptor(target, key)!]),
  );
}

Deno.test("captureConsole puts the console and the standard streams back exactly as they were", () => {
  const targets = [console, Deno.stdout, Deno.stderr, process.stdout, process.stderr];
  const before = targets.map(snapshot);
  const scope = new JobScope();
  const events: GatherEvent[] = [];
  const capture = captureConsole(
    { console, stdout: Deno.stdout, stderr: Deno.stderr, process },
    scope,
    (event) => events.push(event),
    () => {},
  );
  assert(Object.hasOwn(Deno.stdout, "writeSync"), "Deno.stdout was not patched");
  scope.run("job", () => {
    console.table([[1]]);
    Deno.stdout.writeSync(new TextEncoder().encode("raw\n"));
    process.stdout.write("node\n");
  });
  capture.restore();
  const after = targets.map(snapshot);
  for (const [i, target] of targets.entries()) {
    assertEquals([...after[i]!.keys()], [...before[i]!.keys()], String(target));
    for (const [key, descriptor] of before[i]!) {
      const now = after[i]!.get(key)!;
      assertStrictEquals(now.value, descriptor.value, String(key));
      assertStrictEquals(now.get, descriptor.get, String(key));
      assertEquals(now.writable, descriptor.writable, String(key));
      assertEquals(now.enumerable, descriptor.enumerable, String(key));
    }
  }
  assert(events.some((e) => e.type === "job:log" && e.line === "raw"));
  assert(events.some((e) => e.type === "job:log" && e.line === "node"));
  assert(events.some((e) => e.type === "job:log" && e.line.startsWith("┌")));
});

Deno.test("captureConsole keeps groups and counters per job", async () => {
  const scope = new JobScope();
  const lines: string[] = [];
  const target = { ...console };
  const capture = captureConsole(
    { console: target },
    scope,
    (e) => e.type === "job:log" && lines.push(`${e.job}: ${e.line}`),
    (text) => lines.push(`outside: ${text}`),
  );
  await Promise.all([
    scope.run("a", async () => {
      target.group("a's group");
      await new Promise((resolve) => setTimeout(resolve, 5));
      target.count();
      target.groupEnd();
    }),
    scope.run("b", async () => {
      await Promise.resolve();
      target.count();
      target.log("b is not indented");
    }),
  ]);
  target.warn("no job");
  capture.restore();
  assertEquals(lines, [
    "a: a's group",
    "b: default: 1",
    "b: b is not indented",
    "a:   default: 1",
    "outside: no job",
  ]);
});

Deno.test("captureConsole turns a node stream's hex or base64 write into the job's text, with the encoder it is given", async () => {
  const { Buffer } = await import("node:buffer");
  const scope = new JobScope();
  const events: GatherEvent[] = [];
  const stream = { write: (_chunk: string | Uint8Array, _encoding?: string) => true };
  const capture = captureConsole(
    {
      console: { ...console },
      process: { stdout: stream, stderr: stream },
      encode: (text, encoding) => Buffer.from(text, encoding as "hex"),
    },
    scope,
    (event) => events.push(event),
    () => {},
  );
  scope.run("job", () => {
    stream.write("68690a", "hex");
    stream.write("b2sK", "base64");
  });
  capture.restore();
  const lines = events.flatMap((e) => e.type === "job:log" ? [e.line] : []);
  assertEquals(lines, ["hi", "ok"]);
});
