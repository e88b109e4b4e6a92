import { assertEquals, assertGreater, assertInstanceOf, assertStringIncludes } from "@std/assert";
import { toError } from "../src/errors.ts";
import { errorInfo } from "../src/events.ts";
import { assertComplete, FIXTURES } from "./_cli.ts";
import { LiveGather } from "./_live.ts";

const withGetter = (key: "message" | "name" | "stack") => {
  const error = new Error("hidden");
  Object.defineProperty(error, key, {
    get() {
      throw new Error(`no ${key}`);
    },
  });
  return error;
};
const revoked = (target: object) => {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
};

const ODD_VALUES: [string, () => unknown, string][] = [
  ["an Error whose message getter throws", () => withGetter("message"), "message cannot be read"],
  ["an Error whose name getter throws", () => withGetter("name"), "name cannot be read"],
  ["an Error whose stack getter throws", () => withGetter("stack"), "stack cannot be read"],
  ["an Error whose message is a number", () => Object.assign(new Error(), { message: 42 }), "42"],
  ["a revoked proxy", () => revoked({}), "Cannot inspect a proxy that has been revoked"],
  ["a revoked proxy of an Error", () => revoked(new Error("x")), "cannot be shown"],
  ["an object whose toString throws", () => ({
    toString() {
      throw new Error("no");
    },
  }), "toString"],
  ["a Symbol", () => Symbol("odd"), "Symbol(odd)"],
  ["null", () => null, "null"],
  ["undefined", () => undefined, "undefined"],
  ["a cyclic object", () => {
    const value: Record<string, unknown> = {};
    value["self"] = value;
    return value;
  }, "[Circular *1]"],
  ["a null-prototype object", () => Object.create(null), "null prototype"],
  ["a huge string", () => "x".repeat(100_000), "…"],
];

for (const [what, make, shown] of ODD_VALUES) {
  Deno.test(`toError() and errorInfo() describe ${what} without throwing`, () => {
    const error = toError(make());
    assertInstanceOf(error, Error);
    assertEquals(typeof error.name, "string");
    assertEquals(typeof error.message, "string");
    assertStringIncludes(error.message, shown);
    assertEquals(error.message.includes("\n"), false);
    const info = errorInfo(make() as Error);
    assertEquals(info.message, error.message);
  });
}

Deno.test("toError() keeps an ordinary Error as it is", () => {
  const error = new TypeError("plain");
  assertEquals(toError(error), error);
});

Deno.test("gather fails each job that throws an odd value with a message, and ends the run", async () => {
  const live = new LiveGather(["-f", `${FIXTURES}odd_throws.ts`, "-k", "-j", "20"]);
  const timer = setTimeout(() => live.kill("SIGKILL"), 30_000); // it used to hang forever
  const { code, events, stderr } = await live.result();
  clearTimeout(timer);
  assertEquals(code, 1, stderr);
  assertComplete(events);
  const ends = events.filter((e) => e.type === "job:end");
  for (const end of ends) {
    if (end.job === "rejectsOddly") {
      assertEquals(end.status, "ok");
      continue;
    }
    assertEquals(end.status, "failed", end.job);
    assertEquals(typeof end.error?.message, "string", end.job);
    assertGreater(end.error!.message.length, 0, end.job);
  }
  const rejection = events.find((e) => e.type === "diagnostic" && e.job === "rejectsOddly");
  assertStringIncludes(
    rejection?.type === "diagnostic" ? rejection.message : "",
    "that cannot be shown",
  );
});
