/**
 * A cached job's output files: saved into the store after it succeeds, and
 * restored on a hit where they differ from what is on disk (content and
 * executable bit; a symbolic link as a link to the same target, `links.ts`).
 * Restoring never writes outside the project root, whatever an entry says:
 * paths are checked, and so is every folder on the way, so a symbolic link
 * cannot lead a write out of the project.
 *
 * @module
 */

import { dirname, join, normalize } from "../deps/path.ts";
import { isFolder } from "../file_kind.ts";
import { type ParsedGlob, Walker } from "./glob.ts";
import type { HasherSource } from "./hash.ts";
import type { StatIndex } from "./stat_index.ts";
import { DamagedBlobError, type OutputFile } from "./entry.ts";
import {
  checkLinks,
  type OutputLink,
  readOutputLink,
  realTargetProblem,
  UnsafeLinkError,
} from "./links.ts";
import { type BlobSource, type LocalStore, SMALL_FILE_BYTES } from "./store.ts";

/** A path an entry names that would leave the project. */
export class UnsafePathError extends Error {
  /**
   * Construct it.
   *
   * @param path The path as the entry gives it.
   * @param why Why it is refused.
   */
  constructor(path: string, why: string) {
    super(`refused to restore "${path}": ${why}`);
    this.name = "UnsafePathError";
  }
}

/**
 * The absolute path of a root-relative path, refused when it would leave the root.
 *
 * @param root The project root (absolute, real).
 * @param path The relative path.
 * @returns The absolute path.
 * @throws {UnsafePathError} For an absolute path, `..` that leaves the root, or a NUL byte.
 *
 * @example Usage
 * ```ts
 * import { insideRoot } from "./outputs.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(insideRoot("/p", "build/a.o"), "/p/build/a.o");
 * assertThrows(() => insideRoot("/p", "../../etc/passwd"));
 * assertThrows(() => insideRoot("/p", "/etc/passwd"));
 * ```
 */
export function insideRoot(root: string, path: string): string {
  if (typeof path !== "string" || path === "" || path.includes("\0")) {
    throw new UnsafePathError(String(path), "not a file name");
  }
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || path.includes("\\")) {
    throw new UnsafePathError(path, "not a relative path");
  }
  // No `.`, `..` or empty segment: nothing to resolve.
  if (!/(^|\/)\.{0,2}(\/|$)/.test(path)) return `${root}/${path}`;
  const absolute = normalize(join(root, path));
  if (!absolute.startsWith(root.endsWith("/") ? root : `${root}/`)) {
    throw new UnsafePathError(path, "it leaves the project root");
  }
  return absolute;
}

/**
 * Save the files a job made: a file's content into the store, a symbolic
 * link as its target (never followed).
 *
 * @param root The project root.
 * @param globs The job's output globs.
 * @param store Where blobs go.
 * @returns The files and links saved, and the globs that matched nothing.
 * @throws {UnsafeLinkError} For a link whose target is absolute or leaves the root, or an
 * output under a link: the job cannot be stored.
 */
export async function saveOutputs(
  root: string,
  globs: readonly ParsedGlob[],
  store: LocalStore,
  signal?: AbortSignal,
): Promise<{ outputs: OutputFile[]; links: OutputLink[]; unmatched: string[] }> {
  // A new walker: the job has just changed the folders an earlier walk listed.
  const { files, unmatched } = new Walker(root, undefined, "keep").expand(globs);
  const regular: [string, Deno.FileInfo][] = [];
  const links: OutputLink[] = [];
  let realRoot: string | undefined;
  for (const path of files) {
    const absolute = join(root, path);
    if (isPlacing(absolute)) continue;
    const info = Deno.lstatSync(absolute);
    if (!info.isSymlink) regular.push([path, info]);
    else links.push(readOutputLink(absolute, path, realRoot ??= Deno.realPathSync(root)));
  }
  // Refused before anything is stored.
  checkLinks(regular.map(([path]) => path), links);
  const outputs: OutputFile[] = [];
  for (const [path, info] of regular) {
    signal?.throwIfAborted();
    const { hash, size } = await store.putFile(join(root, path), signal);
    outputs.push({ path, hash, size, mode: (info.mode ?? 0o644) & 0o777 });
  }
  return { outputs, links, unmatched };
}

/**
 * Restore an entry's files and links where they differ from what is on disk.
 *
 * @param root The project root (absolute, with symbolic links resolved).
 * @param outputs The entry's files.
 * @param blobs Where their blobs are.
 * @param index Hashes of the files on disk.
 * @param links The entry's symbolic links.
 * @returns How many files and links were written.
 * @throws {DamagedBlobError} When a blob is missing or damaged (checked before anything is written).
 * @throws {UnsafePathError} When a path would leave the root (checked before anything is written).
 * @throws {UnsafeLinkError} When a link would lead out of the root, or an output would be written
 * through a link (checked before anything is written; a link whose folder is really elsewhere, as
 * it is put in place).
 */
export async function restoreOutputs(
  root: string,
  outputs: readonly OutputFile[],
  blobs: BlobSource,
  index: StatIndex,
  links: readonly OutputLink[] = [],
  signal?: AbortSignal,
): Promise<number> {
  const targets = outputs.map((output) => {
    if (!/^[0-9a-f]{64}$/.test(output.hash)) {
      throw new DamagedBlobError(output.hash, "is not named by a SHA-256");
    }
    return { output, absolute: insideRoot(root, output.path) };
  });
  const linkTargets = links.map((link) => ({ link, absolute: insideRoot(root, link.path) }));
  checkLinks(outputs.map((output) => output.path), links);
  const stale = [];
  for (const target of targets) {
    if (
      !index.mayExist(target.absolute) || !(await unchanged(target.absolute, target.output, index))
    ) {
      stale.push(target);
    }
  }
  const staleLinks = linkTargets.filter(({ link, absolute }) =>
    !index.mayExist(absolute) || !sameLink(absolute, link)
  );
  // Every blob is found (and one held in memory checked) before anything is written.
  const sources: (string | Uint8Array)[] = [];
  for (const { output } of stale) {
    sources.push(blobs.file(output.hash) ?? await blobs.bytes(output.hash));
  }
  for (const [i, { output, absolute }] of stale.entries()) {
    signal?.throwIfAborted();
    folderInside(root, absolute, output.path);
    const source = sources[i]!;
    if (typeof source === "string" && output.size >= SMALL_FILE_BYTES) {
      await copyBlob(source, output, absolute, blobs.hasher, signal);
    } else {
      // A small blob file is read whole and checked (`bytes`): asynchronous opens, reads and
      // writes cost more than such a copy.
      const bytes = typeof source === "string" ? await blobs.bytes(output.hash) : source;
      await writeBlob(bytes, output, absolute);
    }
    index.forget(output.path);
    index.wrote(absolute);
  }
  for (const { link, absolute } of staleLinks) {
    const problem = realTargetProblem(root, folderInside(root, absolute, link.path), link);
    if (problem !== undefined) throw new UnsafeLinkError(problem);
    placeLink(absolute, link.target);
    index.forget(link.path);
    index.wrote(absolute);
  }
  return stale.length + staleLinks.length;
}

/**
 * Make the folder of a path to restore, refused when it is (through a link)
 * out of the project; its real path.
 */
function folderInside(root: string, absolute: string, path: string): string {
  const folder = dirname(absolute);
  Deno.mkdirSync(folder, { recursive: true });
  const real = Deno.realPathSync(folder);
  if (real !== root && !real.startsWith(`${root}/`)) {
    throw new UnsafePathError(path, "a folder on its way is a link out of the project");
  }
  return real;
}

/** Whether a path is already the link an entry holds. */
function sameLink(absolute: string, link: OutputLink): boolean {
  try {
    return Deno.lstatSync(absolute).isSymlink && Deno.readLinkSync(absolute) === link.target;
  } catch {
    return false;
  }
}

/** Put a link into place: made beside it, then renamed over whatever file or link is there. */
function placeLink(absolute: string, target: string): void {
  const temporary = `${absolute}.gather-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  Deno.symlinkSync(target, temporary);
  try {
    Deno.renameSync(temporary, absolute);
  } catch (error) {
    Deno.removeSync(temporary);
    throw error;
  }
}

async function unchanged(absolute: string, output: OutputFile, index: StatIndex): Promise<boolean> {
  try {
    const info = Deno.lstatSync(absolute);
    if (!info.isFile || info.size !== output.size || ((info.mode ?? 0) & 0o777) !== output.mode) {
      return false;
    }
    const hash = index.hash(absolute, output.path, info);
    return (typeof hash === "string" ? hash : await hash) === output.hash;
  } catch {
    return false;
  }
}

/** Put checked bytes into place. */
async function writeBlob(bytes: Uint8Array, output: OutputFile, absolute: string): Promise<void> {
  if (bytes.length !== output.size) {
    throw new DamagedBlobError(output.hash, "does not match its size");
  }
  await placeFile(absolute, output.mode, (temporary) => {
    Deno.writeFileSync(temporary, bytes, { createNew: true, mode: 0o600 });
  });
}

/** Copy a blob file into place, checking its hash on the way. */
async function copyBlob(
  blob: string,
  output: OutputFile,
  absolute: string,
  hasher: HasherSource,
  signal: AbortSignal | undefined,
): Promise<void> {
  const hash = (await hasher()).stream();
  await placeFile(absolute, output.mode, async (temporary) => {
    using source = await Deno.open(blob);
    using target = await Deno.open(temporary, { write: true, createNew: true, mode: 0o600 });
    const buffer = new Uint8Array(1 << 20);
    for (let n = await source.read(buffer); n !== null; n = await source.read(buffer)) {
      signal?.throwIfAborted(); // a large file is not copied to its end once the job is stopped
      const chunk = buffer.subarray(0, n);
      hash.update(chunk);
      for (let at = 0; at < n;) at += await target.write(chunk.subarray(at));
    }
    if (hash.digest() !== output.hash) {
      throw new DamagedBlobError(output.hash, "does not match its hash");
    }
  });
}

/** The name of a file being put into place: `<name>.gather-<pid>-<8 hex digits>`. */
const PLACING = /\.gather-(\d+)-[0-9a-f]{8}$/;

/**
 * Whether a path is a file gather was putting into place (never an output):
 * one a gather killed meanwhile left behind is removed.
 */
function isPlacing(absolute: string): boolean {
  const match = absolute.match(PLACING);
  if (match === null) return false;
  const pid = Number(match[1]);
  if (pid !== Deno.pid && Deno.build.os === "linux" && !isFolder(`/proc/${pid}`)) {
    try {
      Deno.removeSync(absolute);
    } catch {
      // gone, or not ours to remove
    }
  }
  return true;
}

/** Put a file into place through a temporary file beside it, which `fill` writes, with its mode. */
async function placeFile(
  absolute: string,
  mode: number,
  fill: (temporary: string) => Promise<void> | void,
): Promise<void> {
  const temporary = `${absolute}.gather-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await fill(temporary);
    Deno.chmodSync(temporary, mode);
    // Replaces a symbolic link at the path itself rather than writing through it.
    Deno.renameSync(temporary, absolute);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // never made
    }
    throw error;
  }
}
