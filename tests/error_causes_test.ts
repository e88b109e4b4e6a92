import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { gather, parseEvents, ROOT } from "./_cli.ts";
import { gatherInPty, hasScript } from "./_pty.ts";

/** A port nothing listens on: one the system gave and took back. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const tasks = (port: number) =>
  `import { job } from "${ROOT}mod.ts";
export const down = job(() => fetch("http://127.0.0.1:${port}/"));
export const nested = job(() => {
  throw new Error("outer", { cause: new Error("inner reason", { cause: { code: 7 } }) });
});
export const repeated = job(() => {
  throw new Error("cannot read config: no such file", { cause: new Error("no such file") });
});
`;

/**
 * Run the task file, every job to its end: `plain` through pipes, `live` in a terminal.
 *
 * @returns What gather wrote for a person (stderr, or the terminal without its escape codes),
 * and stdout.
 */
async function runTasks(how: "plain" | "live" | "json", args: string[] = []) {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/tasks.ts`, tasks(closedPort()));
    const common = ["-f", `${dir}/tasks.ts`, "-k", "--no-logs", "--no-history", ...args];
    if (how === "live") {
      const run = await gatherInPty(["--reporter", "tty", ...common]);
      assertEquals(run.code, 1, run.screen);
      // deno-lint-ignore no-control-regex
      const text = run.screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replaceAll("\r", "");
      return { text, stdout: "" };
    }
    const result = await gather(["--reporter", how, ...common], { cwd: dir });
    assertEquals(result.code, 1, result.stderr);
    return { text: result.stderr, stdout: result.stdout };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const HUMAN = hasScript ? ["plain", "live"] as const : ["plain"] as const;

Deno.test("a failed job's line shows its error's cause chain, a cause already said left out", async () => {
  for (const reporter of HUMAN) {
    const { text: stderr } = await runTasks(reporter);
    assertMatch(stderr, /fetch failed: [^✖]*onnection refused/, reporter);
    assertStringIncludes(stderr, "outer: inner reason: { code: 7 }", reporter);
    assertStringIncludes(stderr, "cannot read config: no such file\n", reporter);
    assert(!stderr.includes("no such file: no such file"), reporter);
    assert(!/^\s+at /m.test(stderr), `${reporter}: a stack without --debug`);
  }
  // The summary cuts a long error with causes in its middle: its deepest cause, last, says why.
  const { text: plain } = await runTasks("plain");
  assertMatch(plain, /(first failure|also failed) down: fetch failed: .* … .*onnection refused/);
});

Deno.test("--debug prints a failed job's stack in the plain and the live output", async () => {
  for (const reporter of HUMAN) {
    const { text: stderr } = await runTasks(reporter, ["--debug"]);
    assertMatch(stderr, /^.*\s+at .*tasks\.ts:4:\d+/m, `${reporter}: ${stderr}`);
  }
});

Deno.test("the JSON error object carries the cause chain as causes: [{ name, message }]", async () => {
  const { stdout } = await runTasks("json");
  const errors = Object.fromEntries(
    parseEvents(stdout).flatMap((e) => e.type === "job:end" ? [[e.job, e.error]] : []),
  );
  assertEquals(errors["nested"]?.causes, [
    { name: "Error", message: "inner reason" },
    { name: "object", message: "{ code: 7 }" },
  ]);
  assertEquals(errors["down"]?.message, "fetch failed");
  assertMatch(errors["down"]?.causes?.[0]?.message ?? "", /onnection refused/);
});
