import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { disagreements, readFormats } from "../bench/agree.ts";
import { criticalPath, lowerBound, totalWork } from "../bench/bounds.ts";
import { parseNinja } from "../bench/formats/ninja.ts";
import { DEFAULT_PROGRAMS, edgesOf, type JobKind } from "../bench/formats/shared.ts";
import { type GraphSpec, makeGraph, type Shape, sinks } from "../bench/graphs.ts";
import { measure } from "../bench/measure.ts";
import { MAIN_TS, MOD_URL } from "../bench/paths.ts";
import { findInstalled, makeTools } from "../bench/tools.ts";
import { checkGatherRun } from "../bench/verify.ts";
import { writeGraph } from "../bench/write.ts";

const SHAPES: Shape[] = ["chain", "wide", "diamond", "layered"];
const installed = await findInstalled();

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gather-bench-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function spec(shape: Shape, n = 24): GraphSpec {
  return { shape, n, layers: 4, durations: "random", seed: 11 };
}

Deno.test("graphs: the same seed gives the same graph, another seed another", () => {
  const a = makeGraph({ shape: "layered", n: 300, layers: 10, durations: "random", seed: 5 });
  const b = makeGraph({ shape: "layered", n: 300, layers: 10, durations: "random", seed: 5 });
  const c = makeGraph({ shape: "layered", n: 300, layers: 10, durations: "random", seed: 6 });
  assertEquals(a.jobs, b.jobs);
  assertNotEquals(a.jobs, c.jobs);
});

Deno.test("graphs: every shape is a DAG in topological order with the durations asked for", () => {
  for (const shape of SHAPES) {
    const graph = makeGraph({ ...spec(shape, 200), layers: 10 });
    assertEquals(graph.jobs.length, 200);
    graph.jobs.forEach((job, i) => {
      assertEquals(job.name, `j${i}`);
      assert(job.deps.every((dep) => dep < i), `${shape}: ${job.name} depends on a later job`);
      assertEquals(new Set(job.deps).size, job.deps.length);
      assert(job.durationMs >= 10 && job.durationMs <= 100);
    });
  }
  assert(makeGraph({ shape: "chain", n: 50 }).jobs.every((job) => job.durationMs === 0));
});

Deno.test("graphs: shapes have their structure", () => {
  const deps = (shape: Shape, n: number) => makeGraph({ shape, n }).jobs.map((job) => job.deps);
  assertEquals(deps("chain", 3), [[], [0], [1]]);
  assertEquals(deps("wide", 3), [[], [], []]);
  assertEquals(deps("diamond", 5), [[], [0], [0], [0], [1, 2, 3]]);
  const layered = makeGraph({ shape: "layered", n: 1000, layers: 10, durations: "random" });
  // One job of each layer waits for the layer before: the longest chain has 10 jobs.
  const depth = new Int32Array(1000);
  layered.jobs.forEach((job, i) => depth[i] = 1 + Math.max(0, ...job.deps.map((d) => depth[d]!)));
  assertEquals(Math.max(...depth), 10);
  assertEquals(sinks(makeGraph({ shape: "diamond", n: 5 })), [4]);
});

Deno.test("bounds: critical path, total work and the lower bound", () => {
  const graph = makeGraph({ shape: "diamond", n: 4 });
  graph.jobs.forEach((job, i) => job.durationMs = [10, 20, 30, 40][i]!);
  assertEquals(criticalPath(graph), 80);
  assertEquals(totalWork(graph), 100);
  assertEquals(lowerBound(graph, 1), 100);
  assertEquals(lowerBound(graph, 4), 80);
});

for (const shape of SHAPES) {
  for (const kind of ["async", "process"] as JobKind[]) {
    for (const style of ["exports", "loop"] as const) {
      Deno.test(`formats agree: ${shape}, ${kind} jobs, ${style} task file`, async () => {
        await withDir(async (dir) => {
          const graph = makeGraph(spec(shape));
          const files = await writeGraph(dir, graph, {
            kind,
            programs: DEFAULT_PROGRAMS,
            modUrl: MOD_URL,
            style,
          });
          const formats = await readFormats(files, installed.python);
          const expected = kind === "async"
            ? ["floor", "gather", "python"]
            : ["deno task", "floor", "gather", "make", "ninja", "python"];
          if (shape === "wide" && kind === "process") expected.push("xargs");
          assertEquals(Object.keys(formats).sort(), expected.sort());
          for (const [format, edges] of Object.entries(formats)) {
            assertEquals(edges, edgesOf(graph), `${format} disagrees`);
          }
          assertEquals(await disagreements(files, installed.python), []);
        });
      });
    }
  }
}

Deno.test("formats agree: a missing edge is caught", async () => {
  await withDir(async (dir) => {
    const files = await writeGraph(dir, makeGraph(spec("diamond", 6)), {
      kind: "process",
      programs: DEFAULT_PROGRAMS,
      modUrl: MOD_URL,
    });
    const ninja = await Deno.readTextFile(files.ninja!);
    await Deno.writeTextFile(files.ninja!, ninja.replace("| j1 j2 j3 j4", "| j1 j2 j3"));
    assertEquals(parseNinja(await Deno.readTextFile(files.ninja!))["j5"], ["j1", "j2", "j3"]);
    assertEquals(await disagreements(files), [
      "ninja: j5 depends on [j1,j2,j3], expected [j1,j2,j3,j4]",
    ]);
  });
});

Deno.test("every installed tool runs the generated graph", async () => {
  const { tools } = makeTools(installed, MAIN_TS);
  for (const kind of ["async", "process"] as JobKind[]) {
    await withDir(async (dir) => {
      const graph = makeGraph({ shape: "wide", n: 6 });
      const files = await writeGraph(dir, graph, {
        kind,
        programs: DEFAULT_PROGRAMS,
        modUrl: MOD_URL,
      });
      for (const tool of tools.filter((t) => t.kinds.includes(kind))) {
        const command = tool.command(files, 2);
        if (command === undefined) continue;
        const run = await measure(command);
        assertEquals(run.code, 0, `${tool.id} (${kind}) failed: ${run.stderrTail}`);
        if (tool.id.startsWith("gather")) {
          assertEquals(checkGatherRun(graph, run.stdout, run.code).problems, []);
        }
      }
    });
  }
});

Deno.test("gather runs a layered graph in dependency order", async () => {
  await withDir(async (dir) => {
    const graph = makeGraph({ shape: "layered", n: 40, layers: 5, seed: 3 });
    const files = await writeGraph(dir, graph, {
      kind: "async",
      programs: DEFAULT_PROGRAMS,
      modUrl: MOD_URL,
      style: "loop",
    });
    const { tools } = makeTools(installed, MAIN_TS);
    const run = await measure(tools.find((t) => t.id === "gather")!.command(files, 3)!, {
      marker: '"job:start"',
    });
    assertEquals(checkGatherRun(graph, run.stdout, run.code).problems, []);
    assert(run.markerMs !== undefined && run.markerMs <= run.wallMs);
  });
});
