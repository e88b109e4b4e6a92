/**
 * Signed artifacts against a real `turborepo-remote-cache` that keeps
 * `x-artifact-tag` (its `TURBO_REMOTE_CACHE_SIGNATURE_KEY` set): a signed
 * round trip, and an artifact rewritten on the server's disk by someone
 * without the key, refused.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { unpackEntry } from "../src/cache/archive.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { artifactTag } from "../src/cache/signature.ts";
import { packTar, unpackTar } from "../src/cache/tar.ts";
import { join } from "../src/deps/path.ts";
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
import { gather } from "./_cli.ts";
import { tarOf, zstd } from "./_tar.ts";

const KEY = "a signature key of at least thirty-two bytes";
const hasher = await lazyHasher()();
const UNVERIFIED =
  "remote cache: artifacts are read without verifying their signatures (no GATHER_REMOTE_CACHE_SIGNATURE_KEY here), and this machine's own uploads are never served back by this server, so it makes none";

serverTest("remote cache, signed: a round trip, and a tampered artifact refused", {
  keepTags: true,
}, async ({ server, dir, storage, t }) => {
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
    "a machine without the key misses, is told why once, and uploads nothing to this server",
    async () => {
      // Its uploads would carry no tag, which this server requires of every download.
      const unsigned = {
        ...env,
        GATHER_REMOTE_CACHE_SIGNATURE_KEY: "",
        GATHER_REMOTE_CACHE_TEAM: "team_unsigned",
      };
      const f = await checkout(join(dir, "f"));
      assertEquals((await runIn(f, unsigned)).ran, ALL);
      assertEquals(artifactsOf(storage, "team_unsigned"), []);
      const g = await checkout(join(dir, "g"));
      const run = await runIn(g, unsigned);
      assertEquals(run.code, 0, run.stderr);
      assertEquals(run.ran, ALL);
      assertEquals(run.warnings, [UNVERIFIED]);
      const status = await gather(["cache", "status", "--remote"], { cwd: f, env: unsigned });
      assertEquals(status.code, 0, status.stdout);
      assertStringIncludes(status.stdout, "artifacts are read without verifying their signatures");
      assertStringIncludes(status.stdout, "uploads: off (this machine signs none)");
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

serverTest("remote cache, signed: no machine replaces the team's signed artifacts", {
  keepTags: true,
}, async ({ server, dir, t }) => {
  const env = remoteEnv(server, { GATHER_REMOTE_CACHE_SIGNATURE_KEY: KEY });
  const first = await runIn(await checkout(join(dir, "a")), env);
  assertEquals(first.code, 0, first.stderr);
  const keys = CACHED.map((job) => keysOf(first.events)[job]!);
  /** Each artifact's bytes, tag and modification time on the server's disk. */
  const onServer = async () =>
    await Promise.all(keys.map(async (key) => {
      const path = server.artifactPath("gather", key);
      return [
        await Deno.readTextFile(path + ".tag"),
        hasher.sha256(await Deno.readFile(path)),
        (await Deno.stat(path)).mtime?.getTime(),
      ];
    }));
  const before = await onServer();

  await t.step(
    "a machine with another key runs every job, says why once, uploads nothing",
    async () => {
      const other = await runIn(await checkout(join(dir, "m2")), {
        ...env,
        GATHER_REMOTE_CACHE_SIGNATURE_KEY: "another key of at least thirty-two bytes",
      });
      assertEquals(other.code, 0, other.stderr);
      assertEquals(other.ran, ALL);
      assertEquals(other.warnings.length, 1, other.warnings.join("\n"));
      assertStringIncludes(
        other.warnings[0]!,
        "this machine's key differs from the one these artifacts were signed with",
      );
      assertEquals(await onServer(), before);
      // --force asks for nothing before it runs: each upload checks what the server holds first.
      const forced = await runIn(await checkout(join(dir, "m2f")), {
        ...env,
        GATHER_REMOTE_CACHE_SIGNATURE_KEY: "another key of at least thirty-two bytes",
      }, ["--force"]);
      assertEquals(forced.code, 0, forced.stderr);
      assertEquals(forced.ran, ALL);
      assertEquals(forced.warnings.length, 1, forced.warnings.join("\n"));
      assertStringIncludes(forced.warnings[0]!, "this machine does not upload over them");
      assertEquals(await onServer(), before);
    },
  );

  await t.step("a machine without a key reads them unverified, says so once", async () => {
    const keyless = { ...env, GATHER_REMOTE_CACHE_SIGNATURE_KEY: "" };
    const run = await runIn(await checkout(join(dir, "m3")), keyless);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.ran, ["publish"]);
    assertEquals(run.cache["compile"], "hit-remote");
    assertEquals(run.warnings, [UNVERIFIED]);
    // --force asks the server for nothing: it still uploads no unsigned artifact over them.
    const forced = await runIn(await checkout(join(dir, "m4")), keyless, ["--force"]);
    assertEquals(forced.code, 0, forced.stderr);
    assertEquals(forced.ran, ALL);
    assertEquals(forced.warnings, [UNVERIFIED]);
    assertEquals(await onServer(), before);
  });

  await t.step(
    "one artifact signed with another key, downloaded first: the warning points at it, not at this machine's key",
    async () => {
      // lex is the first job looked up; its artifact re-signed by a machine with another key.
      const lex = keys[CACHED.indexOf("lex")]!;
      const path = server.artifactPath("gather", lex);
      const saved = await Deno.readTextFile(path + ".tag");
      const body = await Deno.readFile(path);
      await Deno.writeTextFile(path + ".tag", await artifactTag("y".repeat(40), lex, "", body));
      try {
        const run = await runIn(await checkout(join(dir, "m6")), env);
        assertEquals(run.code, 0, run.stderr);
        assertEquals(run.cache["compile"], "hit-remote");
        assertEquals(run.warnings.length, 1, run.warnings.join("\n"));
        assertStringIncludes(run.warnings[0]!, 'signature does not match for "lex"');
        assertStringIncludes(
          run.warnings[0]!,
          "signed with another GATHER_REMOTE_CACHE_SIGNATURE_KEY",
        );
        assertEquals(run.warnings[0]!.includes("this machine's key differs"), false);
      } finally {
        await Deno.writeTextFile(path + ".tag", saved);
      }
    },
  );

  await t.step("the next machine with the team's key still hits every job", async () => {
    const next = await runIn(await checkout(join(dir, "m5")), env);
    assertEquals(next.code, 0, next.stderr);
    assertEquals(next.ran, ["publish"]);
    assertEquals(next.warnings, []);
  });
});
