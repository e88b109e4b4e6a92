/**
 * Patches for the standard streams, undone exactly: Deno's (`write`,
 * `writeSync`, `writable`) and node's (`process.stdout.write`, which in a
 * terminal does not go through Deno's). Inside a job what is written goes to
 * its lines; outside every job stdout goes to the fallback (the run owns it)
 * and stderr passes through.
 *
 * @module
 */

import type { JobScope } from "../engine/scope.ts";
import type { JobLines, StdStreamName } from "./_job_lines.ts";

/** A standard stream as Deno has it (`Deno.stdout`, `Deno.stderr`). */
export interface StdStream {
  /** Write bytes; resolves to how many were written. */
  write(p: Uint8Array): Promise<number>;
  /** Write bytes now; returns how many were written. */
  writeSync(p: Uint8Array): number;
  /** The stream as a `WritableStream`. */
  readonly writable: WritableStream<Uint8Array>;
}

/** A node stream's write (`process.stdout`, `process.stderr`). */
export interface NodeStream {
  /** Write a chunk; calls back once it is written. */
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean;
}

/**
 * Property replacements, each undone exactly: an own property is put back,
 * an inherited one deleted.
 *
 * @example Usage
 * ```ts
 * import { Patches } from "./_stream_capture.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const target = { hello: () => "hi" };
 * const patches = new Patches();
 * patches.set(target, "hello", () => "patched");
 * patches.restore();
 * assertEquals(target.hello(), "hi");
 * ```
 */
export class Patches {
  #undo: (() => void)[] = [];

  /**
   * Replace a property by a value.
   *
   * @param target The object.
   * @param key The property.
   * @param value Its new value.
   */
  set(target: object, key: string, value: unknown): void {
    this.#save(target, key);
    Object.defineProperty(target, key, { value, writable: true, configurable: true });
  }

  /**
   * Replace a property by a getter.
   *
   * @param target The object.
   * @param key The property.
   * @param get Its new getter.
   */
  getter(target: object, key: string, get: () => unknown): void {
    this.#save(target, key);
    Object.defineProperty(target, key, { get, configurable: true });
  }

  /** Undo every patch, newest first. */
  restore(): void {
    for (let undo = this.#undo.pop(); undo !== undefined; undo = this.#undo.pop()) undo();
  }

  #save(target: object, key: string): void {
    const own = Object.getOwnPropertyDescriptor(target, key);
    this.#undo.push(() => {
      if (own) Object.defineProperty(target, key, own);
      else delete (target as Record<string, unknown>)[key];
    });
  }
}

/**
 * Patch one of Deno's standard streams.
 *
 * @param patches Where the patches are kept.
 * @param stream The stream.
 * @param name Which one it is.
 * @param scope Tells which job is running.
 * @param lines Receives what jobs (and, for stdout, code outside every job) write.
 *
 * @example Usage
 * ```ts
 * import { Patches, patchDenoStream } from "./_stream_capture.ts";
 * import { JobLines } from "./_job_lines.ts";
 * import { JobScope } from "../engine/scope.ts";
 * import type { GatherEvent } from "../events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const events: GatherEvent[] = [];
 * const scope = new JobScope();
 * const stream = {
 *   write: (p: Uint8Array) => Promise.resolve(p.length),
 *   writeSync: (p: Uint8Array) => p.length,
 *   writable: new WritableStream<Uint8Array>(),
 * };
 * const patches = new Patches();
 * patchDenoStream(patches, stream, "stdout", scope, new JobLines((e) => events.push(e), () => {}));
 * scope.run("job", () => stream.writeSync(new TextEncoder().encode("hi\n")));
 * patches.restore();
 * assertEquals(events.length, 1);
 * ```
 */
export function patchDenoStream(
  patches: Patches,
  stream: StdStream,
  name: StdStreamName,
  scope: Pick<JobScope, "current">,
  lines: JobLines,
): void {
  const writable = descriptorOf(stream, "writable"); // read before it is patched
  const original = {
    write: stream.write.bind(stream),
    writeSync: stream.writeSync.bind(stream),
    writable: () => writable?.get ? writable.get.call(stream) : writable?.value,
  };
  const passes = name === "stderr"; // outside every job
  patches.set(stream, "writeSync", (p: Uint8Array) => {
    const job = scope.current();
    if (job === undefined && passes) return original.writeSync(p);
    lines.bytes(job, name, p);
    return p.byteLength;
  });
  patches.set(stream, "write", (p: Uint8Array) => {
    const job = scope.current();
    if (job === undefined && passes) return original.write(p);
    lines.bytes(job, name, p);
    return Promise.resolve(p.byteLength);
  });
  patches.getter(stream, "writable", () => {
    const job = scope.current();
    if (job === undefined && passes) return original.writable();
    return new WritableStream<Uint8Array>({ write: (chunk) => lines.bytes(job, name, chunk) });
  });
}

/**
 * Patch one of node's standard streams (`process.stdout.write`).
 *
 * @param patches Where the patches are kept.
 * @param stream The stream.
 * @param name Which one it is.
 * @param scope Tells which job is running.
 * @param lines Receives what jobs (and, for stdout, code outside every job) write.
 * @param encode Turns a string written with an encoding other than UTF-8 into bytes.
 *
 * @example Usage
 * ```ts
 * import { Patches, patchNodeStream } from "./_stream_capture.ts";
 * import { JobLines } from "./_job_lines.ts";
 * import { JobScope } from "../engine/scope.ts";
 * import type { GatherEvent } from "../events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const events: GatherEvent[] = [];
 * const scope = new JobScope();
 * const stream = { write: (_chunk: string | Uint8Array) => true };
 * const patches = new Patches();
 * patchNodeStream(patches, stream, "stdout", scope, new JobLines((e) => events.push(e), () => {}));
 * scope.run("job", () => stream.write("hi\n"));
 * patches.restore();
 * assertEquals(events.length, 1);
 * ```
 */
export function patchNodeStream(
  patches: Patches,
  stream: NodeStream,
  name: StdStreamName,
  scope: Pick<JobScope, "current">,
  lines: JobLines,
  encode: (text: string, encoding: string) => Uint8Array = (text) => new TextEncoder().encode(text),
): void {
  const write = stream.write.bind(stream);
  patches.set(stream, "write", (chunk: string | Uint8Array, ...rest: unknown[]) => {
    const job = scope.current();
    if (job === undefined && name === "stderr") return write(chunk, ...rest);
    const [encoding] = rest;
    if (typeof chunk !== "string") lines.bytes(job, name, chunk);
    else if (typeof encoding !== "string" || /^utf-?8$/i.test(encoding)) {
      lines.text(job, name, chunk);
    } else lines.bytes(job, name, encode(chunk, encoding));
    const done = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (done) queueMicrotask(done);
    return true;
  });
}

/** A property's descriptor, found on the object or up its prototype chain. */
function descriptorOf(target: object, key: string): PropertyDescriptor | undefined {
  for (let at: object | null = target; at !== null; at = Object.getPrototypeOf(at)) {
    const descriptor = Object.getOwnPropertyDescriptor(at, key);
    if (descriptor) return descriptor;
  }
  return undefined;
}
