/**
 * Ending this process by a signal, through libc: the signal's handler is set
 * back to the default action (`signal(n, SIG_DFL)`), then the signal is
 * raised. Removing Deno's listeners is not enough for every signal: its
 * runtime keeps its own handler installed for some of them (SIGUSR1 seen),
 * and a signal sent to itself is then only caught again.
 *
 * @module
 */

import { SIGNALS } from "./posix_spawn.ts";

const SYMBOLS = {
  signal: { parameters: ["i32", "pointer"], result: "pointer" },
  raise: { parameters: ["i32"], result: "i32" },
} as const;

/**
 * End this process by a signal, as its default action would: through libc
 * where `--allow-ffi` is granted on Linux; otherwise `false` (and the caller
 * exits with 128 + n).
 *
 * @param signal The signal's name.
 * @returns `false` when it could not (it does not return otherwise).
 *
 * @example Usage
 * ```ts ignore
 * import { dieBySignal } from "./raise.ts";
 *
 * if (!dieBySignal("SIGINT")) Deno.exit(130);
 * ```
 */
export function dieBySignal(signal: string): boolean {
  const number = (SIGNALS as Record<string, number>)[signal];
  if (number === undefined || Deno.build.os !== "linux") return false;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return false;
    const libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    libc.signal(number, null); // SIG_DFL
    libc.raise(number);
  } catch {
    return false;
  }
  return false; // still alive: the signal is blocked or ignored
}
