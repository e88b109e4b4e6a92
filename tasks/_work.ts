/**
 * CPU-heavy work for `tasks/fixed.ts` to offload: a module of plain exported
 * functions, loaded by a worker.
 */

/** Busy work for `ms` milliseconds; returns how many rounds it did. */
export function crunch(ms: number): number {
  const end = performance.now() + ms;
  let rounds = 0;
  while (performance.now() < end) rounds++;
  return rounds;
}
