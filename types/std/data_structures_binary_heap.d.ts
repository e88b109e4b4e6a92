// Types of @std/data-structures/binary-heap (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

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
