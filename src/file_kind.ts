/**
 * What a path is, without throwing: the checks every subsystem makes before
 * it reads a file or walks a folder; and reading gather's own files so that
 * a named pipe or a device in a file's place is refused instead of blocking
 * the main thread (where even a signal could no longer be handled).
 *
 * @module
 */

/**
 * Whether a path is a file, following symbolic links.
 *
 * @param path The path.
 * @returns `false` when it is anything else, or nothing, or cannot be seen.
 *
 * @example Usage
 * ```ts
 * import { isFile } from "./file_kind.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "a");
 * assertEquals([isFile(`${dir}/a.txt`), isFile(dir), isFile(`${dir}/none`)], [true, false, false]);
 * ```
 */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Whether a path is a folder, following symbolic links.
 *
 * @param path The path.
 * @returns `false` when it is anything else, or nothing, or cannot be seen.
 *
 * @example Usage
 * ```ts
 * import { isFolder } from "./file_kind.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * assertEquals([isFolder(dir), isFolder(`${dir}/none`)], [true, false]);
 * ```
 */
export function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * What a path holds that is neither a file nor a folder, in words: what a
 * message says is in the way.
 *
 * @param info The path's `Deno.stat` (or `lstat`) info.
 * @returns `"a named pipe (FIFO)"`, `"a character device"`, `"a block device"`,
 * `"a socket"`; `undefined` for a file, a folder or a symbolic link.
 *
 * @example Usage
 * ```ts
 * import { oddKind } from "./file_kind.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(oddKind(Deno.statSync("/dev/null")), "a character device");
 * assertEquals(oddKind(Deno.statSync(Deno.cwd())), undefined);
 * ```
 */
export function oddKind(info: Deno.FileInfo): string | undefined {
  if (info.isFifo) return "a named pipe (FIFO)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return undefined;
}

/**
 * Thrown instead of opening a path that holds neither a file nor a folder:
 * opening or reading a named pipe blocks until another process writes to it,
 * a terminal waits for a key, `/dev/zero` never ends.
 *
 * @example Usage
 * ```ts
 * import { NotAFileError } from "./file_kind.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new NotAFileError("/dev/null", "a character device");
 * assertEquals(error.message, '"/dev/null" is a character device, not a file');
 * ```
 */
export class NotAFileError extends Error {
  /** What is there, in words (`a named pipe (FIFO)`). */
  readonly kind: string;

  /**
   * Construct the error.
   *
   * @param path The path.
   * @param kind What is there, in words.
   */
  constructor(path: string, kind: string) {
    super(`"${path}" is ${kind}, not a file`);
    this.name = "NotAFileError";
    this.kind = kind;
  }
}

/** Stat a path and refuse it if it is neither a file nor a folder (a folder's read throws anyway). */
function refuseOdd(path: string): void {
  const kind = oddKind(Deno.statSync(path));
  if (kind !== undefined) throw new NotAFileError(path, kind);
}

/**
 * Read a file's bytes, refusing at once what reading could block on or never
 * finish (a named pipe, a device, a socket). For gather's own files, which
 * are read on the main thread: a block there would stop even the signals.
 * Checked, then read: something put in the file's place in between is not
 * seen.
 *
 * @param path The file.
 * @returns Its bytes.
 * @throws {NotAFileError} When the path holds neither a file nor a folder.
 * @throws {Deno.errors.NotFound} When nothing is there; what `Deno.readFileSync` throws otherwise.
 *
 * @example Usage
 * ```ts
 * import { NotAFileError, readFileOnly } from "./file_kind.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * assertEquals(readFileOnly(path).length, 0);
 * assertThrows(() => readFileOnly("/dev/zero"), NotAFileError);
 * ```
 */
export function readFileOnly(path: string): Uint8Array {
  refuseOdd(path);
  return Deno.readFileSync(path);
}

/**
 * Read a file's text, refusing at once what reading could block on or never
 * finish, as {@linkcode readFileOnly} does.
 *
 * @param path The file.
 * @returns Its text.
 * @throws {NotAFileError} When the path holds neither a file nor a folder.
 * @throws {Deno.errors.NotFound} When nothing is there; what `Deno.readTextFileSync` throws otherwise.
 *
 * @example Usage
 * ```ts
 * import { NotAFileError, readTextFileOnly } from "./file_kind.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hi");
 * assertEquals(readTextFileOnly(path), "hi");
 * assertThrows(() => readTextFileOnly("/dev/null"), NotAFileError);
 * ```
 */
export function readTextFileOnly(path: string): string {
  refuseOdd(path);
  return Deno.readTextFileSync(path);
}

/**
 * Open a file for reading, refusing at once what opening could block on (a
 * named pipe, a terminal), as {@linkcode readFileOnly} does.
 *
 * @param path The file.
 * @returns The open file.
 * @throws {NotAFileError} When the path holds neither a file nor a folder.
 * @throws {Deno.errors.NotFound} When nothing is there; what `Deno.openSync` throws otherwise.
 *
 * @example Usage
 * ```ts
 * import { openFileOnly } from "./file_kind.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * using file = openFileOnly(path);
 * assertEquals(file.statSync().size, 0);
 * ```
 */
export function openFileOnly(path: string): Deno.FsFile {
  refuseOdd(path);
  return Deno.openSync(path, { read: true });
}
