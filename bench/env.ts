/**
 * What every scenario gets: the installed tools, the programs process jobs
 * run, and where to report progress.
 *
 * @module
 */

import type { Programs } from "./formats/shared.ts";
import type { Installed, Tool } from "./tools.ts";

/** The benchmark's environment. */
export interface BenchEnv {
  /** Installed programs. */
  installed: Installed;
  /** The tools that are installed. */
  tools: Tool[];
  /** Where `true` and `sleep` are. */
  programs: Programs;
  /** The gather being measured: its `main.ts` and its `mod.ts` URL. */
  gather: { main: string; modUrl: string };
  /** Prints a progress line. */
  log: (line: string) => void;
}
