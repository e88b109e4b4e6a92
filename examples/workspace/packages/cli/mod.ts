/**
 * `deno task start 1.05 2.50`: the total of amounts given in dollars.
 *
 * @module
 */

import { totalText } from "@example/format";

/**
 * The total of amounts given as dollar strings.
 *
 * @param args The amounts, e.g. `["1.05", "2.50"]`.
 * @returns The total as text.
 */
export function run(args: readonly string[]): string {
  return totalText(args.map((arg) => Math.round(Number(arg) * 100)));
}

if (import.meta.main) {
  // deno-lint-ignore no-console -- a command-line program prints its result
  console.log(run(Deno.args));
}
