/**
 * Read every format of a written graph back and compare it with the graph:
 * the same jobs and the same edges for every tool.
 *
 * @module
 */

import { parseDenoTasks } from "./formats/deno_task.ts";
import { parseFloorScript } from "./formats/floor.ts";
import { edgesOfTaskModule } from "./formats/gather.ts";
import { parseMakefile } from "./formats/make.ts";
import { parseNinja } from "./formats/ninja.ts";
import { parsePythonScript } from "./formats/python.ts";
import { type Edges, edgesOf, sortEdges } from "./formats/shared.ts";
import { parseXargsScript } from "./formats/xargs.ts";
import type { GraphFiles } from "./write.ts";

let reads = 0;

/**
 * Each format's edges, read back from the files. The gather task file is
 * imported (so its jobs are what gather would load); the Python script is run
 * with `--dump` when a Python is given, else its embedded data is read.
 *
 * @param files The written graph.
 * @param python A Python interpreter, if installed.
 * @returns The edges by format name.
 *
 * @example Usage
 * ```ts ignore
 * import { readFormats } from "./agree.ts";
 *
 * const edges = await readFormats(files);
 * ```
 */
export async function readFormats(
  files: GraphFiles,
  python?: string,
): Promise<Record<string, Edges>> {
  const text = (path: string) => Deno.readTextFile(path);
  // A query string per read: a rewritten file is imported afresh, not from the module cache.
  const module = await import(`file://${files.gather}?read=${++reads}`);
  const formats: Record<string, Edges> = {
    gather: edgesOfTaskModule(module),
    floor: parseFloorScript(await text(files.floor)),
  };
  if (python === undefined) {
    formats["python"] = parsePythonScript(await text(files.python));
  } else {
    const out = await new Deno.Command(python, { args: [files.python, "--dump"] }).output();
    if (!out.success) throw new Error(`python3 ${files.python} --dump failed`);
    formats["python"] = sortEdges(JSON.parse(new TextDecoder().decode(out.stdout)));
  }
  if (files.ninja) formats["ninja"] = parseNinja(await text(files.ninja));
  if (files.make) formats["make"] = parseMakefile(await text(files.make));
  if (files.denoTask) formats["deno task"] = parseDenoTasks(await text(files.denoTask));
  if (files.xargs) formats["xargs"] = parseXargsScript(await text(files.xargs));
  return formats;
}

/**
 * The formats whose jobs or edges differ from the graph.
 *
 * @param files The written graph.
 * @param python A Python interpreter, if installed.
 * @returns One line per format that disagrees; empty if all agree.
 *
 * @example Usage
 * ```ts ignore
 * import { disagreements } from "./agree.ts";
 *
 * const problems = await disagreements(files);
 * ```
 */
export async function disagreements(files: GraphFiles, python?: string): Promise<string[]> {
  const expected = edgesOf(files.graph);
  const problems: string[] = [];
  for (const [format, edges] of Object.entries(await readFormats(files, python))) {
    const difference = firstDifference(expected, edges);
    if (difference) problems.push(`${format}: ${difference}`);
  }
  return problems;
}

function firstDifference(expected: Edges, actual: Edges): string | undefined {
  for (const name of Object.keys(expected)) {
    if (!(name in actual)) return `job ${name} is missing`;
    const want = expected[name]!.join(",");
    const got = actual[name]!.join(",");
    if (want !== got) return `${name} depends on [${got}], expected [${want}]`;
  }
  const extra = Object.keys(actual).find((name) => !(name in expected));
  return extra === undefined ? undefined : `unexpected job ${extra}`;
}
