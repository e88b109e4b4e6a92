// Types of @std/async/abortable (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T>;
export function abortable<T>(p: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T>;
