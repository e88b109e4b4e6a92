// Types of @std/cli/parse-args (deno-std@1.4.0 ships JavaScript only), from the documented
// signatures of the JSR package of the same version.

export interface ParseOptions {
  "--"?: boolean;
  alias?: Record<string, string | readonly string[]>;
  boolean?: boolean | string | readonly string[];
  default?: Record<string, unknown>;
  stopEarly?: boolean;
  string?: string | readonly string[];
  collect?: string | readonly string[];
  negatable?: string | readonly string[];
  unknown?: (arg: string, key?: string, value?: unknown) => unknown;
}
export interface Args {
  [key: string]: unknown;
  _: Array<string | number>;
  "--"?: string[];
}
export function parseArgs(args: string[], options?: ParseOptions): Args;
