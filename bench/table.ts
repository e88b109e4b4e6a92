/**
 * Tables: aligned text for the terminal, Markdown for the README.
 *
 * @module
 */

/** A table: a header row and rows of cells. */
export interface Table {
  /** Column titles. */
  headers: string[];
  /** Rows; every row has one cell per header. */
  rows: string[][];
}

/**
 * Render a table as aligned text: first column left-aligned, others right.
 *
 * @param table The table.
 * @returns The lines, joined with newlines.
 *
 * @example Usage
 * ```ts
 * import { textTable } from "./table.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(textTable({ headers: ["tool", "ms"], rows: [["make", "5"]] }), "tool  ms\nmake   5");
 * ```
 */
export function textTable(table: Table): string {
  const all = [table.headers, ...table.rows];
  const widths = table.headers.map((_, c) =>
    Math.max(...all.map((row) => [...(row[c] ?? "")].length))
  );
  return all.map((row) =>
    row.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)).join("  ")
      .trimEnd()
  ).join("\n");
}

/**
 * Render a table as Markdown.
 *
 * @param table The table.
 * @returns The Markdown lines, joined with newlines.
 *
 * @example Usage
 * ```ts
 * import { markdownTable } from "./table.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const text = markdownTable({ headers: ["tool", "ms"], rows: [["make", "5"]] });
 * assertEquals(text, "| tool | ms |\n| :-- | --: |\n| make | 5 |");
 * ```
 */
export function markdownTable(table: Table): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const align = table.headers.map((_, c) => c === 0 ? ":--" : "--:");
  return [line(table.headers), line(align), ...table.rows.map(line)].join("\n");
}
