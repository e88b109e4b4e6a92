/**
 * The tools compared, and how each runs a graph's files: gather, Python
 * asyncio, ninja, make, `deno task`, and the floors: a bare Deno loop, the
 * same loop with gather's isolation (`setsid`, piped output), and `xargs -P`.
 *
 * @module
 */

import type { JobKind } from "./formats/shared.ts";
import type { Command } from "./measure.ts";
import { findProgram, join, LOAD_ONLY_TS } from "./paths.ts";
import type { GraphFiles } from "./write.ts";

/** A tool's id. */
export type ToolId =
  | "gather"
  | "gather-command"
  | "python"
  | "ninja"
  | "make"
  | "deno-task"
  | "floor"
  | "floor-setsid"
  | "xargs"
  | "task-file";

/** A tool that can run a graph. */
export interface Tool {
  /** Its id. */
  id: ToolId;
  /** The job kinds it runs. */
  kinds: readonly JobKind[];
  /** How it reports its makespan: gather's events, its own `{firstStart, lastEnd}`
   * line, or not at all (then makespan is wall time minus its start-up). */
  span: "events" | "self" | "none";
  /** The only sections it runs in. @default {every section of its job kinds} */
  sections?: readonly string[];
  /** The command for a graph at `slots` jobs at once; `undefined` if it cannot run it. */
  command(files: GraphFiles, slots: number): Command | undefined;
}

/** Absolute paths of the programs the tools need; missing ones are `undefined`. */
export interface Installed {
  /** This Deno. */
  deno: string;
  /** The real Python interpreter (not a pyenv shim, whose start-up is slow). */
  python?: string;
  /** ninja. */
  ninja?: string;
  /** GNU make. */
  make?: string;
  /** xargs. */
  xargs?: string;
  /** util-linux setsid. */
  setsid?: string;
}

/**
 * Find the installed tools.
 *
 * @returns Their paths.
 *
 * @example Usage
 * ```ts
 * import { findInstalled } from "./tools.ts";
 * import { assert } from "@std/assert";
 *
 * assert((await findInstalled()).deno.length > 0);
 * ```
 */
export async function findInstalled(): Promise<Installed> {
  const installed: Installed = { deno: Deno.execPath() };
  const python = await realPython();
  if (python) installed.python = python;
  for (const name of ["ninja", "make", "xargs", "setsid"] as const) {
    const path = findProgram(name);
    if (path) installed[name] = path;
  }
  return installed;
}

/**
 * The tools, bound to the installed programs. A tool whose program is missing
 * is left out and named in `missing`.
 *
 * @param installed The programs found.
 * @param gatherMain gather's `main.ts`.
 * @returns The tools, and a note for each one that is not installed.
 *
 * @example Usage
 * ```ts
 * import { findInstalled, makeTools } from "./tools.ts";
 * import { MAIN_TS } from "./paths.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { tools } = makeTools(await findInstalled(), MAIN_TS);
 * assertEquals(tools[0]!.id, "gather");
 * ```
 */
export function makeTools(
  installed: Installed,
  gatherMain: string,
): { tools: Tool[]; missing: string[] } {
  const deno = installed.deno;
  const tools: Tool[] = [
    {
      id: "gather",
      kinds: ["async", "process"],
      span: "events",
      command: (files, slots) => gatherCommand(deno, gatherMain, files.gather, files.dir, slots),
    },
    {
      // The fallback without FFI: Deno.Command through setsid(1).
      id: "gather-command",
      kinds: ["process"],
      span: "events",
      command: (files, slots) => ({
        ...gatherCommand(deno, gatherMain, files.gather, files.dir, slots),
        env: { GATHER_SPAWN: "command" },
      }),
    },
    {
      // The task file imported, no job run: the memory that is the task file's own.
      id: "task-file",
      kinds: ["async"],
      span: "self",
      sections: ["overhead"],
      command: (files) => ({
        argv: [deno, "run", "-A", LOAD_ONLY_TS, files.gather],
        cwd: files.dir,
      }),
    },
    {
      id: "floor",
      kinds: ["async", "process"],
      span: "self",
      command: (files, slots) => ({
        argv: [deno, "run", "-A", files.floor, String(slots)],
        cwd: files.dir,
      }),
    },
  ];
  const missing: string[] = [];
  const { python, ninja, make, xargs, setsid } = installed;
  if (setsid) {
    tools.push({
      id: "floor-setsid",
      kinds: ["process"],
      span: "self",
      command: (files, slots) => ({
        argv: [deno, "run", "-A", files.floor, String(slots), setsid],
        cwd: files.dir,
      }),
    });
  } else missing.push("floor-setsid: setsid not installed");
  if (python) {
    tools.push({
      id: "python",
      kinds: ["async", "process"],
      span: "self",
      command: (files, slots) => ({ argv: [python, files.python, String(slots)], cwd: files.dir }),
    });
  } else missing.push("python: python3 not installed");
  if (ninja) {
    tools.push({
      id: "ninja",
      kinds: ["process"],
      span: "none",
      command: (files, slots) => ({
        argv: [ninja, "--quiet", "-C", files.dir, "-j", String(slots)],
        cwd: files.dir,
      }),
    });
  } else missing.push("ninja: ninja not installed");
  if (make) {
    tools.push({
      id: "make",
      kinds: ["process"],
      span: "none",
      command: (files, slots) => ({
        argv: [make, "-s", "--no-print-directory", "-j", String(slots), "all"],
        cwd: files.dir,
      }),
    });
  } else missing.push("make: make not installed");
  tools.push({
    id: "deno-task",
    kinds: ["process"],
    span: "none",
    command: (files, slots) => ({
      argv: [deno, "task", "-q", "-j", String(slots), "all"],
      cwd: join(files.dir, "deno"),
    }),
  });
  if (xargs) {
    tools.push({
      id: "xargs",
      kinds: ["process"],
      span: "none",
      command: (files, slots) =>
        files.xargs === undefined
          ? undefined
          : { argv: ["sh", files.xargs, String(slots)], cwd: files.dir },
    });
  } else missing.push("xargs: xargs not installed");
  return { tools, missing };
}

/** gather's reporters, as the benchmark uses them. */
export type GatherReporter = "json" | "plain" | "auto";

/**
 * The gather command line for a task file.
 *
 * @param deno This Deno.
 * @param main gather's `main.ts`.
 * @param file The task file.
 * @param cwd Where to run it (its history goes next to the task file).
 * @param slots `-j`.
 * @param reporter `json` (events on stdout, the default), `plain` or `auto`.
 * @param extra More arguments.
 * @returns The command.
 *
 * @example Usage
 * ```ts
 * import { gatherCommand } from "./tools.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const command = gatherCommand("deno", "main.ts", "/tmp/x/gather.ts", "/tmp/x", 4);
 * assertEquals(command.argv.slice(-4), ["-j", "4", "--reporter", "json"]);
 * ```
 */
export function gatherCommand(
  deno: string,
  main: string,
  file: string,
  cwd: string,
  slots: number,
  reporter: GatherReporter = "json",
  extra: string[] = [],
): Command {
  return {
    argv: [
      deno,
      "run",
      "-A",
      main,
      "-f",
      file,
      ...extra,
      "-j",
      String(slots),
      "--reporter",
      reporter,
    ],
    cwd,
  };
}

async function realPython(): Promise<string | undefined> {
  const shim = findProgram("python3");
  if (shim === undefined) return undefined;
  try {
    const out = await new Deno.Command(shim, {
      args: ["-c", "import sys; print(sys.executable)"],
      stderr: "null",
    }).output();
    const path = new TextDecoder().decode(out.stdout).trim();
    return out.success && path !== "" ? path : shim;
  } catch {
    return undefined;
  }
}
