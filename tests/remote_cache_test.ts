/**
 * The remote cache against a real `turborepo-remote-cache` server on
 * loopback: machine A builds and uploads, machine B (another checkout at
 * another path, an empty local cache) restores everything; read-only mode, a
 * wrong token, `gather cache status --remote`, damaged and hostile artifacts.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { unpackEntry } from "../src/cache/archive.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { packTar } from "../src/cache/tar.ts";
import { join, relative } from "../src/deps/path.ts";
import type { RunEndEvent } from "../src/events.ts";
import { gather, ROOT } from "./_cli.ts";
import {
  ALL,
  artifactsOf,
  CACHED,
  checkout,
  keysOf,
  remoteEnv,
  runIn,
  serverTest,
} from "./_remote_project.ts";
import { rawTar, zstd } from "./_tar.ts";

/** A checkout's outputs are another's, byte for byte, with the executable bit. */
async function assertSameOutputs(checkout: string, original: string): Promise<void> {
  for (const path of ["build/app.bin", "build/lib/data.txt"]) {
    assertEquals(
      await Deno.readFile(join(checkout, path)),
      await Deno.readFile(join(original, path)),
      path,
    );
  }
  assertEquals((await Deno.stat(join(checkout, "build/app.bin"))).mode! & 0o777, 0o755);
}

/** The files under a folder, relative to it (none when it does not exist). */
function filesIn(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string, prefix: string) => {
    try {
      for (const entry of Deno.readDirSync(folder)) {
        if (entry.isDirectory) walk(join(folder, entry.name), `${prefix}${entry.name}/`);
        else found.push(`${prefix}${entry.name}`);
      }
    } catch {
      // no folder
    }
  };
  walk(dir, "");
  return found.sort();
}

serverTest(
  "remote cache: machine B restores what machine A built, and the rest of the contract",
  {},
  async ({ server, dir, storage, t }) => {
    const env = remoteEnv(server);
    const a = await checkout(join(dir, "a"));
    const first = await runIn(a, env);
    let keys: Record<string, string> = {};

    await t.step("machine A runs every job, stores and uploads each cached one", () => {
      assertEquals(first.code, 0, first.stderr);
      assertEquals(first.ran, ALL);
      assertEquals(first.warnings, []);
      keys = keysOf(first.events);
      assertEquals(Object.keys(keys).sort(), CACHED);
      assertEquals(artifactsOf(storage), Object.values(keys).sort());
    });

    await t.step(
      "machine B (another path, an empty cache) restores every cached job from the server",
      async () => {
        const b = await checkout(join(dir, "elsewhere", "deeper", "b"));
        const second = await runIn(b, env);
        assertEquals(second.code, 0, second.stderr);
        assertEquals(keysOf(second.events), keys, "the keys differ between two checkouts");
        assertEquals(second.ran, ["publish"]); // no cached job's function was called
        assertEquals(second.cache, {
          lex: "hit-remote",
          parse: "hit-remote",
          compile: "hit-remote",
          docs: "hit-remote",
          publish: "off",
        });
        // Outputs byte for byte, with the executable bit; the log replayed; results handed on.
        await assertSameOutputs(b, a);
        const replayed = second.events.find((e) => e.type === "job:log" && e.job === "lex");
        assertEquals(replayed?.type === "job:log" && [replayed.line, replayed.replayed], [
          "lexed alpha",
          true,
        ]);
        const published = second.events.find((e) => e.type === "job:log" && e.job === "publish");
        assertEquals(published?.type === "job:log" && published.line, "published 42 docs");
        const end = second.events.at(-1) as RunEndEvent;
        assertEquals([end.counts.cached, end.counts.cachedRemote], [4, 4]);
        // Kept as downloaded, in one pack (no file per entry), with its index once the run ended.
        const cacheDir = join(b, ".gather", "cache", "v1");
        assertEquals(filesIn(join(cacheDir, "packs")).map((f) => f.replace(/^.*\./, "")).sort(), [
          "idx",
          "pack",
        ]);
        assertEquals(filesIn(join(cacheDir, "entries")), []);
        assertEquals(filesIn(join(cacheDir, "blobs")), []);
        // Now in B's local cache: a second run is all local hits, its outputs restored from the pack.
        await Deno.remove(join(b, "build"), { recursive: true });
        const third = await runIn(b, env);
        assertEquals(third.ran, ["publish"]);
        assertEquals(third.cache["compile"], "hit");
        assertEquals(third.warnings, []);
        await assertSameOutputs(b, a);
        // --explain compares with the entry the remote cache gave.
        await Deno.writeTextFile(join(b, "grammar.txt"), "g-b\n");
        const explained = await runIn(b, {}, ["--explain"]);
        const reason = explained.events.find((e) => e.type === "job:cache" && e.job === "parse");
        assertEquals(reason?.type === "job:cache" && reason.reason, "input grammar.txt changed");
        await Deno.writeTextFile(
          join(b, "grammar.txt"),
          await Deno.readTextFile(join(a, "grammar.txt")),
        );
        // The plain reporter labels remote hits, and the summary counts them apart.
        await Deno.remove(join(b, ".gather"), { recursive: true });
        const plain = await gather(["--reporter", "plain", "--no-logs"], { cwd: b, env });
        assertStringIncludes(plain.stderr, "(cached, remote)");
        assertMatch(plain.stderr, /✔ done: 5 ok \(4 cached: 0 local, 4 remote\) of 5 jobs/);
      },
    );

    await t.step("--dry-run asks the server which jobs it has, and downloads nothing", async () => {
      const d = await checkout(join(dir, "dry"));
      const dry = await gather(["-n"], { cwd: d, env });
      assertEquals(dry.code, 0, dry.stderr);
      const lines = dry.stdout.trim().split("\n");
      for (const name of CACHED) {
        assert(lines.some((l) => l.endsWith(`  ${name}  (cached, remote)`)), dry.stdout);
      }
      assert(lines.some((l) => / publish$/.test(l)), dry.stdout);
      assertEquals(filesIn(join(d, ".gather", "cache", "v1", "packs")), []);
      assertEquals(await Deno.stat(join(d, "runs.txt")).then(() => true, () => false), false);
      // A server that is not there: one warning, and the jobs would run.
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
      listener.close();
      const down = await gather(["-n"], {
        cwd: d,
        env: { ...env, GATHER_REMOTE_CACHE_URL: closed },
      });
      assertEquals(down.code, 0, down.stderr);
      assert(down.stdout.includes("  compile  (runs: no cache entry)"), down.stdout);
      assertEquals(down.stderr.match(/cannot connect/g)?.length, 1, down.stderr);
    });

    await t.step("--remote-cache-read-only downloads, and uploads nothing", async () => {
      const c = await checkout(join(dir, "c"));
      const readOnly = await runIn(c, env, ["--remote-cache-read-only"]);
      assertEquals(readOnly.ran, ["publish"]);
      await Deno.writeTextFile(join(c, "grammar.txt"), "g2\n"); // parse and its dependents change
      const before = artifactsOf(storage);
      const changed = await runIn(c, env, ["--remote-cache-read-only"]);
      assertEquals(changed.code, 0, changed.stderr);
      assertEquals(changed.ran, ["compile", "docs", "parse", "publish"]);
      assertEquals(changed.cache["lex"], "hit"); // local since the first run
      assertEquals(artifactsOf(storage), before);
    });

    await t.step("a wrong token: one warning, and every job runs locally", async () => {
      const d = await checkout(join(dir, "d"));
      const wrong = await runIn(d, { ...env, GATHER_REMOTE_CACHE_TOKEN: "not-the-token" });
      assertEquals(wrong.code, 0, wrong.stderr);
      assertEquals(wrong.ran, ALL);
      assertEquals(wrong.warnings.length, 1, wrong.warnings.join("\n"));
      assertMatch(
        wrong.warnings[0]!,
        /^remote cache http:\/\/127\.0\.0\.1:\d+: the token was refused \(GET answered HTTP 401: Invalid authorization token\): check GATHER_REMOTE_CACHE_TOKEN; not asked again this run, jobs run locally$/,
      );
    });

    await t.step("gather cache status --remote says plainly what is wrong", async () => {
      const ok = await gather(["cache", "status", "--remote"], { cwd: a, env });
      assertEquals(ok.code, 0, ok.stderr);
      assertStringIncludes(ok.stdout, "server: reachable, cache enabled\n  token: accepted\n");
      assertStringIncludes(ok.stdout, "signing: off");
      const wrong = await gather(["cache", "status", "--remote"], {
        cwd: a,
        env: { ...env, GATHER_REMOTE_CACHE_TOKEN: "nope" },
      });
      assertEquals(wrong.code, 1);
      assertStringIncludes(wrong.stdout, "problem: the token was refused (GET answered HTTP 401");
      const none = await gather(["cache", "status", "--remote"], {
        cwd: a,
        env: { ...env, GATHER_REMOTE_CACHE_TOKEN: "" },
      });
      assertEquals(none.code, 1);
      assertMatch(
        none.stdout,
        /problem: the server needs a token \(.*\): set GATHER_REMOTE_CACHE_TOKEN/,
      );
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
      listener.close();
      const down = await gather(["cache", "status", "--remote", "--remote-cache", closed], {
        cwd: a,
        env,
      });
      assertEquals(down.code, 1);
      assertStringIncludes(
        down.stdout,
        `problem: cannot connect to ${closed} (connection refused)`,
      );
    });

    await t.step(
      "an artifact truncated on the server's disk is refused, and its job runs",
      async () => {
        const path = server.artifactPath("gather", keys["lex"]!);
        const saved = await Deno.readFile(path);
        await Deno.writeFile(path, saved.subarray(0, Math.floor(saved.length / 2)));
        try {
          const e = await checkout(join(dir, "e"));
          const damaged = await runIn(e, env);
          assertEquals(damaged.code, 0, damaged.stderr);
          assertEquals(damaged.ran, ["lex", "publish"]);
          assertEquals(damaged.cache["parse"], "hit-remote");
          assertEquals(damaged.warnings.length, 1, damaged.warnings.join("\n"));
          assertStringIncludes(
            damaged.warnings[0]!,
            'remote cache: refused the artifact for "lex"',
          );
        } finally {
          await Deno.writeFile(path, saved);
        }
      },
    );

    await t.step(
      "a hostile artifact is refused whole, and nothing is written outside the project",
      async () => {
        const outside = join(dir, `outside-${crypto.randomUUID()}`);
        await Deno.mkdir(outside);
        const path = server.artifactPath("gather", keys["compile"]!);
        const saved = await Deno.readFile(path);
        const good = (await unpackEntry(saved, keys["compile"]!, await lazyHasher()())).manifest;
        const manifest = (outputs: { path: string }[]) =>
          JSON.stringify({ ...good, outputs: outputs.map((o) => ({ ...good.outputs[0], ...o })) });
        const variants: [string, Uint8Array][] = [
          [
            "../ entries",
            rawTar([
              { name: "manifest.json", data: manifest([{ path: "../../escape.txt" }]) },
              { name: "outputs/../../escape.txt", data: "pwned" },
            ]),
          ],
          [
            "an absolute path",
            rawTar([
              { name: "manifest.json", data: manifest([{ path: `${outside}/escape.txt` }]) },
              { name: `${outside}/escape.txt`, data: "pwned" },
            ]),
          ],
          [
            "a symbolic link out of the project",
            rawTar([
              { name: "manifest.json", data: manifest([{ path: "build/escape.txt" }]) },
              { name: "outputs/build", type: "2", link: outside },
              { name: "outputs/build/escape.txt", data: "pwned" },
            ]),
          ],
          [
            "a well-formed archive whose manifest leaves the project",
            packTar([
              {
                path: "manifest.json",
                data: new TextEncoder().encode(manifest([{ path: "../x" }])),
              },
            ]),
          ],
        ];
        try {
          for (const [label, tar] of variants) {
            await Deno.writeFile(path, zstd(tar));
            const f = await checkout(join(dir, `f-${label.replaceAll(/\W/g, "")}`));
            const hostile = await runIn(f, env);
            assertEquals(hostile.code, 0, `${label}: ${hostile.stderr}`);
            assert(hostile.ran.includes("compile"), label);
            assertEquals(hostile.cache["compile"], "miss", label);
            assertEquals(hostile.warnings.length, 1, `${label}: ${hostile.warnings.join("\n")}`);
            assertStringIncludes(hostile.warnings[0]!, 'refused the artifact for "compile"', label);
            assertEquals([...Deno.readDirSync(outside)], [], label);
            for (const escape of [join(f, "..", "escape.txt"), join(f, "..", "..", "escape.txt")]) {
              assertEquals(await Deno.stat(escape).then(() => true, () => false), false, label);
            }
            assertEquals(await Deno.readTextFile(join(f, "build/lib/data.txt")), "x".repeat(5000));
          }
        } finally {
          await Deno.writeFile(path, saved);
        }
      },
    );

    await t.step(
      "a client that signs refuses the unsigned artifacts of a server that drops tags",
      async () => {
        const signed = { GATHER_REMOTE_CACHE_SIGNATURE_KEY: "s".repeat(32) };
        const g = await checkout(join(dir, "g"));
        const refused = await runIn(g, { ...env, ...signed });
        assertEquals(refused.code, 0, refused.stderr);
        assertEquals(refused.ran, ALL);
        assertEquals(refused.warnings.length, 1, refused.warnings.join("\n"));
        assertStringIncludes(
          refused.warnings[0]!,
          "refused an unsigned artifact (no x-artifact-tag)",
        );
      },
    );
  },
);

serverTest(
  "run() with cache.remote: a script on machine B restores what the same script uploaded on machine A",
  {},
  async ({ server, dir }) => {
    // The same script on both machines (code outside the job functions is part of the key).
    const script = (mod: string) =>
      `import { job, run } from ${JSON.stringify(mod)};
let called = false;
const square = job({ inputs: ["input.txt"], outputs: ["out/square.txt"] }, async () => {
  called = true;
  const n = Number(await Deno.readTextFile("input.txt"));
  await Deno.mkdir("out", { recursive: true });
  await Deno.writeTextFile("out/square.txt", String(n * n));
  return n * n;
});
const report = await run({ square }, { cache: { remote: JSON.parse(Deno.env.get("REMOTE")!) } });
console.log(JSON.stringify({ called, jobs: report.jobs.map((j) => [j.name, j.cache, j.result]) }));
`;
    const machine = async (name: string, remote: string) => {
      const folder = join(dir, name);
      await Deno.mkdir(folder);
      await Deno.writeTextFile(join(folder, "input.txt"), "7\n");
      const mod = relative(folder, join(ROOT, "mod.ts"));
      await Deno.writeTextFile(join(folder, "script.ts"), script(mod));
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "script.ts"],
        cwd: folder,
        env: {
          GATHER_REMOTE_CACHE_TOKEN: server.token,
          GATHER_REMOTE_CACHE_URL: "",
          REMOTE: remote,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, stderr);
      return { folder, ...JSON.parse(new TextDecoder().decode(out.stdout)), stderr };
    };
    const a = await machine("a", JSON.stringify(server.url));
    assertEquals(a.jobs, [["square", "miss", 49]]);
    const b = await machine("b", JSON.stringify({ url: server.url, timeout: "2s" }));
    assertEquals([b.called, b.jobs], [false, [["square", "hit-remote", 49]]]);
    assertEquals(await Deno.readTextFile(join(b.folder, "out/square.txt")), "49");
    // A bad URL is refused in one line that names the option.
    const refused = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "script.ts"],
      cwd: b.folder,
      env: { REMOTE: JSON.stringify("ftp://x") },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(refused.code, 1);
    assertStringIncludes(
      new TextDecoder().decode(refused.stderr),
      `Invalid cache.remote of run() "ftp://x"`,
    );
  },
);
