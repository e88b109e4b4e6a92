// Types of @std/async/delay (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

export interface DelayOptions {
  /** Signal used to abort the delay. */
  signal?: AbortSignal;
  /** Whether the timer keeps the process alive. @default {true} */
  persistent?: boolean;
}
export function delay(ms: number, options?: DelayOptions): Promise<void>;
