/**
 * Log lines formatted as `console.log` formats them: substitutions in a first
 * string argument (`%s`, `%d`, `%i`, `%f`, `%o`, `%O`, `%c`, `%%`), then the
 * other values, strings as they are and everything else inspected. A log line
 * is plain text, so `%c` takes its CSS argument and prints nothing.
 *
 * @module
 */

const inspect = (value: unknown): string => Deno.inspect(value, { colors: false });

/**
 * Format values as `console.log` does.
 *
 * @param args The values.
 * @returns One string.
 *
 * @example Usage
 * ```ts
 * import { formatLog } from "./format_log.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatLog(["built", 3, "pages"]), "built 3 pages");
 * assertEquals(formatLog(["%s has %d items", "list", 3]), "list has 3 items");
 * assertEquals(formatLog(["%cstyled%c plain", "color: red", ""]), "styled plain");
 * ```
 */
export function formatLog(args: readonly unknown[]): string {
  const [first, ...rest] = args;
  const head = typeof first === "string" && rest.length > 0 && first.includes("%")
    ? substitute(first, rest)
    : undefined;
  const values = head === undefined ? args : rest.slice(head.used);
  const texts = values.map((arg) => typeof arg === "string" ? arg : inspect(arg));
  return head === undefined ? texts.join(" ") : [head.text, ...texts].join(" ");
}

/** Replace the substitutions of `template` with `values`, in order; returns how many were used. */
function substitute(template: string, values: readonly unknown[]): { text: string; used: number } {
  let used = 0;
  const text = template.replace(/%[sdifoOc%]/g, (spec) => {
    if (spec === "%%") return "%";
    if (used >= values.length) return spec;
    const value = values[used++];
    switch (spec) {
      case "%s":
        return stringOf(value);
      case "%d":
      case "%i":
        return typeof value === "number" || typeof value === "string"
          ? String(parseInt(String(value)))
          : typeof value === "bigint"
          ? String(value)
          : "NaN";
      case "%f":
        return typeof value === "number" || typeof value === "string"
          ? String(parseFloat(String(value)))
          : "NaN";
      case "%c":
        return "";
      default: // %o, %O
        return inspect(value);
    }
  });
  return { text, used };
}

/** `%s`: the value as a string, as `String()` makes it (inspected when it has no string form). */
function stringOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    return inspect(value); // an object without a prototype
  }
}
