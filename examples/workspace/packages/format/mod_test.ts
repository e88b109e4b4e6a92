import { equal } from "node:assert/strict";
import { dollars, totalText } from "./mod.ts";

Deno.test("dollars() pads the cents", () => {
  equal(dollars(105), "$1.05");
});

Deno.test("totalText() formats a sum", () => {
  equal(totalText([99, 1, 250]), "$3.50");
});
