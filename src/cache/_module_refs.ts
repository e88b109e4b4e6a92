/**
 * What a module's text names of other modules, found without running it: its
 * static, side-effect and literal dynamic imports, and the files it reaches
 * by a relative literal URL (`new URL("./work.ts", import.meta.url)`, the
 * idiom `ctx.offload` and `new Worker` take; `import.meta.resolve("./x.ts")`).
 * A specifier computed at run time (`` import(`./plugins/${name}.ts`) ``) is
 * not found: nothing but running the code can tell what it names.
 *
 * @module
 */

import { join, toFileUrl } from "../deps/path.ts";

/** The specifiers a module names. */
export interface ModuleRefs {
  /** What it imports (static, side-effect and literal dynamic imports), as written. */
  imports: string[];
  /** The relative specifiers of the files it reaches by URL (`./`, `../`), as written. */
  urls: string[];
}

const STATIC_IMPORT = /(?:^|[;\s}])(?:import|export)\s[^'"`;]*?from\s*(["'])([^"']+)\1/g;
const BARE_IMPORT = /(?:^|[;\s])import\s*(["'])([^"']+)\1/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*(["'])([^"']+)\1\s*\)/g;
/** A relative literal (quotes, or a template without substitutions) resolved against the module. */
const MODULE_URL =
  /\bnew\s+URL\s*\(\s*(["'`])(\.{1,2}\/[^"'`$]*)\1\s*,\s*import\.meta\.url\s*\)|\bimport\.meta\.resolve\s*\(\s*(["'`])(\.{1,2}\/[^"'`$]*)\3\s*\)/g;

/**
 * The modules and files a module's source names.
 *
 * @param source The module's text.
 * @returns Its imports and the relative URLs it resolves against itself.
 *
 * @example Usage
 * ```ts
 * import { moduleRefs } from "./_module_refs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const refs = moduleRefs(
 *   'import { a } from "./a.ts";\n' +
 *     'await ctx.offload(new URL("./lib/off.ts", import.meta.url), "work", 1);\n' +
 *     "const plugin = await import(`./plugins/${name}.ts`); // computed: not found\n",
 * );
 * assertEquals(refs, { imports: ["./a.ts"], urls: ["./lib/off.ts"] });
 * ```
 */
export function moduleRefs(source: string): ModuleRefs {
  // A line comment starts at `//` not after `:` or `/`: `file:///x` and `http://x` are not comments.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:\\/])\/\/.*$/gm, "$1");
  const imports: string[] = [];
  for (const pattern of [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT]) {
    for (const match of code.matchAll(pattern)) imports.push(match[2]!);
  }
  const urls = [...code.matchAll(MODULE_URL)].map((match) => match[2] ?? match[4]!);
  return { imports, urls };
}

/**
 * Whether a path is a JavaScript or TypeScript module (whose own imports
 * count), rather than a data file a module reads by URL.
 *
 * @param path A file's path or URL.
 * @returns `true` for `.ts`, `.tsx`, `.mts`, `.cts`, `.js`, `.jsx`, `.mjs`, `.cjs`.
 *
 * @example Usage
 * ```ts
 * import { isScript } from "./_module_refs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([isScript("lib/off.ts"), isScript("data/table.json")], [true, false]);
 * ```
 */
export function isScript(path: string): boolean {
  return /\.[mc]?[jt]sx?$/.test(path);
}

/**
 * A local module's URL: relative and file specifiers, and bare ones the
 * import map sends to a local path.
 *
 * @param specifier What the module names.
 * @param from The naming module's URL.
 * @param imports The project's import map.
 * @param root The project root (import map targets are relative to it).
 * @returns The URL, or `undefined` for a remote, npm or unmapped specifier.
 *
 * @example Usage
 * ```ts
 * import { resolveLocal } from "./_module_refs.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(resolveLocal("./b.ts", "file:///p/lib/a.ts", {}, "/p"), "file:///p/lib/b.ts");
 * assertEquals(resolveLocal("#lib/c.ts", "file:///p/x.ts", { "#lib/": "./lib/" }, "/p"), "file:///p/lib/c.ts");
 * assertEquals(resolveLocal("jsr:@std/path", "file:///p/x.ts", {}, "/p"), undefined);
 * ```
 */
export function resolveLocal(
  specifier: string,
  from: string,
  imports: Record<string, string>,
  root: string,
): string | undefined {
  try {
    if (/^(\.{1,2}\/|file:)/.test(specifier)) return new URL(specifier, from).href;
    const base = toFileUrl(join(root, "/")).href;
    if (typeof imports[specifier] === "string") {
      const target = imports[specifier]!;
      return /^(\.{1,2}\/|\/)/.test(target) ? new URL(target, base).href : undefined;
    }
    const prefix = Object.keys(imports).filter((key) =>
      key.endsWith("/") && specifier.startsWith(key)
    )
      .sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined || !/^(\.{1,2}\/|\/)/.test(imports[prefix]!)) return undefined;
    return new URL(imports[prefix]! + specifier.slice(prefix.length), base).href;
  } catch {
    return undefined;
  }
}
