/**
 * The package.json scripts a task name would run under `deno task` and that
 * gather does not run: named in a run's warning, or in its error when they
 * are all the name matches.
 *
 * @module
 */

import { taskPattern } from "./task_pattern.ts";
import type { Package } from "./workspace.ts";

/**
 * The scripts of members with only a package.json that a task name or
 * pattern matches, described for a message.
 *
 * @param packages The packages the name is looked up in.
 * @param task The task's name or pattern.
 * @param shown How a path is shown in messages.
 * @returns `"test" of web (apps/web/package.json), ...`, or `undefined` when none matches.
 *
 * @example Usage
 * ```ts
 * import { skippedScripts } from "./skipped_scripts.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const web = {
 *   config: { path: "/w/apps/web/package.json", dir: "/w/apps/web", tasks: [], importTargets: [], settings: "{}" },
 *   path: "apps/web",
 *   label: "web",
 *   isRoot: false,
 *   scripts: [{ name: "test", command: "vitest" }, { name: "lint", command: "eslint" }],
 * };
 * const shown = (path: string) => path.slice("/w/".length);
 * assertEquals(skippedScripts([web], "test", shown), '"test" of web (apps/web/package.json)');
 * assertEquals(skippedScripts([web], "build", shown), undefined);
 * ```
 */
export function skippedScripts(
  packages: readonly Package[],
  task: string,
  shown: (path: string) => string,
): string | undefined {
  if (packages.every((pkg) => pkg.scripts === undefined)) return undefined;
  const pattern = taskPattern(task);
  const found = packages.flatMap((pkg) => {
    const names = (pkg.scripts ?? []).filter((script) => pattern.matches(script.name));
    if (names.length === 0) return [];
    const quoted = names.map((script) => `"${script.name}"`).join(", ");
    return [`${quoted} of ${pkg.label} (${shown(pkg.config.path)})`];
  });
  return found.length === 0 ? undefined : found.join(", ");
}
