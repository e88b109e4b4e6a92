/**
 * Discovered inputs and the remote cache, against a real
 * `turborepo-remote-cache` server: the record of a depfile job's primary key
 * is an artifact of its own, so a second checkout (another path, an empty
 * local cache) finds the job's entries; signed like the entries; a
 * read-only machine uploads nothing.
 */

import { assert, assertEquals } from "@std/assert";
import { join } from "../src/deps/path.ts";
import { ROOT } from "./_cli.ts";
import { artifactsOf, keysOf, remoteEnv, runIn, serverTest } from "./_remote_project.ts";
import { compileJobs, writeCheckout } from "./_c_tasks.ts";

const CC = Deno.env.get("CC") ?? "cc";
const KEY = "a signature key of at least thirty-two bytes";

/** The C project: `common.h` in both files, `only_a.h` in `a.c` alone; the same files in each checkout. */
const FILES: Record<string, string> = {
  "deno.json": "{}\n",
  "src/common.h": "#define BASE 40\n",
  "src/only_a.h": "#define EXTRA 2\n",
  "src/a.c": '#include "common.h"\n#include "only_a.h"\nint a(void) { return BASE + EXTRA; }\n',
  "src/main.c":
    '#include <stdio.h>\n#include "common.h"\nint a(void);\nint main(void) { printf("%d\\n", a() + BASE); return 0; }\n',
  "tasks.ts": `import { job } from ${JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)};

const CC = ${JSON.stringify(CC)};
function ran(name: string) {
  Deno.writeTextFileSync("runs.txt", name + "\\n", { append: true });
}
${
    compileJobs(["a", "main"], { first: 'ran("compile:" + name);' })
  }export const link = job({ deps: objects, inputs: [], outputs: ["build/app"] }, async (ctx) => {
  ran("link");
  await ctx.sh\`\${CC} \${objects.map((o) => ctx.result(o) as string)} -o build/app\`;
});
export default link;
`,
};

function checkout(dir: string): Promise<string> {
  return writeCheckout(dir, FILES);
}

async function program(dir: string): Promise<string> {
  const output = await new Deno.Command(join(dir, "build/app")).output();
  return new TextDecoder().decode(output.stdout).trim();
}

serverTest(
  "remote cache, depfile: a second checkout gets remote hits for the jobs with discovered inputs",
  {
    keepTags: true,
  },
  async ({ server, dir, storage, t }) => {
    const env = remoteEnv(server, {
      GATHER_REMOTE_CACHE_SIGNATURE_KEY: KEY,
      GATHER_REMOTE_CACHE_TEAM: "team_depfile",
    });
    const a = await checkout(join(dir, "a"));
    const first = await runIn(a, env);

    await t.step("machine A builds, and uploads each entry and each record, signed", async () => {
      assertEquals(first.code, 0, first.stderr);
      assertEquals(first.warnings, []);
      assertEquals(first.ran, ["compile:a", "compile:main", "link"]);
      // Three entries (under the compiles' final keys) and the two compiles' records.
      const artifacts = artifactsOf(storage, "team_depfile");
      assertEquals(artifacts.length, 5);
      const keys = keysOf(first.events); // the primary keys of the misses
      for (const job of ["compile:a", "compile:main"]) assert(!artifacts.includes(keys[job]!));
      for (const artifact of artifacts) {
        const tag = await Deno.readTextFile(server.artifactPath("team_depfile", artifact) + ".tag");
        assertEquals(tag.length, 44);
      }
    });

    const b = await checkout(join(dir, "elsewhere", "b"));
    await t.step(
      "machine B, at another path with an empty cache, restores everything",
      async () => {
        const second = await runIn(b, env);
        assertEquals(second.code, 0, second.stderr);
        assertEquals(second.warnings, []);
        assertEquals(second.ran, []);
        assertEquals(second.cache, {
          "compile:a": "hit-remote",
          "compile:main": "hit-remote",
          link: "hit-remote",
        });
        assertEquals(await program(b), "82");
      },
    );

    await t.step("a header edit on B reruns what includes it; A then gets it from B", async () => {
      await Deno.writeTextFile(join(b, "src/only_a.h"), "#define EXTRA 5\n");
      const edited = await runIn(b, env);
      assertEquals(edited.ran, ["compile:a", "link"]);
      assertEquals(edited.cache["compile:main"], "hit");
      assertEquals(await program(b), "85");
      await Deno.writeTextFile(join(a, "src/only_a.h"), "#define EXTRA 5\n");
      const fromB = await runIn(a, env);
      assertEquals(fromB.ran, []);
      assertEquals(fromB.cache["compile:a"], "hit-remote");
      assertEquals(await program(a), "85");
    });

    await t.step("a read-only machine uploads neither entries nor records", async () => {
      const before = artifactsOf(storage, "team_depfile");
      const c = await checkout(join(dir, "c"));
      await Deno.writeTextFile(join(c, "src/common.h"), "#define BASE 1\n");
      const readOnly = await runIn(c, env, ["--remote-cache-read-only"]);
      assertEquals(readOnly.code, 0, readOnly.stderr);
      assertEquals(readOnly.ran, ["compile:a", "compile:main", "link"]);
      assertEquals(artifactsOf(storage, "team_depfile"), before);
    });
  },
);
