import { equal } from "node:assert/strict";
import { total } from "./mod.ts";

Deno.test("total() adds cents exactly", () => {
  equal(total([10, 20, 70]), 100);
  equal(total([]), 0);
});
