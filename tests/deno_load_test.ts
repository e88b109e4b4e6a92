/**
 * The deno.json loaders on their own: task name patterns, config files,
 * workspace discovery, member imports and filters.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { join } from "../src/deps/path.ts";
import { readConfig } from "../src/load/deno_config.ts";
import { selectPackages } from "../src/load/member_filter.ts";
import { taskPattern } from "../src/load/task_pattern.ts";
import { findWorkspace } from "../src/load/workspace.ts";
import { makeProject } from "./_deno_project.ts";

Deno.test("taskPattern() matches as deno task: * anchored at the start only, exclusions on captures", () => {
  const cases: [string, string, boolean][] = [
    ["test", "test", true],
    ["test", "test:unit", false],
    ["test:*", "test:unit", true],
    ["test:*", "test:e2e:smoke", true],
    ["test:*", "test", false],
    ["*:unit", "x:unitextra", true], // not anchored at the end
    ["*(!build)", "build", false],
    ["*(!build)", "lint", true],
    ["test:*(!e2e|lint)", "test:e2e", false],
    ["test:*(!e2e|lint)", "test:lint", false],
    ["test:*(!e2e|lint)", "test:e2e:smoke", true],
    ["a.b*", "axb", false], // regex characters are literal
  ];
  for (const [pattern, name, expected] of cases) {
    assertEquals(taskPattern(pattern).matches(name), expected, `${pattern} ~ ${name}`);
  }
  assertThrows(() => taskPattern("test(!e2e)"), Error, "no wildcard");
});

Deno.test("readConfig() reads deno.jsonc (comments, trailing commas) and names the line of a syntax error", async () => {
  const dir = await makeProject({
    "deno.jsonc": `{
  // tasks
  "tasks": {
    "a": "echo a", /* inline */
  },
}
`,
    "bad/deno.json": `{\n  "tasks": {\n    "a": "echo a",,\n  }\n}\n`,
  });
  try {
    assertEquals(readConfig(join(dir, "deno.jsonc"), "deno.jsonc").tasks, [
      { name: "a", command: "echo a", dependencies: [] },
    ]);
    assertThrows(
      () => readConfig(join(dir, "bad/deno.json"), "bad/deno.json"),
      Error,
      `Cannot read "bad/deno.json": does not parse: unexpected token "," at line 3, column 19`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("findWorkspace() finds deno.json before deno.jsonc, members from their folders, and lets a config the root does not list stand alone", async () => {
  const dir = await makeProject({
    "deno.json": { workspace: ["./packages/*"], tasks: { root: "echo" } },
    "deno.jsonc": "{ broken",
    "packages/a/deno.json": { name: "@s/a", tasks: { a: "echo" } },
    "packages/a/src/deep/keep.txt": "",
    "stray/deno.json": { tasks: { stray: "echo" } },
    "nested/deno.json": { tasks: { outer: "echo" } },
    "nested/inner/deno.json": { tasks: { inner: "echo" } },
  });
  try {
    const fromMember = findWorkspace(join(dir, "packages/a/src/deep"), dir)!;
    assertEquals(fromMember.current.label, "@s/a");
    assertEquals(fromMember.root.config.path, join(dir, "deno.json"));
    const stray = findWorkspace(join(dir, "stray"), dir)!;
    assert(stray.current.isRoot);
    assertEquals(stray.root.config.tasks.map((task) => task.name), ["stray"]);
    const inner = findWorkspace(join(dir, "nested/inner"), dir)!;
    assertEquals(inner.root.config.tasks.map((task) => task.name), ["inner"]); // not merged
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a workspace knows which members import which (jsr:, npm: and paths), and filters follow them", async () => {
  const dir = await makeProject({
    "deno.json": { workspace: ["./core", "./web", "./api", "./docs"] },
    "core/deno.json": { name: "@s/core", version: "1.0.0" },
    "web/deno.json": { name: "@s/web", imports: { "@s/core": "jsr:@s/core@^1" } },
    "api/deno.json": { name: "@s/api", imports: { "core/": "../core/" } },
    "docs/deno.json": { imports: { "@s/web": "npm:@s/web@1" } },
  });
  try {
    const ws = findWorkspace(dir, dir)!;
    const imports = (label: string) =>
      ws.importsOf(ws.members().find((m) => m.label === label)!).map((m) => m.label);
    assertEquals(imports("@s/web"), ["@s/core"]);
    assertEquals(imports("@s/api"), ["@s/core"]);
    assertEquals(imports("docs"), ["@s/web"]);
    const picked = async (filter: string) =>
      (await selectPackages(ws, { filter })).map((pkg) => pkg.label);
    assertEquals(await picked("@s/core..."), ["@s/core", "@s/web", "@s/api", "docs"]);
    assertEquals(await picked("e"), ["@s/core", "@s/web"]); // anywhere in the name, as deno task
    assertEquals(await picked("doc*"), ["docs"]); // a member without a name, by its folder
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
