import { assertEquals, assertGreater, assertThrows } from "@std/assert";
import { GatherError } from "../src/errors.ts";
import { buildGraph } from "../src/engine/graph.ts";
import { job } from "../src/job.ts";
import type { Job } from "../src/types.ts";
import { resolveJobs } from "../src/load/resolve.ts";

function specsOf(jobs: Record<string, Job<unknown>>) {
  return resolveJobs(Object.entries(jobs), '"tasks.ts"').specs;
}

Deno.test("buildGraph() orders dependencies before dependents and keeps only the closure", () => {
  const a = job(() => 1);
  const b = job({ deps: [a] }, () => 2);
  const c = job({ deps: [b, "a"] }, () => 3);
  const unrelated = job(() => 4);
  const graph = buildGraph(specsOf({ a, b, c, unrelated }), ["c"]);
  assertEquals(graph.jobs.map((spec) => spec.name), ["a", "b", "c"]);
  assertEquals(graph.deps[graph.index.get("c")!]!.length, 2);
});

Deno.test("buildGraph() rejects a cycle and prints it", () => {
  const specs = specsOf({
    a: job({ deps: ["c"] }, () => {}),
    b: job({ deps: ["a"] }, () => {}),
    c: job({ deps: ["b"] }, () => {}),
    d: job({ deps: ["a"] }, () => {}),
  });
  const error = assertThrows(() => buildGraph(specs, ["d"]), GatherError);
  assertEquals(error.code, "CYCLE");
  const cycle = error.message.match(/cycle (.*);/)![1]!.split(" -> ");
  assertEquals(cycle.length, 4);
  assertEquals(cycle[0], cycle[3]);
  assertEquals(new Set(cycle), new Set(["a", "b", "c"]));
});

Deno.test("buildGraph() names an unknown dependency and suggests the closest name", () => {
  const specs = specsOf({ test: job(() => {}), deploy: job({ deps: ["tset"] }, () => {}) });
  const error = assertThrows(
    () => buildGraph(specs, ["deploy"], { source: '"tasks.ts"' }),
    GatherError,
  );
  assertEquals(
    error.message,
    'Cannot schedule "deploy" in "tasks.ts": dependency "tset" is not defined (did you mean "test"?)',
  );
});

Deno.test("buildGraph() rejects an unknown target and lists the jobs", () => {
  const specs = specsOf({ build: job(() => {}), test: job(() => {}) });
  const error = assertThrows(() => buildGraph(specs, ["tests"]), GatherError);
  assertEquals(error.code, "UNKNOWN_JOB");
  assertEquals(error.message.endsWith("available: build, test"), true);
});

Deno.test("buildGraph() gives the longest remaining path the highest priority", () => {
  const long1 = job(() => {});
  const long2 = job({ deps: [long1] }, () => {});
  const long3 = job({ deps: [long2] }, () => {});
  const short = job(() => {});
  const graph = buildGraph(specsOf({ long1, long2, long3, short }), ["long3", "short"]);
  const priority = (name: string) => graph.priority[graph.index.get(name)!]!;
  assertEquals(priority("long1"), 3);
  assertEquals(priority("short"), 1);
  const weighted = buildGraph(specsOf({ long1, long2, long3, short }), ["long3", "short"], {
    weights: new Map([["short", 100]]),
  });
  assertGreater(
    weighted.priority[weighted.index.get("short")!]!,
    weighted.priority[weighted.index.get("long1")!]!,
  );
});

Deno.test("buildGraph() handles a 100,000-job chain without recursion", () => {
  const specs = new Map();
  for (let i = 0; i < 100_000; i++) {
    const spec = resolveJobs([[`j${i}`, job({ deps: i ? [`j${i - 1}`] : [] }, () => {})]], "x")
      .specs.get(`j${i}`)!;
    specs.set(spec.name, spec);
  }
  const graph = buildGraph(specs, ["j99999"]);
  assertEquals(graph.jobs.length, 100_000);
  assertEquals(graph.jobs[0]!.name, "j0");
  assertEquals(graph.priority[0], 100_000);
});

Deno.test("resolveJobs() rejects two jobs with one name", () => {
  const error = assertThrows(
    () =>
      resolveJobs(
        [["a", job({ name: "same" }, () => {})], ["b", job({ name: "same" }, () => {})]],
        '"t.ts"',
      ),
    GatherError,
  );
  assertEquals(error.code, "DUPLICATE_JOB");
  assertEquals(
    error.message,
    'Cannot load "t.ts": two jobs are named "same" (export "a" and export "b"); give one another name',
  );
});

Deno.test("resolveJobs() names unexported dependencies by their function name", () => {
  const helper = job(function compile() {
    return 1;
  });
  const { specs } = resolveJobs([["main", job({ deps: [helper] }, () => {})]], "x");
  assertEquals(specs.get("main")!.deps, ["compile"]);
});
