/**
 * Task names as `deno task` matches them: an exact name, or a pattern with
 * `*` (anchored at the start only) and an optional exclusion group
 * `(!a|b)` compared with what each `*` captured.
 *
 * @module
 */

import { GatherError } from "../errors.ts";

/** Matches task names. */
export interface TaskPattern {
  /** The pattern as given. */
  text: string;
  /** Whether it has a `*`. */
  wildcard: boolean;
  /**
   * Whether a task name matches.
   *
   * @param name The task's name.
   * @returns `true` when it matches.
   */
  matches(name: string): boolean;
}

/**
 * Read a task name or pattern (a port of deno's `arg_to_task_name_filter`).
 *
 * @param text The name, e.g. `test`, `test:*`, `test:*(!e2e|lint)`.
 * @returns The pattern.
 * @throws {GatherError} `BAD_OPTION` for an exclusion group without a `*`.
 *
 * @example Usage
 * ```ts
 * import { taskPattern } from "./task_pattern.ts";
 * import { assert } from "@std/assert";
 *
 * const pattern = taskPattern("test:*(!e2e)");
 * assert(pattern.matches("test:unit"));
 * assert(!pattern.matches("test:e2e"));
 * assert(pattern.matches("test:e2e:smoke")); // `*` captured "e2e:smoke"
 * ```
 */
export function taskPattern(text: string): TaskPattern {
  const open = text.lastIndexOf("(!");
  const grouped = open >= 0 && text.endsWith(")");
  const body = grouped ? text.slice(0, open) : text;
  const exclusions = grouped ? text.slice(open + 2, -1).split("|") : [];
  if (!body.includes("*")) {
    if (grouped) {
      throw new GatherError(
        "BAD_OPTION",
        `Task name filter "${text}" uses an exclusion group "(!...)" but has no wildcard "*" to exclude from`,
      );
    }
    return { text, wildcard: false, matches: (name) => name === text };
  }
  const regex = new RegExp(
    `^${body.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("(.*)")}`,
    "s",
  );
  return {
    text,
    wildcard: true,
    matches: (name) => {
      const match = regex.exec(name);
      if (match === null) return false;
      return !match.slice(1).some((captured) => exclusions.includes(captured));
    },
  };
}
