// deno-lint-ignore-file no-console
/**
 * The `task-file` row of the overhead section: imports a task file and counts
 * its jobs, running none, so the memory the task file takes by itself (its
 * graph literal, its job handles and closures) can be told apart from
 * gather's.
 *
 * ```sh
 * deno run -A bench/load_only.ts bench/out/overhead/gather.ts
 * ```
 *
 * Prints `{"jobs":N,"firstStart":t,"lastEnd":t}`, the span line of a floor.
 *
 * @module
 */

/** A job handle of any gather checkout (the task file may import another one's mod.ts). */
interface JobHandle {
  kind: "gather:job";
  options: { deps?: readonly unknown[] };
}

const isJob = (value: unknown): value is JobHandle =>
  typeof value === "object" && value !== null && (value as JobHandle).kind === "gather:job";

const file = Deno.args[0];
if (file === undefined) {
  console.error("Usage: deno run -A bench/load_only.ts <task file>");
  Deno.exit(2);
}
const module: Record<string, unknown> = await import(new URL(file, `file://${Deno.cwd()}/`).href);
const seen = new Set<JobHandle>();
const stack: unknown[] = Object.values(module).flat();
while (stack.length > 0) {
  const item = stack.pop();
  if (!isJob(item) || seen.has(item)) continue;
  seen.add(item);
  stack.push(...(item.options.deps ?? []));
}
const now = Date.now();
console.log(JSON.stringify({ jobs: seen.size, firstStart: now, lastEnd: now }));
