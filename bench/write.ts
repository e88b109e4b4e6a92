/**
 * Write one graph in every tool's format into a directory.
 *
 * @module
 */

import { join } from "./paths.ts";
import type { BenchGraph } from "./graphs.ts";
import { denoTasks } from "./formats/deno_task.ts";
import { floorScript } from "./formats/floor.ts";
import { gatherTaskFile } from "./formats/gather.ts";
import { makefile } from "./formats/make.ts";
import { buildNinja } from "./formats/ninja.ts";
import { pythonScript } from "./formats/python.ts";
import type { JobKind, Programs } from "./formats/shared.ts";
import { xargsScript } from "./formats/xargs.ts";

/** Options of {@linkcode writeGraph}. */
export interface WriteOptions {
  /** In-process sleeps or subprocesses. */
  kind: JobKind;
  /** Where `true` and `sleep` are. */
  programs: Programs;
  /** URL of gather's `mod.ts`. */
  modUrl: string;
  /** Style of the gather task file. @default {by size} */
  style?: "exports" | "loop";
}

/** The files of one graph. The build-tool formats exist for process jobs only. */
export interface GraphFiles {
  /** The directory. */
  dir: string;
  /** The graph. */
  graph: BenchGraph;
  /** The job kind. */
  kind: JobKind;
  /** `gather.ts`: the gather task file. */
  gather: string;
  /** `graph.py`: the Python asyncio script. */
  python: string;
  /** `floor.ts`: the bare Deno loop. */
  floor: string;
  /** `build.ninja`. */
  ninja?: string;
  /** `Makefile`. */
  make?: string;
  /** `deno/deno.json`, in a folder of its own so it is not gather's config. */
  denoTask?: string;
  /** `xargs.sh`, for graphs without edges. */
  xargs?: string;
}

/**
 * Write the graph's files, replacing the directory's previous content.
 *
 * @param dir The directory (created if missing).
 * @param graph The graph.
 * @param options Job kind, programs, where gather is.
 * @returns The paths written.
 *
 * @example Usage
 * ```ts
 * import { writeGraph } from "./write.ts";
 * import { makeGraph } from "./graphs.ts";
 * import { DEFAULT_PROGRAMS } from "./formats/shared.ts";
 * import { assert } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * const files = await writeGraph(dir, makeGraph({ shape: "chain", n: 3 }), {
 *   kind: "process",
 *   programs: DEFAULT_PROGRAMS,
 *   modUrl: new URL("../mod.ts", import.meta.url).href,
 * });
 * assert(files.ninja !== undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeGraph(
  dir: string,
  graph: BenchGraph,
  options: WriteOptions,
): Promise<GraphFiles> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const { kind, programs } = options;
  const files: GraphFiles = {
    dir,
    graph,
    kind,
    gather: join(dir, "gather.ts"),
    python: join(dir, "graph.py"),
    floor: join(dir, "floor.ts"),
  };
  await Deno.writeTextFile(
    files.gather,
    gatherTaskFile(graph, {
      kind,
      programs,
      modUrl: options.modUrl,
      ...(options.style ? { style: options.style } : {}),
    }),
  );
  await Deno.writeTextFile(files.python, pythonScript(graph, kind, programs));
  await Deno.writeTextFile(files.floor, floorScript(graph, kind, programs));
  if (kind === "async") return files;
  files.ninja = join(dir, "build.ninja");
  files.make = join(dir, "Makefile");
  files.denoTask = join(dir, "deno", "deno.json");
  await Deno.writeTextFile(files.ninja, buildNinja(graph, programs));
  await Deno.writeTextFile(files.make, makefile(graph, programs));
  await Deno.mkdir(join(dir, "deno"));
  await Deno.writeTextFile(files.denoTask, denoTasks(graph, programs));
  const xargs = xargsScript(graph, programs);
  if (xargs !== undefined) {
    files.xargs = join(dir, "xargs.sh");
    await Deno.writeTextFile(files.xargs, xargs);
  }
  return files;
}
