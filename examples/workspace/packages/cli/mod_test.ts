import { equal } from "node:assert/strict";
import { run } from "./mod.ts";

Deno.test("run() totals dollar amounts", () => {
  equal(run(["1.05", "2.50"]), "$3.55");
});
