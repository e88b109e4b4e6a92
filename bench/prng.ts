/**
 * A small seeded pseudo-random number generator, so a benchmark graph is the
 * same on every machine and in every run.
 *
 * @module
 */

/** Returns a number in `[0, 1)` on each call. */
export type Random = () => number;

/**
 * The mulberry32 generator: 32 bits of state, fast, good enough for shuffling
 * benchmark graphs (not for anything secret).
 *
 * @param seed Any integer; the same seed gives the same sequence.
 * @returns The generator.
 *
 * @example Usage
 * ```ts
 * import { mulberry32 } from "./prng.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(mulberry32(7)(), mulberry32(7)());
 * ```
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A whole number in `[min, max]`.
 *
 * @param random The generator.
 * @param min The smallest value.
 * @param max The largest value.
 * @returns The number.
 *
 * @example Usage
 * ```ts
 * import { mulberry32, randomInt } from "./prng.ts";
 * import { assert } from "@std/assert";
 *
 * const n = randomInt(mulberry32(1), 10, 100);
 * assert(n >= 10 && n <= 100);
 * ```
 */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
