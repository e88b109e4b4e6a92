/**
 * Symbolic link outputs through a real `turborepo-remote-cache` on loopback:
 * machine B restores machine A's links as links, and an artifact planted on
 * the server whose links would lead a restore out of its place is refused
 * whole, with nothing written.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { unpackEntry } from "../src/cache/archive.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { packTar, unpackTar } from "../src/cache/tar.ts";
import { join } from "../src/deps/path.ts";
import { ROOT } from "./_cli.ts";
import { checkout, keysOf, remoteEnv, runIn, serverTest } from "./_remote_project.ts";
import { tarOf, zstd } from "./_tar.ts";

/** `mk` makes a file and links to it under `build/`; gather imported by its absolute URL. */
const TASK_FILE = `import { job } from ${JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)};

export const mk = job({ inputs: ["src/**"], outputs: ["build/**"] }, () => {
  Deno.writeTextFileSync("runs.txt", "mk\\n", { append: true });
  Deno.mkdirSync("build/v2", { recursive: true });
  Deno.writeTextFileSync("build/v2/app.txt", Deno.readTextFileSync("src/a.txt"));
  Deno.symlinkSync("v2", "build/latest");
  Deno.symlinkSync("latest/app.txt", "build/app.txt");
});
`;

const LINKS = { "build/app.txt": "latest/app.txt", "build/latest": "v2" };

async function machine(dir: string): Promise<string> {
  await checkout(dir);
  await Deno.writeTextFile(join(dir, "tasks.ts"), TASK_FILE);
  return dir;
}

/**
 * `consume` reads what `produce` writes through a link (`data/gen -> ../gen`): no glob of one
 * meets a glob of the other, but its inputs are what `produce` made.
 */
const THROUGH_LINK = `import { job } from ${
  JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)
};

export const produce = job({ inputs: ["src/**"], outputs: ["gen/**"] }, () => {
  Deno.mkdirSync("gen", { recursive: true });
  Deno.writeTextFileSync("gen/v.txt", Deno.readTextFileSync("src/a.txt"));
});

export const consume = job({ deps: [produce], inputs: ["data/**"] }, () => {
  Deno.writeTextFileSync("runs.txt", "consume\\n", { append: true });
  return Deno.readTextFileSync("data/gen/v.txt");
});
`;

function linksIn(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of Deno.readDirSync(join(dir, "build"))) {
    const path = `build/${entry.name}`;
    if (entry.isSymlink) found[path] = Deno.readLinkSync(join(dir, path));
  }
  return found;
}

serverTest(
  "remote cache: symbolic link outputs are restored as links, and a planted link that leads out is refused",
  {},
  async ({ server, dir, t }) => {
    const env = remoteEnv(server);
    const a = await machine(join(dir, "a"));
    const first = await runIn(a, env);
    const key = keysOf(first.events)["mk"]!;

    await t.step("machine B restores machine A's links as links", async () => {
      assertEquals(first.code, 0, first.stderr);
      assertEquals(first.warnings, []);
      const b = await machine(join(dir, "b"));
      const second = await runIn(b, env);
      assertEquals(second.code, 0, second.stderr);
      assertEquals(second.ran, []);
      assertEquals(second.cache["mk"], "hit-remote");
      assertEquals(linksIn(b), LINKS);
      assertEquals(await Deno.readTextFile(join(b, "build/app.txt")), "alpha\n");
    });

    await t.step(
      "a job that reads another's outputs through a link is not looked up before that job has run",
      async () => {
        const d = await checkout(join(dir, "d"));
        await Deno.writeTextFile(join(d, "tasks.ts"), THROUGH_LINK);
        await Deno.mkdir(join(d, "data"));
        await Deno.symlink("../gen", join(d, "data", "gen"));
        const first = await runIn(d, env);
        assertEquals(first.code, 0, first.stderr);
        assertEquals(first.ran, ["consume"]);
        assertEquals((await runIn(d, env)).ran, []);
        await Deno.writeTextFile(join(d, "src", "a.txt"), "beta\n");
        const changed = await runIn(d, env);
        assertEquals(changed.code, 0, changed.stderr);
        assertEquals(changed.cache["produce"], "miss");
        assertEquals(changed.ran, ["consume"]); // not a hit on what it read before produce ran
        assertEquals(changed.cache["consume"], "miss");
      },
    );

    await t.step(
      "an artifact whose links lead out, or under which a file is written, is refused",
      async () => {
        const path = server.artifactPath("gather", key);
        const saved = await Deno.readFile(path);
        const hasher = await lazyHasher()();
        const { manifest } = await unpackEntry(saved, key, hasher);
        const files = unpackTar(tarOf(saved));
        const outside = join(dir, `outside-${crypto.randomUUID()}`);
        await Deno.mkdir(outside);
        // A well-formed artifact whose manifest and files agree, with links of the planter's own;
        // `through` moves the output file under the link.
        const plant = (links: unknown, through = false) => {
          const moved = (path: string) =>
            through ? path.replace("build/v2/", "build/latest/") : path;
          const outputs = manifest.outputs.map((o) => ({ ...o, path: moved(o.path) }));
          return zstd(packTar([
            {
              path: "manifest.json",
              data: new TextEncoder().encode(JSON.stringify({ ...manifest, outputs, links })),
            },
            ...files.slice(1).map((file) => ({ ...file, path: moved(file.path) })),
          ]));
        };
        const variants: [string, Uint8Array, string][] = [
          ["an absolute target", plant([{ path: "build/latest", target: outside }]), "absolute"],
          [
            "a target that leaves the project",
            plant([{ path: "build/latest", target: "../../.." }]),
            "leaves the project root",
          ],
          [
            "a file written through a link into src/",
            plant([{ path: "build/latest", target: "../src" }], true),
            'is under "build/latest", a symbolic link',
          ],
        ];
        try {
          for (const [label, body, why] of variants) {
            await Deno.writeFile(path, body);
            const c = await machine(join(dir, `c-${label.replaceAll(/\W/g, "")}`));
            const hostile = await runIn(c, env);
            assertEquals(hostile.code, 0, `${label}: ${hostile.stderr}`);
            assertEquals(hostile.ran, ["mk"], label);
            assertEquals(hostile.warnings.length, 1, `${label}: ${hostile.warnings.join("\n")}`);
            assertStringIncludes(hostile.warnings[0]!, 'refused the artifact for "mk"', label);
            assertStringIncludes(hostile.warnings[0]!, why, label);
            assertEquals([...Deno.readDirSync(outside)], [], label);
            assertEquals(
              [...Deno.readDirSync(join(c, "src"))].map((e) => e.name),
              ["a.txt"],
              label,
            );
            assertEquals(linksIn(c), LINKS, label); // the job's own
          }
        } finally {
          await Deno.writeFile(path, saved);
        }
      },
    );
  },
);
