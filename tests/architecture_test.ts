/**
 * The folder rules of ARCHITECTURE.md, checked on the real imports: the test
 * parses every module under src/ and fails on an import a rule forbids.
 */

import { assertEquals } from "@std/assert";
import { dirname, fromFileUrl, join, normalize, relative } from "../src/deps/path.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const SRC = join(ROOT, "src");

/** The shared vocabulary at the top of src/: anyone may import it (and deps/); it imports only itself. */
const KERNEL = [
  "types.ts",
  "job.ts",
  "errors.ts",
  "events.ts",
  "duration.ts",
  "suggest.ts",
  "version.ts",
  "lazy.ts",
  "file_kind.ts",
  "shown_text.ts",
];

/** What each folder may import besides itself, the kernel and deps/. */
const MAY_IMPORT: Record<string, string[]> = {
  kernel: [],
  deps: [],
  load: [],
  process: [],
  state: [],
  engine: ["process"],
  diagnostics: ["engine"],
  reporters: [],
  cache: ["engine"],
  remote: ["engine", "load", "process", "cache"],
  session: ["engine", "load", "process", "diagnostics", "reporters", "state", "cache", "remote"],
  watch: ["engine", "load", "process", "diagnostics", "reporters", "state", "session", "cache"],
  cli: [
    "engine",
    "load",
    "process",
    "diagnostics",
    "reporters",
    "state",
    "session",
    "cache",
    "watch",
    "remote",
  ],
};

/** The reporters see the run through its events alone (and load the human ones lazily). */
const REPORTERS_KERNEL = ["events.ts", "errors.ts", "lazy.ts"];

function layerOf(path: string, src = SRC): string {
  const rel = relative(src, path);
  if (!rel.includes("/")) return "kernel";
  return rel.split("/")[0]!;
}

async function* modules(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* modules(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) yield path;
  }
}

/** The relative modules a file imports in code (not in its doc examples). */
function importsOf(text: string): string[] {
  const found: string[] = [];
  const pattern =
    /^(?:import|export)(?:\s+type)?\s*(?:\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?)\s*from\s+"(\.[^"]+)"|^import\s+"(\.[^"]+)"/gm;
  for (const match of text.matchAll(pattern)) found.push(match[1] ?? match[2]!);
  // Workers and subprocess entry points are loaded by URL.
  for (const match of text.matchAll(/new URL\("(\.[^"]+\.ts)", import\.meta\.url\)/g)) {
    if (!text.slice(0, match.index).endsWith("* ")) found.push(match[1]!);
  }
  return found;
}

async function violations(src: string): Promise<string[]> {
  const problems: string[] = [];
  const root = dirname(src);
  for await (const file of modules(src)) {
    const from = layerOf(file, src);
    const text = await Deno.readTextFile(file);
    for (const spec of importsOf(text)) {
      const target = normalize(join(dirname(file), spec));
      const where = `${relative(root, file)} imports ${relative(root, target)}`;
      if (!target.startsWith(src + "/")) {
        problems.push(`${where}: src/ imports nothing outside it`);
        continue;
      }
      const to = layerOf(target, src);
      const name = target.split("/").at(-1)!;
      if (name.startsWith("_") && dirname(target) !== dirname(file)) {
        problems.push(`${where}: a _ module is imported only inside its folder`);
      }
      if (to === from || to === "deps") continue;
      if (to === "kernel") {
        if (!KERNEL.includes(name)) problems.push(`${where}: not a kernel file`);
        if (from === "reporters" && !REPORTERS_KERNEL.includes(name)) {
          problems.push(`${where}: reporters import only the event types`);
        }
        continue;
      }
      if (!MAY_IMPORT[from]?.includes(to)) {
        problems.push(`${where}: ${from}/ may not import ${to}/`);
      }
    }
  }
  return problems;
}

Deno.test("src/ keeps the folder rules of ARCHITECTURE.md", async () => {
  assertEquals(await violations(SRC), []);
});

Deno.test("the layer check catches forbidden imports, and ignores doc examples", async () => {
  const src = join(await Deno.makeTempDir(), "src");
  const write = async (path: string, text: string) => {
    await Deno.mkdir(dirname(join(src, path)), { recursive: true });
    await Deno.writeTextFile(join(src, path), text);
  };
  try {
    await write("events.ts", "export type E = 1;\n");
    await write("reporters/tty.ts", 'import type { E } from "../events.ts";\n');
    await write("reporters/_frame.ts", "export const f = 1;\n");
    await write("cli/cli.ts", 'export { f } from "../reporters/_frame.ts";\n');
    await write(
      "engine/scheduler.ts",
      'import { x } from "../reporters/tty.ts";\n/**\n * import { y } from "../cli/cli.ts";\n */\n',
    );
    assertEquals((await violations(src)).toSorted(), [
      "src/cli/cli.ts imports src/reporters/_frame.ts: a _ module is imported only inside its folder",
      "src/engine/scheduler.ts imports src/reporters/tty.ts: engine/ may not import reporters/",
    ]);
  } finally {
    await Deno.remove(dirname(src), { recursive: true });
  }
});

Deno.test("ARCHITECTURE.md names every folder of src/", async () => {
  const doc = await Deno.readTextFile(join(ROOT, "ARCHITECTURE.md"));
  for await (const entry of Deno.readDir(SRC)) {
    if (entry.isDirectory) {
      assertEquals(doc.includes(`src/${entry.name}/`), true, `src/${entry.name}/ is not described`);
    }
  }
});

Deno.test("no module of src/ or main.ts imports a module of its own with a literal import(): lazy() keeps it out of start-up", async () => {
  const problems: string[] = [];
  const files = [join(ROOT, "main.ts")];
  for await (const path of modules(SRC)) files.push(path);
  for (const path of files) {
    const code = (await Deno.readTextFile(path)).split("\n")
      .filter((line) => !/^\s*(\*|\/\/)/.test(line)).join("\n");
    if (/(?<!typeof )\bimport\(\s*["']\./.test(code)) problems.push(path.slice(ROOT.length));
  }
  assertEquals(problems, []);
});
