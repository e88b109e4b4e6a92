/**
 * Find out which job blocked the event loop: walk each CPU-profile sample
 * taken during a stall up its stack to the first frame that lies inside a
 * job's function (the job itself, a callback it defined, or a helper it
 * called), and count. Pure: the profile and the jobs' code ranges are given.
 *
 * @module
 */

/** A frame of a V8 CPU profile (0-based line and column of the function's start). */
export interface CallFrame {
  /** The function's name, empty for anonymous ones. */
  functionName: string;
  /** The script's id. */
  scriptId: string;
  /** The script's URL. */
  url: string;
  /** 0-based line of the function's start. */
  lineNumber: number;
  /** 0-based column of the function's start. */
  columnNumber: number;
}

/** A node of a V8 CPU profile. */
export interface ProfileNode {
  /** The node's id. */
  id: number;
  /** The function it stands for. */
  callFrame: CallFrame;
  /** Ids of the functions it called. */
  children?: number[];
  /** Samples per 1-based line of the function. */
  positionTicks?: { line: number; ticks: number }[];
}

/** A V8 CPU profile, as `Profiler.stop` returns it. */
export interface CpuProfile {
  /** Every node of the call tree. */
  nodes: ProfileNode[];
  /** Start, in microseconds of the profiler's clock. */
  startTime: number;
  /** End, in microseconds of the profiler's clock. */
  endTime: number;
  /** The node id of each sample's leaf. */
  samples: number[];
  /** Microseconds between one sample and the previous one. */
  timeDeltas: number[];
}

/** Where a job's function lives in a script (0-based, end inclusive). */
export interface CodeRange {
  /** The jobs whose function this is (several when jobs share code). */
  jobs: string[];
  /** The script's id. */
  scriptId: string;
  /** 0-based line where the function starts. */
  startLine: number;
  /** 0-based column where the function starts. */
  startColumn: number;
  /** 0-based line where the function ends. */
  endLine: number;
  /** 0-based column where the function ends. */
  endColumn: number;
}

/** One job's part in a stall. */
export interface JobBlame {
  /** The jobs whose code this is (one, or several sharing code). */
  jobs: string[];
  /** This code's share of the samples in the window that were not idle. */
  share: number;
  /** How long this code ran during the window, in ms (its samples times the interval). */
  busyMs: number;
  /**
   * The hottest stack, leaf first, up to the job: user functions, `*Sync`
   * calls, and the job itself (by its name).
   */
  stack: string[];
  /** The hottest user-code frame: its script URL and 1-based line in the emitted JavaScript. */
  site?: { url: string; line: number; functionName: string };
}

/** Who blocked the event loop, as far as the samples tell. */
export interface StallBlame {
  /** The jobs whose code ran during the stall, most samples first. */
  culprits: JobBlame[];
  /** Busy samples in the window. */
  samples: number;
  /** Share of busy samples in gather's own code (no job on the stack). */
  gatherShare: number;
  /** Share of all samples in the window spent collecting garbage. */
  gcShare: number;
}

/** Options of {@linkcode blameStall}. */
export interface BlameOptions {
  /** URLs of gather's own modules start with this. */
  ownUrlPrefix: string;
}

const IDLE = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/**
 * Attribute the samples of `profile` taken between `fromUs` and `toUs` (the
 * profiler's clock) to the jobs whose code is on their stacks.
 *
 * @param profile The CPU profile.
 * @param fromUs Start of the stall window.
 * @param toUs End of the stall window.
 * @param ranges Where each job's function lives.
 * @param options Which URLs are gather's own.
 * @returns The blame.
 *
 * @example Usage
 * ```ts
 * import { blameStall } from "./stall_blame.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const frame = (name: string, line: number) =>
 *   ({ functionName: name, scriptId: "7", url: "file:///t.ts", lineNumber: line, columnNumber: 0 });
 * const profile = {
 *   nodes: [
 *     { id: 1, callFrame: frame("(root)", -1), children: [2] },
 *     { id: 2, callFrame: frame("spinJob", 10), children: [3] },
 *     { id: 3, callFrame: frame("spin", 40) },
 *   ],
 *   startTime: 0,
 *   endTime: 3000,
 *   samples: [3, 3, 3],
 *   timeDeltas: [1000, 1000, 1000],
 * };
 * const ranges = [{ jobs: ["spinner"], scriptId: "7", startLine: 10, startColumn: 0, endLine: 20, endColumn: 1 }];
 * const blame = blameStall(profile, 0, 3000, ranges, { ownUrlPrefix: "file:///gather/" });
 * assertEquals(blame.culprits[0]?.jobs, ["spinner"]);
 * assertEquals(blame.culprits[0]?.stack, ["spin", "spinner"]);
 * ```
 */
export function blameStall(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
  ranges: readonly CodeRange[],
  options: BlameOptions,
): StallBlame {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }

  // owner(node): index of the range its stack first enters; else -1 when the
  // nearest script frame to the leaf is gather's own code, -2 otherwise.
  const rangeOf = new Map<number, number>();
  const inRange = (id: number): number => {
    const path: number[] = [];
    let found = -2;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const known = rangeOf.get(at);
      if (known !== undefined) {
        found = known;
        break;
      }
      path.push(at);
      const index = ranges.findIndex((range) => contains(range, byId.get(at!)!.callFrame));
      if (index >= 0) {
        found = index;
        break;
      }
    }
    for (const p of path) rangeOf.set(p, found);
    return found;
  };
  const ownerOf = (id: number): number => {
    const owner = inRange(id);
    if (owner >= 0) return owner;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { url } = byId.get(at)!.callFrame;
      if (url.startsWith("file:")) return url.startsWith(options.ownUrlPrefix) ? -1 : -2;
    }
    return -2;
  };

  const counts = new Map<number, number>();
  const leaves = new Map<number, Map<number, number>>();
  let busy = 0;
  let gc = 0;
  let all = 0;
  let time = profile.startTime;
  let intervalSum = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    time += delta;
    if (time < fromUs || time > toUs) return;
    const node = byId.get(id);
    all++;
    if (node?.callFrame.functionName === "(garbage collector)") gc++;
    if (node === undefined || IDLE.has(node.callFrame.functionName)) return;
    busy++;
    intervalSum += delta;
    const owner = ownerOf(id);
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
    if (owner >= 0) {
      const perLeaf = leaves.get(owner) ?? new Map<number, number>();
      perLeaf.set(id, (perLeaf.get(id) ?? 0) + 1);
      leaves.set(owner, perLeaf);
    }
  });
  const interval = busy > 0 ? intervalSum / busy / 1000 : 0;
  const culprits = [...counts]
    .filter(([owner]) => owner >= 0)
    .sort((a, b) => b[1] - a[1])
    .map(([owner, count]) => describe(owner, count));
  return {
    culprits,
    samples: busy,
    gatherShare: busy > 0 ? (counts.get(-1) ?? 0) / busy : 0,
    gcShare: all > 0 ? gc / all : 0,
  };

  /** Every line tick of one function, over all the profile's nodes for it. */
  function ticksOf(frame: CallFrame): { line: number; ticks: number }[] {
    const lines = new Map<number, number>();
    for (const other of profile.nodes) {
      const { scriptId, lineNumber, columnNumber } = other.callFrame;
      if (scriptId !== frame.scriptId || lineNumber !== frame.lineNumber) continue;
      if (columnNumber !== frame.columnNumber) continue;
      for (const { line, ticks } of other.positionTicks ?? []) {
        lines.set(line, (lines.get(line) ?? 0) + ticks);
      }
    }
    return [...lines].map(([line, ticks]) => ({ line, ticks }));
  }

  function describe(owner: number, count: number): JobBlame {
    const range = ranges[owner]!;
    const hottest = [...leaves.get(owner)!].sort((a, b) => b[1] - a[1])[0]![0];
    const stack: string[] = [];
    let site: JobBlame["site"];
    for (let at: number | undefined = hottest; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at)!;
      const { functionName, url } = node.callFrame;
      const user = url.startsWith("file:") && !url.startsWith(options.ownUrlPrefix);
      const up = parent.get(at);
      if (
        contains(range, node.callFrame) &&
        (up === undefined || !contains(range, byId.get(up)!.callFrame))
      ) {
        stack.push(range.jobs.length === 1 ? range.jobs[0]! : functionName || "(job)");
      } else if (user || /Sync$/.test(functionName)) {
        stack.push(functionName || "(anonymous)");
      }
      if (site === undefined && user) {
        // A frame whose time is all in its callees has no ticks of its own: the same
        // function's ticks elsewhere in the profile (the loop around the call) say where.
        const ticks = node.positionTicks?.length ? node.positionTicks : ticksOf(node.callFrame);
        const line = ticks.length > 0
          ? ticks.reduce((a, b) => (b.ticks > a.ticks ? b : a)).line
          : node.callFrame.lineNumber + 1;
        site = { url, line, functionName: functionName || "(anonymous)" };
      }
      if (contains(range, node.callFrame)) break;
    }
    const blame: JobBlame = {
      jobs: range.jobs,
      share: count / busy,
      busyMs: count * interval,
      stack,
    };
    if (site !== undefined) blame.site = site;
    return blame;
  }
}

function contains(range: CodeRange, frame: CallFrame): boolean {
  if (frame.scriptId !== range.scriptId) return false;
  const { lineNumber: line, columnNumber: column } = frame;
  const afterStart = line > range.startLine ||
    (line === range.startLine && column >= range.startColumn);
  const beforeEnd = line < range.endLine || (line === range.endLine && column <= range.endColumn);
  return afterStart && beforeEnd;
}
