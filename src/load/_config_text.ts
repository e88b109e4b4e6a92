/**
 * Reading a JSON config file (deno.json, deno.jsonc, package.json) into an
 * object, with the one-line messages every config error shares: a file that
 * cannot be read, does not parse (with the line and column), or is not an
 * object.
 *
 * @module
 */

import { parse as parseJsonc } from "../deps/jsonc.ts";
import { GatherError } from "../errors.ts";
import { readTextFileOnly } from "../file_kind.ts";

/**
 * Read a config file's JSON (or JSONC) object.
 *
 * @param path The file (absolute).
 * @param shown How to name it in messages (a path relative to the current folder).
 * @returns Its top-level object.
 * @throws {GatherError} `CONFIG_INVALID` when it cannot be read, does not parse, or is not an object.
 *
 * @example Usage
 * ```ts
 * import { readConfigObject } from "./_config_text.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/deno.jsonc`, '{ "name": "@s/a", // a comment\n}');
 * assertEquals(readConfigObject(`${dir}/deno.jsonc`, "deno.jsonc"), { name: "@s/a" });
 * await Deno.writeTextFile(`${dir}/deno.json`, "[]");
 * assertThrows(() => readConfigObject(`${dir}/deno.json`, "deno.json"), Error, "a JSON object");
 * ```
 */
export function readConfigObject(path: string, shown: string): Record<string, unknown> {
  const json = readConfigJson(path, shown);
  if (!isObject(json)) throw configInvalid(shown, "must hold a JSON object");
  return json;
}

/**
 * Read a config file's JSON (or JSONC) value, whatever it is.
 *
 * @param path The file (absolute).
 * @param shown How to name it in messages (a path relative to the current folder).
 * @returns Its value.
 * @throws {GatherError} `CONFIG_INVALID` when it cannot be read or does not parse (with the line and column).
 *
 * @example Usage
 * ```ts
 * import { readConfigJson } from "./_config_text.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/package.json`, "[1]");
 * assertEquals(readConfigJson(`${dir}/package.json`, "package.json"), [1]);
 * await Deno.writeTextFile(`${dir}/package.json`, '{ "name": ');
 * assertThrows(() => readConfigJson(`${dir}/package.json`, "package.json"), Error, "does not parse");
 * ```
 */
export function readConfigJson(path: string, shown: string): unknown {
  let text: string;
  try {
    text = readTextFileOnly(path); // a named pipe in its place is refused, not waited on
  } catch (error) {
    throw configInvalid(shown, `cannot be read (${(error as Error).message})`);
  }
  return parseText(text, shown);
}

/**
 * Whether a JSON value is an object (not `null`, not an array).
 *
 * @param value The value.
 * @returns Whether its fields can be read.
 *
 * @example Usage
 * ```ts
 * import { isObject } from "./_config_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([isObject({}), isObject([]), isObject(null), isObject("a")], [true, false, false, false]);
 * ```
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The error for a config file that gather cannot use, in one line.
 *
 * @param shown The file, as messages name it.
 * @param message What is wrong, and where.
 * @returns A `CONFIG_INVALID` error: `Cannot read "<file>": <message>`.
 *
 * @example Usage
 * ```ts
 * import { configInvalid } from "./_config_text.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(configInvalid("deno.json", "oops").message, 'Cannot read "deno.json": oops');
 * ```
 */
export function configInvalid(shown: string, message: string): GatherError {
  return new GatherError("CONFIG_INVALID", `Cannot read "${shown}": ${message}`);
}

function parseText(text: string, shown: string): unknown {
  try {
    return JSON.parse(text); // the common case, and the fastest
  } catch {
    // JSONC: comments and trailing commas
  }
  try {
    return parseJsonc(text);
  } catch (error) {
    const message = (error as Error).message.replace(/^Cannot parse JSONC: /, "");
    const at = message.match(/ in JSONC at position (\d+)$/);
    const reason = at ? message.slice(0, at.index) : message;
    const where = at ? lineAndColumn(text, Number(at[1])) : "at the end";
    throw configInvalid(shown, `does not parse: ${reason} ${where}`);
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return `at line ${line}, column ${column}`;
}
