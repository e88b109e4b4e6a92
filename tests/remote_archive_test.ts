/**
 * The remote cache's artifacts without a server: the strict tar reader and
 * writer, the entry archive (everything checked before anything is written)
 * and the signature scheme (turbo's vectors prove the construction).
 */

import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { packEntry, unpackEntry } from "../src/cache/archive.ts";
import { artifactTag, verifyArtifactTag } from "../src/cache/signature.ts";
import { type Hasher, lazyHasher } from "../src/cache/hash.ts";
import type { Manifest } from "../src/cache/entry.ts";
import { LocalStore } from "../src/cache/store.ts";
import { packTar, unpackTar, UnsafeArchiveError } from "../src/cache/tar.ts";
import { zstdDecompressSync } from "node:zlib";
import { rawTar, zstd } from "./_tar.ts";

const encoder = new TextEncoder();
const KEY = "ab".repeat(32);

Deno.test("packTar/unpackTar: a round trip keeps long (PAX) paths, empty files and order", () => {
  const long = `${"deep/".repeat(40)}file.txt`;
  const files = [
    { path: "manifest.json", data: encoder.encode("{}") },
    { path: "outputs/empty", data: new Uint8Array() },
    { path: `outputs/${long}`, data: encoder.encode("x".repeat(1000)) },
  ];
  assertEquals(unpackTar(packTar(files)), files);
});

Deno.test("unpackTar reads number fields with spaces around them, and UTF-8 names", () => {
  const [spaced] = unpackTar(rawTar([{ name: "a", data: "xy", size: "  2 \0" }]));
  assertEquals(spaced?.data, encoder.encode("xy"));
  const [empty] = unpackTar(rawTar([{ name: "e", size: "\0" }]));
  assertEquals(empty?.data.length, 0);
  const utf8 = [{ path: "outputs/café/naïve.txt", data: encoder.encode("x") }];
  assertEquals(unpackTar(packTar(utf8)), utf8);
  for (const size of ["1x\0", "9\0", "1 2\0", "-1\0"]) {
    assertThrows(
      () => unpackTar(rawTar([{ name: "a", data: "x", size }])),
      UnsafeArchiveError,
      "bad number field",
      size,
    );
  }
});

Deno.test("packTar refuses a path that could leave its folder", () => {
  for (const path of ["../x", "/abs", "a/../b", "a//b", "./a", "a\\b", "C:/x", "", "a/"]) {
    assertThrows(() => packTar([{ path, data: new Uint8Array() }]), UnsafeArchiveError, "", path);
  }
});

Deno.test("unpackTar refuses the whole archive on a hostile or damaged entry", () => {
  const cases: [string, Uint8Array, string][] = [
    ["dot-dot", rawTar([{ name: "outputs/../../evil", data: "x" }]), "not normalized"],
    ["absolute", rawTar([{ name: "/tmp/evil", data: "x" }]), "absolute path"],
    ["symlink", rawTar([{ name: "outputs/build", type: "2", link: "/tmp" }]), "symbolic link"],
    ["hard link", rawTar([{ name: "outputs/x", type: "1", link: "/etc/passwd" }]), "hard link"],
    ["folder", rawTar([{ name: "outputs/build/", type: "5" }]), "folder"],
    ["fifo", rawTar([{ name: "outputs/f", type: "6" }]), "FIFO"],
    ["duplicate", rawTar([{ name: "a", data: "1" }, { name: "a", data: "2" }]), "duplicate"],
    ["control character", rawTar([{ name: "a\nb", data: "1" }]), "control character"],
    ["truncated", rawTar([{ name: "a", data: "x".repeat(600) }]).subarray(0, 700), "truncated"],
    ["no end marker", rawTar([{ name: "a", data: "x" }]).subarray(0, 1024), "truncated"],
    [
      "data after the end",
      Uint8Array.from([...rawTar([{ name: "a", data: "x" }]), ...new Uint8Array(511), 1]),
      "after the end",
    ],
  ];
  for (const [label, tar, message] of cases) {
    assertThrows(() => unpackTar(tar), UnsafeArchiveError, message, label);
  }
  const bad = rawTar([{ name: "ok", data: "x" }]);
  bad[0] = "p".charCodeAt(0);
  assertThrows(() => unpackTar(bad), UnsafeArchiveError, "checksum");
  const big = packTar([{ path: "big", data: new Uint8Array(4096) }]);
  assertThrows(() => unpackTar(big, { maxBytes: 1024 }), UnsafeArchiveError, "size limit");
});

const hasher: Hasher = await lazyHasher()();

/** A store with one output file, a large log in a blob, and its manifest. */
async function entry(): Promise<{ store: LocalStore; manifest: Manifest; output: Uint8Array }> {
  const store = new LocalStore(Deno.makeTempDirSync(), lazyHasher());
  const output = encoder.encode("#!/bin/sh\necho hi\n");
  const logBlob = await store.putBytes(
    encoder.encode(JSON.stringify([["stdout", "x".repeat(70_000)]])),
  );
  const outputHash = await store.putBytes(output);
  const manifest: Manifest = {
    version: 1,
    key: KEY,
    job: "compile",
    createdAt: 0,
    durationMs: 12,
    parts: {
      tool: "t",
      job: "compile",
      code: "c",
      context: {},
      options: "o",
      files: [],
      env: [],
      deps: [],
    },
    outputs: [{ path: "build/app.bin", hash: outputHash, mode: 0o755, size: 18 }],
    log: { blob: logBlob, count: 1 },
    result: { value: "42" },
  };
  return { store, manifest, output };
}

/** Repack an artifact's files, changed by `edit`, as an attacker without the key could. */
function repack(files: { path: string; data: Uint8Array }[]): Uint8Array {
  return zstd(packTar(files));
}

Deno.test("packEntry/unpackEntry: an entry round trips, every blob checked against the manifest", async () => {
  const { store, manifest, output } = await entry();
  const artifact = await packEntry(store.blobsOf(manifest), manifest);
  const unpacked = await unpackEntry(artifact, KEY, hasher);
  assertEquals(unpacked.manifest, manifest);
  assertEquals(unpacked.blobs.get(manifest.outputs[0]!.hash), output);
  assertEquals(unpacked.blobs.size, 2); // the output and the log
  assertEquals(await packEntry(store.blobsOf(manifest), manifest), artifact); // deterministic
  await Deno.remove(store.dir, { recursive: true });
});

Deno.test("unpackEntry refuses an artifact that is damaged, for another key, or not what its manifest says", async () => {
  const { store, manifest } = await entry();
  const artifact = await packEntry(store.blobsOf(manifest), manifest);
  const files = unpackTar(new Uint8Array(zstdDecompressSync(artifact)));
  const manifestText = (m: Manifest) => ({
    path: "manifest.json",
    data: encoder.encode(JSON.stringify(m)),
  });
  const cases: [string, Uint8Array, string][] = [
    ["a large plain tar", packTar(files), "neither a tar nor a zstd archive"],
    ["neither", encoder.encode("<html>502 Bad Gateway</html>"), "neither a tar nor a zstd"],
    ["truncated", artifact.subarray(0, artifact.length - 20), "truncated"],
    ["a missing output", repack(files.filter((f) => !f.path.startsWith("outputs/"))), "missing"],
    [
      "a changed output",
      repack(
        files.map((f) =>
          f.path.startsWith("outputs/") ? { ...f, data: encoder.encode("rm -rf ~\n") } : f
        ),
      ),
      "does not match",
    ],
    [
      "an extra entry",
      repack([...files, { path: "outputs/extra", data: new Uint8Array() }]),
      "unexpected",
    ],
    [
      "an output path that leaves the project",
      repack([
        manifestText({ ...manifest, outputs: [{ ...manifest.outputs[0]!, path: "../../escape" }] }),
        ...files.slice(1),
      ]),
      "not normalized",
    ],
    [
      "a setuid mode",
      repack([
        manifestText({ ...manifest, outputs: [{ ...manifest.outputs[0]!, mode: 0o4755 }] }),
        ...files.slice(1),
      ]),
      "bad mode",
    ],
    ["no manifest", repack(files.slice(1)), "manifest.json is missing"],
  ];
  for (const [label, body, message] of cases) {
    await assertRejects(() => unpackEntry(body, KEY, hasher), UnsafeArchiveError, message, label);
  }
  await assertRejects(
    () => unpackEntry(artifact, "cd".repeat(32), hasher),
    UnsafeArchiveError,
    "another key",
  );
  // A decompression bomb stops at the limit.
  const bomb = zstd(packTar([{ path: "big", data: new Uint8Array(8 << 20) }]));
  await assertRejects(
    () => unpackEntry(bomb, KEY, hasher, { maxBytes: 1 << 20 }),
    UnsafeArchiveError,
  );
  await Deno.remove(store.dir, { recursive: true });
});

Deno.test("packEntry/unpackEntry: symbolic link outputs travel in the manifest; one that leads out, or has an output under it, is refused", async () => {
  const { store, manifest } = await entry();
  const links = [{ path: "build/latest", target: "app.bin" }, {
    path: "build/lib",
    target: "../src",
  }];
  const linked: Manifest = { ...manifest, links };
  const artifact = await packEntry(store.blobsOf(linked), linked);
  const unpacked = await unpackEntry(artifact, KEY, hasher);
  assertEquals(unpacked.manifest.links, links);
  const files = unpackTar(new Uint8Array(zstdDecompressSync(artifact)));
  assertEquals(files.map((f) => f.path), [
    "manifest.json",
    "outputs/build/app.bin",
    `blobs/${(manifest.log as { blob: string }).blob}`,
  ]);
  const withLinks = (links: unknown) => [
    { path: "manifest.json", data: encoder.encode(JSON.stringify({ ...manifest, links })) },
    ...files.slice(1),
  ];
  const cases: [string, Uint8Array, string][] = [
    ["an absolute target", repack(withLinks([{ path: "build/x", target: "/etc" }])), "absolute"],
    [
      "a target that leaves the project",
      repack(withLinks([{ path: "build/x", target: "../../.." }])),
      "leaves the project root",
    ],
    [
      "an output written through a link",
      repack(withLinks([{ path: "build", target: "src" }])),
      "a symbolic link that is also an output",
    ],
    [
      "a link at an output's path",
      repack(withLinks([{ path: "build/app.bin", target: "x" }])),
      "listed twice",
    ],
    [
      "a link path that leaves the project",
      repack(withLinks([{ path: "../x", target: "y" }])),
      "not normalized",
    ],
    ["links that are not links", repack(withLinks([{ path: "x" }])), "not a manifest"],
    [
      "a link as a file in the archive",
      repack([...withLinks(links), { path: "outputs/build/latest", data: encoder.encode("x") }]),
      "unexpected",
    ],
  ];
  for (const [label, body, message] of cases) {
    await assertRejects(() => unpackEntry(body, KEY, hasher), UnsafeArchiveError, message, label);
  }
  await Deno.remove(store.dir, { recursive: true });
});

Deno.test("packEntry: a small entry is a plain tar, checked as strictly as a compressed one", async () => {
  const { store, manifest } = await entry();
  const output = manifest.outputs[0]!;
  const small: Manifest = { ...manifest, log: { lines: [["stdout", "ok"]] } };
  const artifact = await packEntry(store.blobsOf(small), small);
  assert(artifact.length <= 8 << 10);
  assertEquals(new TextDecoder().decode(artifact.subarray(257, 262)), "ustar"); // no zstd frame
  assertEquals((await unpackEntry(artifact, KEY, hasher)).manifest, small);
  const files = unpackTar(artifact);
  const cases: [string, Uint8Array, string][] = [
    ["truncated at a block", artifact.subarray(0, artifact.length - 1024), "truncated"],
    ["truncated mid-block", artifact.subarray(0, artifact.length - 700), "neither"],
    [
      "a changed output",
      packTar(
        files.map((f) => f.path.startsWith("outputs/") ? { ...f, data: encoder.encode("x") } : f),
      ),
      "does not match",
    ],
    [
      "a path that leaves the project",
      rawTar([
        { name: "manifest.json", data: files[0]!.data },
        { name: `outputs/../${output.path}`, data: files[1]!.data },
      ]),
      "not normalized",
    ],
  ];
  for (const [label, body, message] of cases) {
    await assertRejects(() => unpackEntry(body, KEY, hasher), UnsafeArchiveError, message, label);
  }
  await Deno.remove(store.dir, { recursive: true });
});

// The body turbo 2.11.11 uploaded for hash 44d7f16280489c6a (231 bytes; see the spike's notes), and
// the tags it sent with the key "my-secret-key": the same construction under turbo's domain string.
const TURBO_BODY = Uint8Array.from(
  atob(
    "KLUv/QBY9QYAcokeHHAl1gEAlUS3IrAW+oSn/6sPGshqJGFvoP/T5cr93EQAFqGKfynBBsFrGVd/aunaOQIYBQb4nsIMNOoJ07ENmURZQdiWru1g2OhaI9jj7NERB7A9znU3spZTr+tc8K/Ki39Vqvj5usCH2nMTGRJE4myUWJLKwpqEDQIlINACIRptPP3NFQCnoBK0VS1WJUdmwBvYIuheFwYYAvwBUnAeeIciu1w44GBCQGETJuwwdYCNAKtCfoLyiXkQRoBr0NsglAz7r2EYteCO2VhDIyBNX19/IVuGc0i8tCIM",
  ),
  (char) => char.charCodeAt(0),
);

Deno.test("artifactTag: turbo's own vectors, under turbo's domain string", async () => {
  const turbo = { domain: "artifact-signature:v2" };
  assertEquals(TURBO_BODY.length, 231);
  assertEquals(
    await artifactTag("my-secret-key", "44d7f16280489c6a", "team_probe", TURBO_BODY, turbo),
    "O+X8ZGUIRL5OpqBm1qFIoryAGSnV9tWBqOZF/z2H12E=",
  );
  assertEquals(
    await artifactTag("my-secret-key", "44d7f16280489c6a", "", TURBO_BODY, turbo),
    "znYC3PKd643sxc2axMqBu02KUrwd8H7U/Us+AGv3zKw=",
  );
  // gather's domain differs: a key shared with turbo never validates across the two tools.
  assertNotEquals(
    await artifactTag("my-secret-key", "44d7f16280489c6a", "team_probe", TURBO_BODY),
    "O+X8ZGUIRL5OpqBm1qFIoryAGSnV9tWBqOZF/z2H12E=",
  );
});

Deno.test("verifyArtifactTag fails on any change of body, hash, team or key, and on a malformed tag", async () => {
  const key = "k".repeat(32);
  const body = encoder.encode("artifact body");
  const tag = await artifactTag(key, KEY, "team", body);
  assert(await verifyArtifactTag(key, KEY, "team", body, tag));
  const flipped = body.slice();
  flipped[3]! ^= 1;
  assert(!(await verifyArtifactTag(key, KEY, "team", flipped, tag)));
  assert(!(await verifyArtifactTag(key, "cd".repeat(32), "team", body, tag)));
  assert(!(await verifyArtifactTag(key, KEY, "other", body, tag)));
  assert(!(await verifyArtifactTag("j".repeat(32), KEY, "team", body, tag)));
  assert(!(await verifyArtifactTag(key, KEY, "team", body, "not base64!")));
  assert(!(await verifyArtifactTag(key, KEY, "team", body, "")));
  // Length prefixes: moving a character between hash and team changes the tag.
  assertNotEquals(
    await artifactTag(key, "ab", "c", body),
    await artifactTag(key, "a", "bc", body),
  );
});
