// Types for the Deno standard library modules gather uses. The npm mirror
// `deno-std@1.4.0` ships JavaScript only; these declarations are copied from
// the documented signatures of the JSR packages of the same version.

declare module "@std/assert" {
  export class AssertionError extends Error {
    constructor(message: string, options?: ErrorOptions);
  }
  export function assert(expr: unknown, msg?: string): asserts expr;
  export function assertEquals<T>(actual: T, expected: T, msg?: string): void;
  export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void;
  export function assertStrictEquals<T>(
    actual: unknown,
    expected: T,
    msg?: string,
  ): asserts actual is T;
  export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T>;
  export function assertMatch(actual: string, expected: RegExp, msg?: string): void;
  export function assertNotMatch(actual: string, expected: RegExp, msg?: string): void;
  export function assertStringIncludes(actual: string, expected: string, msg?: string): void;
  export function assertArrayIncludes<T>(
    actual: ArrayLike<T>,
    expected: ArrayLike<T>,
    msg?: string,
  ): void;
  export function assertGreater<T>(actual: T, expected: T, msg?: string): void;
  export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void;
  export function assertLess<T>(actual: T, expected: T, msg?: string): void;
  export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void;
  export function assertInstanceOf<T extends abstract new (...args: never[]) => unknown>(
    actual: unknown,
    expectedType: T,
    msg?: string,
  ): asserts actual is InstanceType<T>;
  export function assertThrows(fn: () => unknown, msg?: string): unknown;
  export function assertThrows<E extends Error = Error>(
    fn: () => unknown,
    ErrorClass: abstract new (...args: never[]) => E,
    msgIncludes?: string,
    msg?: string,
  ): E;
  export function assertRejects(fn: () => PromiseLike<unknown>, msg?: string): Promise<unknown>;
  export function assertRejects<E extends Error = Error>(
    fn: () => PromiseLike<unknown>,
    ErrorClass: abstract new (...args: never[]) => E,
    msgIncludes?: string,
    msg?: string,
  ): Promise<E>;
  export function fail(msg?: string): never;
  export function unreachable(msg?: string): never;
}

declare module "@std/async/abortable" {
  export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T>;
  export function abortable<T>(p: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T>;
}

declare module "@std/async/delay" {
  export interface DelayOptions {
    /** Signal used to abort the delay. */
    signal?: AbortSignal;
    /** Whether the timer keeps the process alive. @default {true} */
    persistent?: boolean;
  }
  export function delay(ms: number, options?: DelayOptions): Promise<void>;
}

declare module "@std/async/pool" {
  export function pooledMap<T, R>(
    poolLimit: number,
    array: Iterable<T> | AsyncIterable<T>,
    iteratorFn: (data: T) => Promise<R>,
  ): AsyncIterableIterator<R>;
}

declare module "@std/async/retry" {
  export class RetryError extends Error {
    constructor(cause: unknown, attempts: number);
  }
  export interface RetryOptions {
    /** @default {2} */
    multiplier?: number;
    /** @default {60000} */
    maxTimeout?: number;
    /** @default {5} */
    maxAttempts?: number;
    /** @default {1000} */
    minTimeout?: number;
    /** @default {1} */
    jitter?: number;
    /** @default {() => true} */
    isRetriable?: (err: unknown) => boolean;
    signal?: AbortSignal;
  }
  export function retry<T>(fn: () => Promise<T>, options?: RetryOptions): Promise<T>;
}

declare module "@std/cli/parse-args" {
  export interface ParseOptions {
    "--"?: boolean;
    alias?: Record<string, string | readonly string[]>;
    boolean?: boolean | string | readonly string[];
    default?: Record<string, unknown>;
    stopEarly?: boolean;
    string?: string | readonly string[];
    collect?: string | readonly string[];
    negatable?: string | readonly string[];
    unknown?: (arg: string, key?: string, value?: unknown) => unknown;
  }
  export interface Args {
    [key: string]: unknown;
    _: Array<string | number>;
    "--"?: string[];
  }
  export function parseArgs(args: string[], options?: ParseOptions): Args;
}

declare module "@std/cli/unicode-width" {
  export function unicodeWidth(str: string): number;
}

declare module "@std/data-structures/binary-heap" {
  export class BinaryHeap<T> implements Iterable<T> {
    constructor(compare?: (a: T, b: T) => number);
    get length(): number;
    isEmpty(): boolean;
    peek(): T | undefined;
    pop(): T | undefined;
    push(...values: T[]): number;
    clear(): void;
    [Symbol.iterator](): IterableIterator<T>;
  }
}

declare module "@std/fmt/colors" {
  export function setColorEnabled(value: boolean): void;
  export function getColorEnabled(): boolean;
  export function bold(str: string): string;
  export function dim(str: string): string;
  export function red(str: string): string;
  export function green(str: string): string;
  export function yellow(str: string): string;
  export function blue(str: string): string;
  export function magenta(str: string): string;
  export function cyan(str: string): string;
  export function gray(str: string): string;
  export function stripAnsiCode(string: string): string;
}

declare module "@std/fmt/duration" {
  export interface FormatOptions {
    /** @default {"narrow"} */
    style?: "narrow" | "digital" | "full";
    /** @default {false} */
    ignoreZero?: boolean;
  }
  export function format(ms: number, options?: FormatOptions): string;
}

declare module "@std/streams/text-line-stream" {
  export interface TextLineStreamOptions {
    /** @default {false} */
    allowCR?: boolean;
  }
  export class TextLineStream extends TransformStream<string, string> {
    constructor(options?: TextLineStreamOptions);
  }
}

declare module "@std/text/closest-string" {
  export interface ClosestStringOptions {
    /** @default {false} */
    caseSensitive?: boolean;
    compareFn?: (a: string, b: string) => number;
  }
  export function closestString(
    givenWord: string,
    possibleWords: ReadonlyArray<string>,
    options?: ClosestStringOptions,
  ): string;
}
