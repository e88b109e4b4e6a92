/**
 * Console capture draws a job's `console.table()` itself: the same text Deno
 * prints for the same data, compared with a real `deno eval`.
 */
import { assertEquals } from "@std/assert";
import { drawTable } from "../src/diagnostics/_table.ts";

const CASES = [
  `[{ a: 1, b: "x" }, { a: 12345, c: true }, 7, "str"]`,
  `{ r1: { x: 1 }, r2: { y: [1, 2] } }`,
  `[[1, 2], [3]]`,
  `[{ a: 1, b: 2 }], ["b"]`,
  `[]`,
  `5`,
  `new Map([["k", { v: null }], ["l", { v: undefined }]])`,
  `new Set([1, "two"])`,
  `[{ a: 1 }, null, { b: 2 }]`,
  `[{ nested: { deep: { deeper: 1 } }, list: ["a", "b"] }]`,
];

Deno.test("drawTable() draws what Deno's console.table prints", async () => {
  const script = CASES.map((args) => `console.table(${args});`).join("\n");
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { NO_COLOR: "1" },
    stdout: "piped",
  }).output();
  const expected = new TextDecoder().decode(output.stdout);
  const drawn = CASES.map((args) => {
    const [data, properties] = new Function(`return [${args}]`)() as [unknown, string[]?];
    return drawTable(data, properties) + "\n";
  }).join("");
  assertEquals(drawn, expected);
});
