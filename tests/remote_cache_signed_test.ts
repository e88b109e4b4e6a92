/**
 * Signed artifacts against a real `turborepo-remote-cache` that keeps
 * `x-artifact-tag` (its `TURBO_REMOTE_CACHE_SIGNATURE_KEY` set): a signed
 * round trip, and an artifact rewritten on the server's disk by someone
 * without the key, refused.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { unpackEntry } from "../src/cache/archive.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { packTar, unpackTar } from "../src/cache/tar.ts";
import { join } from "../src/deps/path.ts";
import { ALL, checkout, keysOf, remoteEnv, runIn, serverTest } from "./_remote_project.ts";
import { gather } from "./_cli.ts";
import { tarOf, zstd } from "./_tar.ts";

const KEY = "a signature key of at least thirty-two bytes";
const hasher = await lazyHasher()();

serverTest("remote cache, signed: a round trip, and a tampered artifact refused", {
  keepTags: true,
}, async ({ server, dir, t }) => {
  const env = remoteEnv(server, {
    GATHER_REMOTE_CACHE_SIGNATURE_KEY: KEY,
    GATHER_REMOTE_CACHE_TEAM: "team_signed",
  });
  const a = await checkout(join(dir, "a"));
  const first = await runIn(a, env);
  const keys = keysOf(first.events);

  await t.step(
    "machine A signs its uploads; machine B checks them and restores everything",
    async () => {
      assertEquals(first.code, 0, first.stderr);
      assertEquals(first.warnings, []);
      const tag = await Deno.readTextFile(
        server.artifactPath("team_signed", keys["compile"]!) + ".tag",
      );
      assertEquals(tag.length, 44);
      const b = await checkout(join(dir, "somewhere", "b"));
      const second = await runIn(b, env);
      assertEquals(second.code, 0, second.stderr);
      assertEquals(second.ran, ["publish"]);
      assertEquals(second.cache["compile"], "hit-remote");
      assertEquals(second.warnings, []);
    },
  );

  await t.step(
    "an artifact rewritten on the server's disk (valid archive, no key) is refused",
    async () => {
      // What an attacker who can write to the server's storage, but has no key, can plant: a
      // well-formed artifact whose manifest and files agree, with a build output of their own.
      const path = server.artifactPath("team_signed", keys["compile"]!);
      const saved = await Deno.readFile(path);
      const evil = new TextEncoder().encode("#!/bin/sh\necho pwned\n");
      const { manifest } = await unpackEntry(saved, keys["compile"]!, hasher);
      const files = unpackTar(tarOf(saved));
      const output = manifest.outputs.find((o) => o.path === "build/app.bin")!;
      Object.assign(output, { hash: hasher.sha256(evil), size: evil.length });
      const planted = files.map((file) =>
        file.path === "manifest.json"
          ? { ...file, data: new TextEncoder().encode(JSON.stringify(manifest)) }
          : file.path === "outputs/build/app.bin"
          ? { ...file, data: evil }
          : file
      );
      await unpackEntry(zstd(packTar(planted)), keys["compile"]!, hasher); // it would pass every other check
      await Deno.writeFile(path, zstd(packTar(planted)));
      const c = await checkout(join(dir, "c"));
      const refused = await runIn(c, env);
      assertEquals(refused.code, 0, refused.stderr);
      assertEquals(refused.ran, ["compile", "publish"]);
      assertEquals(refused.cache["compile"], "miss");
      assertEquals(refused.cache["docs"], "hit-remote");
      assertEquals(refused.warnings.length, 1, refused.warnings.join("\n"));
      assertStringIncludes(
        refused.warnings[0]!,
        'refused an artifact whose signature does not match for "compile"',
      );
      assertStringIncludes(await Deno.readTextFile(join(c, "build/app.bin")), "echo a!");
    },
  );

  await t.step("a client with another key refuses every artifact, with one warning", async () => {
    const d = await checkout(join(dir, "d"));
    const other = await runIn(d, { ...env, GATHER_REMOTE_CACHE_SIGNATURE_KEY: "x".repeat(40) });
    assertEquals(other.code, 0, other.stderr);
    assertEquals(other.ran, ALL);
    assertEquals(other.warnings.length, 1, other.warnings.join("\n"));
  });

  await t.step(
    "a machine without the key gets no hit from this server, and is told why, once",
    async () => {
      // Its uploads carry no tag, which this server requires of every download.
      const unsigned = {
        ...env,
        GATHER_REMOTE_CACHE_SIGNATURE_KEY: "",
        GATHER_REMOTE_CACHE_TEAM: "team_unsigned",
      };
      const f = await checkout(join(dir, "f"));
      assertEquals((await runIn(f, unsigned)).ran, ALL);
      const g = await checkout(join(dir, "g"));
      const run = await runIn(g, unsigned);
      assertEquals(run.code, 0, run.stderr);
      assertEquals(run.ran, ALL);
      assertEquals(run.warnings.length, 1, run.warnings.join("\n"));
      assertStringIncludes(
        run.warnings[0]!,
        "the server keeps only signed artifacts (TURBO_REMOTE_CACHE_SIGNATURE_KEY is set there) and this machine signs none",
      );
      const status = await gather(["cache", "status", "--remote"], { cwd: f, env: unsigned });
      assertEquals(status.code, 1, status.stdout);
      assertStringIncludes(status.stdout, "problem: the server keeps only signed artifacts");
      const signed = await gather(["cache", "status", "--remote"], { cwd: f, env });
      assertEquals(signed.code, 0, signed.stdout);
      assertStringIncludes(signed.stdout, "signing: on, and the server keeps signatures");
    },
  );

  await t.step("a short key is warned about", async () => {
    const e = await checkout(join(dir, "e"));
    const short = await runIn(e, { ...env, GATHER_REMOTE_CACHE_SIGNATURE_KEY: "short" });
    assertStringIncludes(short.warnings[0]!, "shorter than 32 bytes");
  });
});
