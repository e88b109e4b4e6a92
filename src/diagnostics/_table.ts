/**
 * `console.table()` drawn as Deno draws it, to a string: for console capture,
 * where a job's table must become its log lines. (Deno's own table prints
 * straight to the terminal; node's `Console`, which writes to a stream, costs
 * ~18 ms of start-up to import.)
 *
 * @module
 */

/**
 * Draw `console.table(data, properties)` as text, the way Deno draws it: an
 * `(idx)` column, a column per key in the order met, and a `Values` column
 * for rows that are not objects. Data that is not an object comes back
 * inspected, as `console.table` logs it.
 *
 * @param data What `console.table` was given.
 * @param properties The columns to keep, if given.
 * @returns The lines, joined by `\n`.
 *
 * @example Usage
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { drawTable } from "./_table.ts";
 *
 * assertEquals(drawTable([{ a: 1 }]), [
 *   "┌───────┬───┐",
 *   "│ (idx) │ a │",
 *   "├───────┼───┤",
 *   "│     0 │ 1 │",
 *   "└───────┴───┘",
 * ].join("\n"));
 * ```
 */
export function drawTable(data: unknown, properties?: readonly string[]): string {
  if (data === null || typeof data !== "object") return inspect(data, false);
  if (data instanceof Map || data instanceof Set) return drawIterable(data);
  const rows = Object.entries(data);
  const keys: string[] = [];
  let values = false;
  const cells = rows.map(([index, row]) => {
    const cell = new Map<string, Cell>([[IDX, cellOf(index, true)]]);
    if (row !== null && typeof row === "object") {
      for (const [key, value] of Object.entries(row)) {
        if (properties !== undefined && !properties.includes(key)) continue;
        if (!keys.includes(key)) keys.push(key);
        cell.set(key, cellOf(value, false));
      }
    } else {
      values = true;
      cell.set(VALUES, { text: inspect(row, true), right: false });
    }
    return cell;
  });
  return draw([IDX, ...(properties ?? keys), ...(values ? [VALUES] : [])], cells);
}

/** A Map's or a Set's table: its entries in order, each value whole. */
function drawIterable(data: Map<unknown, unknown> | Set<unknown>): string {
  const map = data instanceof Map;
  const cells = [...data.entries()].map(([key, value], i) =>
    new Map<string, Cell>([
      [ITER, { text: String(i), right: true }],
      ...(map ? [[KEY, { text: inspect(key, true), right: false }] as const] : []),
      [VALUES, { text: inspect(value, true), right: false }],
    ])
  );
  return draw([ITER, ...(map ? [KEY] : []), VALUES], cells);
}

function draw(columns: string[], cells: Map<string, Cell>[]): string {
  const widths = columns.map((column) =>
    Math.max(column.length, ...cells.map((cell) => cell.get(column)?.text.length ?? 0))
  );
  const rule = (left: string, middle: string, right: string) =>
    left + widths.map((width) => "─".repeat(width + 2)).join(middle) + right;
  const line = (texts: Cell[]) =>
    "│" + texts.map((cell, i) => {
      const width = widths[i]!;
      return ` ${cell.right ? cell.text.padStart(width) : cell.text.padEnd(width)} `;
    }).join("│") + "│";
  return [
    rule("┌", "┬", "┐"),
    line(columns.map((column) => ({ text: column, right: false }))),
    rule("├", "┼", "┤"),
    ...cells.map((cell) => line(columns.map((column) => cell.get(column) ?? EMPTY))),
    rule("└", "┴", "┘"),
  ].join("\n");
}

interface Cell {
  text: string;
  /** Numbers line up on the right. */
  right: boolean;
}

const IDX = "(idx)";
const ITER = "(iter idx)";
const KEY = "Key";
const VALUES = "Values";
const EMPTY: Cell = { text: "", right: false };

function cellOf(value: unknown, index: boolean): Cell {
  const numeric = index ? /^\d+$/.test(String(value)) : typeof value === "number" ||
    typeof value === "bigint";
  return { text: index ? String(value) : inspect(value, true), right: numeric };
}

function inspect(value: unknown, quoted: boolean): string {
  if (typeof value === "string") return quoted ? JSON.stringify(value) : value;
  return Deno.inspect(value, { colors: false, compact: true, breakLength: Infinity });
}
