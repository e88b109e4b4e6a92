/**
 * Writing a file so that nobody ever sees half of it: to a temporary file in
 * the same folder, created afresh (never an open of something already there,
 * such as a named pipe, which would block), then renamed into place.
 *
 * @module
 */

import { dirname } from "../deps/path.ts";

/**
 * Write a file atomically: to a temporary file in the same folder, then renamed.
 *
 * @param path The file.
 * @param data Its content.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") Deno.writeTextFileSync(temporary, data, { createNew: true });
    else Deno.writeFileSync(temporary, data, { createNew: true });
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // never made
    }
    throw error;
  }
}
