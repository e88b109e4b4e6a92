// Types of @std/async/retry (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

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
