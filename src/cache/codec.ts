/**
 * Results as bytes and back, for the cache: a portable, deterministic JSON
 * encoding that keeps what `JSON.stringify` loses (`undefined`, `NaN`, `-0`,
 * `BigInt`, `Date`, `Map`, `Set`, `RegExp`, typed arrays), so a cached result
 * is deep-equal to the one the job returned. Values that cannot round-trip
 * (functions, symbols, class instances, cycles) are refused with the path of
 * the offending value, and the job is not cached.
 *
 * @module
 */

/** Why a value cannot be stored. */
export class UnstorableError extends Error {
  /** Where in the value, e.g. `result.files[2]`. */
  readonly path: string;

  /**
   * Construct it.
   *
   * @param path Where the value is.
   * @param what What it is.
   */
  constructor(path: string, what: string) {
    super(`${path} is ${what}, which the cache cannot store`);
    this.name = "UnstorableError";
    this.path = path;
  }
}

type Encoded =
  | null
  | boolean
  | number
  | string
  | Encoded[]
  | { [key: string]: Encoded };

const TAG = "$gather";

/**
 * Encode a value.
 *
 * @param value The value.
 * @returns Its encoding, as JSON text.
 * @throws {UnstorableError} For a function, symbol, class instance, cycle, or a typed array view of shared memory.
 *
 * @example Usage
 * ```ts
 * import { decodeValue, encodeValue } from "./codec.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const value = { when: new Date(0), tags: new Set(["a"]), n: -0, big: 10n, none: undefined };
 * assertEquals(decodeValue(encodeValue(value)), value);
 * ```
 */
export function encodeValue(value: unknown): string {
  return JSON.stringify(encode(value, "result", new Set()));
}

/**
 * Decode what {@linkcode encodeValue} made.
 *
 * @param text The encoding.
 * @returns The value.
 * @throws {SyntaxError} On text that is not an encoding.
 */
export function decodeValue(text: string): unknown {
  return decode(JSON.parse(text));
}

function tagged(type: string, value: Encoded): Encoded {
  return { [TAG]: type, v: value };
}

function encode(value: unknown, path: string, seen: Set<object>): Encoded {
  switch (typeof value) {
    case "undefined":
      return tagged("undefined", null);
    case "boolean":
    case "string":
      return value;
    case "number":
      if (Number.isNaN(value)) return tagged("number", "NaN");
      if (!Number.isFinite(value)) return tagged("number", value > 0 ? "Infinity" : "-Infinity");
      if (Object.is(value, -0)) return tagged("number", "-0");
      return value;
    case "bigint":
      return tagged("bigint", value.toString());
    case "function":
      throw new UnstorableError(path, "a function");
    case "symbol":
      throw new UnstorableError(path, "a symbol");
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) throw new UnstorableError(path, "a cycle back to an enclosing value");
  seen.add(object);
  try {
    return encodeObject(object, path, seen);
  } finally {
    seen.delete(object);
  }
}

function encodeObject(object: object, path: string, seen: Set<object>): Encoded {
  if (Array.isArray(object)) {
    const items: Encoded[] = [];
    for (let i = 0; i < object.length; i++) {
      items.push(i in object ? encode(object[i], `${path}[${i}]`, seen) : tagged("hole", null));
    }
    return items;
  }
  if (object instanceof Date) return tagged("Date", object.getTime());
  if (object instanceof RegExp) return tagged("RegExp", [object.source, object.flags]);
  if (object instanceof Map) {
    return tagged(
      "Map",
      [...object].map((
        [k, v],
        i,
      ) => [encode(k, `${path}.keys[${i}]`, seen), encode(v, `${path}.get(${i})`, seen)]),
    );
  }
  if (object instanceof Set) {
    return tagged("Set", [...object].map((v, i) => encode(v, `${path}[${i}]`, seen)));
  }
  if (ArrayBuffer.isView(object) && !(object instanceof DataView)) {
    const name = object.constructor.name;
    if (object.buffer instanceof SharedArrayBuffer) {
      throw new UnstorableError(path, `a ${name} on shared memory`);
    }
    const bytes = new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
    return tagged(name, toBase64(bytes));
  }
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    const name = (object as { constructor?: { name?: string } }).constructor?.name ?? "object";
    throw new UnstorableError(path, `an instance of ${name}`);
  }
  const out: { [key: string]: Encoded } = {};
  for (const key of Object.keys(object)) {
    const encoded = encode((object as Record<string, unknown>)[key], `${path}.${key}`, seen);
    out[key === TAG ? `${TAG}$` : key] = encoded;
  }
  if (Object.getOwnPropertySymbols(object).length > 0) {
    throw new UnstorableError(path, "an object with symbol keys");
  }
  return proto === null ? tagged("null-proto", out) : out;
}

const TYPED: Record<string, new (buffer: ArrayBuffer) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

function decode(value: Encoded): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    value.forEach((item, i) => {
      if (!isTag(item, "hole")) out[i] = decode(item);
    });
    return out;
  }
  const type = value[TAG];
  if (typeof type === "string") return decodeTagged(type, value["v"] ?? null);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key === `${TAG}$` ? TAG : key] = decode(item);
  }
  return out;
}

function decodeTagged(type: string, v: Encoded): unknown {
  switch (type) {
    case "undefined":
      return undefined;
    case "number":
      return v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : -0;
    case "bigint":
      return BigInt(v as string);
    case "Date":
      return new Date(v as number);
    case "RegExp":
      return new RegExp((v as string[])[0]!, (v as string[])[1]!);
    case "Map":
      return new Map((v as Encoded[][]).map(([k, item]) => [decode(k!), decode(item!)]));
    case "Set":
      return new Set((v as Encoded[]).map(decode));
    case "null-proto":
      return Object.assign(Object.create(null), decode(v) as object);
  }
  const Typed = TYPED[type];
  if (Typed === undefined) throw new SyntaxError(`Unknown cached value type "${type}"`);
  const bytes = Uint8Array.from(atob(v as string), (c) => c.charCodeAt(0));
  return new Typed(bytes.buffer);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let at = 0; at < bytes.length; at += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(binary);
}

function isTag(value: Encoded, type: string): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    value[TAG] === type;
}
