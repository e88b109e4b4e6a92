/**
 * Map a line of Deno's emitted JavaScript back to the TypeScript source,
 * using the inline source map of Deno's emit cache when it is there.
 * Best effort: any failure returns `undefined`, and callers show the
 * emitted line instead.
 *
 * @module
 */

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((char, i) => [char, i]));

/**
 * The 1-based source line for a 1-based emitted line, from a source map's
 * `mappings` string (first segment of the line that maps somewhere).
 *
 * @param mappings The `mappings` field of a version 3 source map.
 * @param line The 1-based line in the emitted file.
 * @returns The 1-based line in the source, or `undefined`.
 */
export function originalLine(mappings: string, line: number): number | undefined {
  let sourceLine = 0;
  const lines = mappings.split(";");
  for (let i = 0; i < lines.length; i++) {
    for (const segment of lines[i]!.split(",")) {
      if (segment === "") continue;
      const fields = decodeVlq(segment);
      if (fields.length >= 4) {
        sourceLine += fields[2]!;
        if (i === line - 1) return sourceLine + 1;
      }
    }
    if (i >= line - 1) return undefined;
  }
  return undefined;
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) return values;
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/**
 * Find the TypeScript line of an emitted line for a local `.ts` module.
 *
 * @param url The module's file URL.
 * @param line The 1-based emitted line.
 * @param denoDir Deno's cache directory.
 * @returns The 1-based source line, or `undefined` when it cannot tell.
 */
export function sourceLine(
  url: string,
  line: number,
  denoDir: string | undefined,
): number | undefined {
  if (!denoDir || !url.startsWith("file://") || !/\.(ts|tsx|mts)$/.test(url)) return undefined;
  try {
    const emitted = Deno.readTextFileSync(`${denoDir}/gen/file${new URL(url).pathname}.js`);
    const marker = "sourceMappingURL=data:application/json;base64,";
    const at = emitted.lastIndexOf(marker);
    if (at < 0) return undefined;
    const encoded = emitted.slice(at + marker.length).split(/\s/, 1)[0]!;
    const map = JSON.parse(atob(encoded));
    return typeof map.mappings === "string" ? originalLine(map.mappings, line) : undefined;
  } catch {
    return undefined;
  }
}
