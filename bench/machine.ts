/**
 * What the results were measured on: cores, OS, tool versions, load, and the
 * gather checkout.
 *
 * @module
 */

import type { Installed } from "./tools.ts";

/** The machine and software a run measured. */
export interface Machine {
  /** `navigator.hardwareConcurrency`. */
  cores: number;
  /** OS and architecture. */
  os: string;
  /** Tool versions, by tool. */
  versions: Record<string, string>;
  /** 1-minute load average when the run started. */
  loadAtStart: number;
  /** The gather checkout measured: commit, and whether it had uncommitted changes. */
  gather: { root: string; commit?: string; dirty?: boolean };
  /** Whether CPU and memory came from GNU time. */
  gnuTime: boolean;
}

/**
 * Describe the machine.
 *
 * @param installed The tools found.
 * @param gatherRoot The gather checkout measured.
 * @param gnuTime Whether GNU time is installed.
 * @returns The description.
 *
 * @example Usage
 * ```ts ignore
 * import { describeMachine } from "./machine.ts";
 *
 * const machine = await describeMachine(installed, ROOT, true);
 * ```
 */
export async function describeMachine(
  installed: Installed,
  gatherRoot: string,
  gnuTime: boolean,
): Promise<Machine> {
  const versions: Record<string, string> = { deno: Deno.version.deno };
  const probe = async (name: string, program: string | undefined, args: string[]) => {
    if (program === undefined) return;
    const text = await output(program, args);
    if (text !== undefined) versions[name] = text.split("\n")[0]!.trim().replace(/^Python /, "");
  };
  await probe("python", installed.python, ["--version"]);
  await probe("ninja", installed.ninja, ["--version"]);
  await probe("make", installed.make, ["--version"]);
  const commit = await output("git", ["-C", gatherRoot, "rev-parse", "--short", "HEAD"]);
  const status = await output("git", [
    "--no-optional-locks",
    "-C",
    gatherRoot,
    "status",
    "--porcelain",
    "--",
    "src",
    "main.ts",
    "mod.ts",
  ]);
  const gather: Machine["gather"] = { root: gatherRoot };
  if (commit !== undefined) gather.commit = commit.trim();
  if (status !== undefined) gather.dirty = status.trim() !== "";
  return {
    cores: navigator.hardwareConcurrency,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    versions,
    loadAtStart: Deno.loadavg()[0] ?? NaN,
    gather,
    gnuTime,
  };
}

async function output(program: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(program, { args, stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}
