// Types of @std/async/pool (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

export function pooledMap<T, R>(
  poolLimit: number,
  array: Iterable<T> | AsyncIterable<T>,
  iteratorFn: (data: T) => Promise<R>,
): AsyncIterableIterator<R>;
