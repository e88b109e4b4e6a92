/**
 * Packs: the entries a run restored from the remote cache, kept as their
 * artifacts in one file per run. Real files: read back through the index,
 * without it (a killed run), cut short, damaged; pruning and counting.
 */

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { packEntry } from "../src/cache/archive.ts";
import type { Manifest } from "../src/cache/entry.ts";
import { lazyHasher } from "../src/cache/hash.ts";
import { cacheStats } from "../src/cache/maintenance.ts";
import { pruneCache } from "../src/cache/prune.ts";
import { indexOf, mergePacks, Packs } from "../src/cache/pack.ts";
import { LocalStore } from "../src/cache/store.ts";
import { join } from "../src/deps/path.ts";

const encoder = new TextEncoder();
const PARTS = {
  tool: "t",
  job: "j",
  code: "c",
  context: {},
  options: "o",
  files: [],
  env: [],
  deps: [],
};

/** An artifact of one output file, made the way a machine that uploads makes it. */
async function artifactOf(key: string, text: string): Promise<[Manifest, Uint8Array]> {
  const maker = new LocalStore(await Deno.makeTempDir(), lazyHasher());
  const hash = await maker.putBytes(encoder.encode(text));
  const manifest: Manifest = {
    version: 1,
    key,
    job: `job-${key[0]}`,
    createdAt: 0,
    durationMs: 1,
    parts: { ...PARTS, job: `job-${key[0]}` },
    outputs: [{ path: `out/${key[0]}.txt`, hash, mode: 0o644, size: text.length }],
    log: { lines: [["stdout", text]] },
    result: { value: "1" },
  };
  return [manifest, await packEntry(maker.blobsOf(manifest), manifest)];
}

async function withPacks(
  fn: (v1: string, kept: [Manifest, Uint8Array][]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const v1 = join(dir, "v1");
    const kept = [
      await artifactOf("a".repeat(64), "alpha"),
      await artifactOf("b".repeat(64), "beta"),
      await artifactOf("c".repeat(64), "gamma"),
    ];
    const packs = new Packs(v1);
    for (const [manifest, artifact] of kept) packs.add(manifest, artifact, `id-${manifest.key[0]}`);
    packs.close();
    await fn(v1, kept);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function packFiles(v1: string): string[] {
  return [...Deno.readDirSync(join(v1, "packs"))].map((e) => e.name).sort();
}

async function readsAll(v1: string, kept: [Manifest, Uint8Array][]): Promise<void> {
  const packs = new Packs(v1);
  try {
    assertEquals(packs.size, kept.length);
    for (const [manifest] of kept) {
      assertEquals(packs.manifest(manifest.key), manifest);
      const blobs = await packs.blobs(manifest.key, lazyHasher());
      assertEquals(
        blobs?.get(manifest.outputs[0]!.hash),
        encoder.encode((manifest.log as { lines: [string, string][] }).lines[0]![1]),
      );
      assertEquals(packs.lastKey(`id-${manifest.key[0]}`)?.key, manifest.key);
    }
    assertEquals(packs.manifest("d".repeat(64)), undefined);
  } finally {
    packs.close();
  }
}

Deno.test("packs: a run's entries go to one pack and its index, and read back whole", async () => {
  await withPacks(async (v1, kept) => {
    const files = packFiles(v1);
    assertEquals(files.length, 2);
    assert(files[0]!.endsWith(".idx") && files[1]!.endsWith(".pack"), files.join());
    await readsAll(v1, kept);
  });
});

Deno.test("packs: without an index (a killed run), or with one that does not match, the pack is read record by record", async () => {
  await withPacks(async (v1, kept) => {
    const pack = join(v1, "packs", packFiles(v1).find((f) => f.endsWith(".pack"))!);
    const index = JSON.parse(Deno.readTextFileSync(indexOf(pack)));
    Deno.writeTextFileSync(indexOf(pack), JSON.stringify({ ...index, size: index.size + 1 }));
    await readsAll(v1, kept);
    Deno.removeSync(indexOf(pack));
    await readsAll(v1, kept);
  });
});

Deno.test("packs: a record cut short is ignored, the ones before it are kept", async () => {
  await withPacks(async (v1, kept) => {
    const pack = join(v1, "packs", packFiles(v1).find((f) => f.endsWith(".pack"))!);
    Deno.removeSync(indexOf(pack));
    Deno.truncateSync(pack, Deno.statSync(pack).size - 10);
    await readsAll(v1, kept.slice(0, 2));
  });
});

Deno.test("packs: a damaged artifact is a damaged entry, not a crash", async () => {
  await withPacks(async (v1, kept) => {
    const pack = join(v1, "packs", packFiles(v1).find((f) => f.endsWith(".pack"))!);
    const bytes = Deno.readFileSync(pack);
    bytes[bytes.length - 20]! ^= 0xff; // inside the last artifact
    Deno.writeFileSync(pack, bytes);
    const packs = new Packs(v1);
    try {
      assertEquals(packs.manifest(kept[2]![0].key), kept[2]![0]);
      await assertRejects(
        () => packs.blobs(kept[2]![0].key, lazyHasher()),
        Error,
        "damaged artifact",
      );
      assert(await packs.blobs(kept[0]![0].key, lazyHasher()));
    } finally {
      packs.close();
    }
  });
});

Deno.test("packs: the local store reads a packed entry, restores its blobs, and prefers the newer of a stored and a kept key", async () => {
  await withPacks(async (v1, kept) => {
    const store = new LocalStore(join(v1, ".."), lazyHasher());
    const [manifest] = kept[0]!;
    assertEquals(store.read(manifest.key), manifest);
    const blobs = store.blobsOf(manifest);
    assertEquals(blobs.file(manifest.outputs[0]!.hash), undefined);
    assertEquals(await blobs.bytes(manifest.outputs[0]!.hash), encoder.encode("alpha"));
    await assertRejects(() => blobs.bytes("e".repeat(64)), Error, "is missing from its pack");
    assertEquals(store.lastKey("id-a"), manifest.key);
    // Marking an entry as used marks its pack (pruning goes by the pack's time).
    const pack = join(v1, "packs", packFiles(v1).find((f) => f.endsWith(".pack"))!);
    const old = new Date(Date.now() - 3600_000);
    Deno.utimeSync(pack, old, old);
    store.touch(manifest.key);
    assert(Deno.statSync(pack).mtime!.getTime() > Date.now() - 60_000);
    // A job run and stored locally later: its key is the last one.
    const later = { ...manifest, key: "f".repeat(64), outputs: [] };
    store.write(later, "id-a");
    assertEquals(store.lastKey("id-a"), later.key);
    store.close();
  });
});

Deno.test("packs: cache status counts their entries; pruning removes a whole pack, least recently used first", async () => {
  await withPacks(async (v1) => {
    const dir = join(v1, "..");
    const store = new LocalStore(dir, lazyHasher());
    const [newer, artifact] = await artifactOf("9".repeat(64), "newer");
    store.keep(newer, artifact, "id-9");
    store.close();
    assertEquals((await cacheStats(dir)).entries, 4);
    const [older, newest] = packFiles(v1).filter((f) => f.endsWith(".pack"));
    const old = new Date(Date.now() - 3600_000);
    Deno.utimeSync(join(v1, "packs", older!), old, old);
    const size = (await cacheStats(dir)).bytes;
    const pruned = await pruneCache(dir, size - 1);
    assertEquals(pruned.removedEntries, 3);
    assertEquals(packFiles(v1), [newest!.replace(".pack", ".idx"), newest!]);
    assertEquals((await cacheStats(dir)).entries, 1);
  });
});

Deno.test("packs: a job id that could break a header is refused", () => {
  const packs = new Packs("/nowhere/v1");
  assertThrows(() => packs.add({ key: "a".repeat(64) } as Manifest, new Uint8Array(), "a b"));
});

Deno.test("packs: many are merged into one when a run ends, every entry kept once, a pack still being written left alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const v1 = join(dir, "v1");
    const kept: [Manifest, Uint8Array][] = [];
    for (let i = 0; i < 5; i++) {
      const key = String(i).repeat(64);
      kept.push(await artifactOf(key, `text ${i}`));
      const packs = new Packs(v1);
      packs.add(kept[i]![0], kept[i]![1], `id-${i}`);
      if (i === 1) packs.add(kept[0]![0], kept[0]![1], "id-0"); // the same entry in two packs
      packs.close();
    }
    // A run still writing: its pack has no index yet, and is recent.
    const writing = new Packs(v1);
    const [late, lateArtifact] = await artifactOf("9".repeat(64), "late");
    writing.add(late, lateArtifact, "id-9");
    const old = new Date(Date.now() - 60_000);
    for (const name of packFiles(v1)) Deno.utimeSync(join(v1, "packs", name), old, old);
    assertEquals(mergePacks(v1, 10), 0); // not many yet
    assertEquals(mergePacks(v1, 3), 5);
    const names = packFiles(v1);
    assertEquals(names.filter((n) => n.endsWith(".pack")).length, 2, names.join());
    assertEquals(names.filter((n) => n.endsWith(".idx")).length, 1, names.join());
    const merged = names.find((n) => n.endsWith(".idx"))!.replace(".idx", ".pack");
    assertEquals(Deno.statSync(join(v1, "packs", merged)).mtime?.getTime(), old.getTime());
    writing.close();
    await readsAll(v1, [...kept, [late, lateArtifact]]);
    // The merged pack restores through the local store like any other.
    const store = new LocalStore(dir, lazyHasher());
    const [manifest] = kept[3]!;
    assertEquals(
      await store.blobsOf(manifest).bytes(manifest.outputs[0]!.hash),
      encoder.encode("text 3"),
    );
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
