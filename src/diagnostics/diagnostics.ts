/**
 * Async diagnostics while jobs run: event-loop stalls attributed to the job
 * that blocked, promises a job started but never awaited that reject, and
 * exceptions its callbacks threw that nothing caught (these fail the job).
 * Each becomes a `diagnostic` event with the job's name and the fix.
 *
 * Stalls are seen by a lag monitor and blamed three ways: the synchronous
 * part of every job's function is timed; slow timer callbacks are timed; and
 * a sampling profiler runs from the moment a job may run code of its own
 * after its function returned (jobs that only wait on `ctx.sh` or
 * `ctx.offload` never start it: its start-up stalls ~30 ms, and it slowed a
 * run of 1,000 short commands by 10-20 %).
 *
 * @module
 */

import { fromFileUrl, relative } from "../deps/path.ts";
import {
  type CpuClock,
  type CpuSample,
  type HeldTime,
  heldTime,
  ThreadCpuClock,
} from "./cpu_time.ts";
import { toError } from "../errors.ts";
import type { DiagnosticEvent, EventSink, GatherEvent } from "../events.ts";
import { Profiler } from "./profiler.ts";
import type { Instrument } from "../engine/instrument.ts";
import type { JobScope } from "../engine/scope.ts";
import type { CodeRange } from "./stall_blame.ts";
import { lazy } from "../lazy.ts";
import { type SlowCallback, watchTimers } from "./timer_watch.ts";
import { catchUncaught, type TimerFunctions } from "./uncaught.ts";

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

/** Options of {@linkcode Diagnostics}. */
export interface DiagnosticsOptions {
  /** Where diagnostics go. */
  emit: EventSink;
  /** Tells which job created a promise. */
  scope: JobScope;
  /** The function of a job, by name. */
  fnOf: (job: string) => AnyFunction | undefined;
  /** Report stalls longer than this, in ms. @default {100} */
  stallThresholdMs?: number;
  /** Watch for stalls at all. @default {true} */
  stalls?: boolean;
  /** Profiler sampling interval in ms. @default {10} */
  sampleMs?: number;
  /** Receives `unhandledrejection` and `error` (uncaught exception) events. @default {globalThis} */
  target?: EventTarget;
  /**
   * Whose `setTimeout`/`setInterval` to wrap: to blame stalls in timer
   * callbacks, and to know the job whose timer callback threw. @default {none}
   */
  timers?: TimerFunctions;
  /**
   * Fail a running job with an exception its code threw outside its
   * function (in a timer callback, a listener, a microtask) that nothing
   * caught; `false` when the job is not running (any more). The runner's
   * `fail`. @default {fails nothing: the exception is only reported}
   */
  failJob?: (job: string, error: Error) => boolean;
  /** Sites are shown relative to this directory. @default {Deno.cwd()} */
  cwd?: string;
  /** Deno's cache directory, to map emitted lines to TypeScript lines. */
  denoDir?: string | undefined;
  /**
   * How the loop's thread spent a gap (running, waiting for a CPU, stopped),
   * read at every tick of the lag monitor. @default {a ThreadCpuClock}
   */
  cpu?: CpuClock;
}

/** How many of the last jobs that ended are kept, to blame for a stall they ended in. */
const RECENT = 32;
/** gather's own code: everything under `src/`. */
const OWN_URL = new URL("../", import.meta.url).href;
const OFFLOAD_HINT =
  'move the work off the event loop: ctx.offload(new URL("./work.ts", import.meta.url), "fn", ...args), or a subprocess with ctx.sh; a long loop can yield with await delay(0)';

/**
 * Watches a run for stalls, orphan rejections and uncaught exceptions.
 *
 * @example Usage
 * ```ts
 * import { Diagnostics } from "./diagnostics.ts";
 * import { JobScope } from "../engine/scope.ts";
 * import type { GatherEvent } from "../events.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const events: GatherEvent[] = [];
 * const diagnostics = new Diagnostics({
 *   emit: (e) => events.push(e),
 *   scope: new JobScope(),
 *   fnOf: () => undefined,
 *   stalls: false,
 * });
 * await diagnostics.start();
 * await diagnostics.stop();
 * assertEquals(diagnostics.count, 0);
 * ```
 */
export class Diagnostics {
  #options: DiagnosticsOptions;
  #running = new Set<string>();
  /** The last jobs that ended, and when (the event's `Date.now()`): a ring, cheap per job. */
  #endedJobs: string[] = [];
  #endedAt: number[] = [];
  #endedNext = 0;
  #slow: SlowCallback[] = [];
  #restoreTimers: (() => void) | undefined;
  #watching = false;
  #profilerTried = false;
  #wantProfiler = false;
  #prologues: SlowCallback[] = [];
  #lastTick = 0;
  #lastCpu: CpuSample | undefined;
  #cpu: CpuClock;
  #ownCpu: ThreadCpuClock | undefined;
  #settling = new Set<() => void>(); // waits for a SIGCONT listener, cut short by stop()
  #period = 50;
  #thresholdMs: number;
  #profiler: Profiler | undefined;
  /** Finds where a job's function is when no profiler runs (connected on first use). */
  #locator: Profiler | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #analysis: Promise<void> = Promise.resolve();
  #count = 0;
  #onRejection = (event: PromiseRejectionEvent) => this.#rejection(event);
  #stopCatching: (() => void) | undefined;
  /** `run:end` is coming: nothing more is reported, though rejections and exceptions are still caught. */
  #ended = false;

  /**
   * Prepare diagnostics; nothing runs until `start()`.
   *
   * @param options Where to report, and how.
   */
  constructor(options: DiagnosticsOptions) {
    const threshold = this.#thresholdMs = options.stallThresholdMs ?? 100;
    if (!Number.isFinite(threshold) || threshold < 20) {
      throw new RangeError(
        `Cannot watch for stalls under 20ms (got ${threshold}ms): timer jitter alone reaches ~10ms`,
      );
    }
    this.#options = options;
    this.#cpu = options.cpu ?? (this.#ownCpu = new ThreadCpuClock());
  }

  /**
   * What the engine tells the diagnostics: pass it as the scheduler's and the
   * in-process runner's `instrument`. Each job's synchronous part is timed,
   * and the profiler starts after the batch in which a job may run code of
   * its own later; `runEnding` finishes the analyses under way, so their
   * events come before `run:end`, and keeps catching rejections and uncaught
   * exceptions (unreported: nothing comes after `run:end`) until `stop()`.
   * Without stall watching, only `runEnding`.
   */
  get instrument(): Instrument {
    const runEnding = () => this.#finish();
    if (this.#options.stalls === false) return { runEnding };
    return {
      jobReturned: (job, ms, runsLater) => {
        if (this.#watching) this.#watchCode(job, ms, runsLater);
      },
      // After the whole batch: the profiler's start stalls ~30 ms, and must not hold up the batch.
      batchStarted: () => {
        if (!this.#wantProfiler || this.#profilerTried || !this.#watching) return;
        // The profiler's start is gather's own work, not a gap to blame on the running jobs
        // (under load it alone passed the threshold): the window before it is judged now, and
        // the next one starts after it.
        this.#checkLag();
        this.#startProfiler();
        this.#tick();
      },
      runEnding,
    };
  }

  /** Whether the sampling profiler is running. */
  get profiling(): boolean {
    return this.#profiler !== undefined;
  }

  /** How many diagnostics were reported. */
  get count(): number {
    return this.#count;
  }

  /**
   * Follow the run's events, to know which jobs are running. Call it after
   * the reporters have handled the event.
   *
   * @param event An event of the run.
   */
  observe(event: GatherEvent): void {
    // The run's first event lists every job; writing it out is gather's own
    // work, not a stall to blame on a job: start watching after it.
    if (event.type === "run:start") this.#tick();
    else if (event.type === "job:start") this.#running.add(event.job);
    else if (event.type === "job:end" && event.started) {
      this.#running.delete(event.job);
      this.#endedJobs[this.#endedNext] = event.job;
      this.#endedAt[this.#endedNext] = event.time;
      this.#endedNext = (this.#endedNext + 1) % RECENT;
    } else if (event.type === "diagnostic") this.#count++;
  }

  /** Start watching. */
  start(): Promise<void> {
    const target = this.#options.target ?? globalThis;
    target.addEventListener("unhandledrejection", this.#onRejection as EventListener);
    this.#stopCatching = catchUncaught({
      target,
      scope: this.#options.scope,
      timers: this.#options.timers,
      onError: (job, thrown) => this.#uncaught(job, thrown),
    });
    if (this.#options.stalls === false) return Promise.resolve();
    const threshold = this.#thresholdMs;
    const period = Math.min(50, threshold / 2);
    this.#watching = true;
    this.#ownCpu?.start();
    this.#tick();
    this.#period = period;
    this.#timer = setInterval(() => this.#checkLag(), period);
    if (this.#options.timers) {
      this.#restoreTimers = watchTimers(
        this.#options.timers,
        this.#options.scope,
        threshold,
        (slow) => {
          this.#slow.push(slow);
          if (this.#slow.length > 32) this.#slow.shift();
        },
      );
    }
    return Promise.resolve();
  }

  /**
   * A job's function returned. Its synchronous part is timed here, so a stall
   * in it is blamed exactly without the profiler; a job that runs code of its
   * own later needs the profiler, started before that code can run.
   */
  #watchCode(job: string, ms: number, runsLater: boolean): void {
    if (ms >= this.#thresholdMs * 0.8) {
      const end = performance.now();
      this.#prologues.push({ job, start: end - ms, end });
      if (this.#prologues.length > 32) this.#prologues.shift();
    }
    if (runsLater) this.#wantProfiler = true;
  }

  #startProfiler(): void {
    if (!this.#watching || this.#profilerTried) return;
    this.#profilerTried = true;
    const profiler = new Profiler();
    try {
      profiler.start((this.#options.sampleMs ?? 10) * 1000);
      this.#profiler = profiler;
    } catch {
      // no inspector: stalls are still reported, with the running jobs
    }
  }

  /**
   * Finish the analyses under way (their events come before this resolves)
   * and stop: remove the listeners, restore the timers.
   */
  async stop(): Promise<void> {
    await this.#finish();
    this.#stopCatching?.();
    this.#stopCatching = undefined;
    (this.#options.target ?? globalThis).removeEventListener(
      "unhandledrejection",
      this.#onRejection as EventListener,
    );
  }

  /** Note the time and the loop's CPU times: the start of the next window. */
  #tick(): void {
    this.#lastTick = performance.now();
    if (this.#watching) this.#lastCpu = this.#cpu.sample();
  }

  /** The run is ending: stop watching for stalls, finish the analyses, report nothing more. */
  async #finish(): Promise<void> {
    // A stall that ends the run (its last job blocked, then returned) has no later tick to see
    // it: check now, but only for a job's synchronous part that was timed (the rest of that gap
    // may be gather's own end of run).
    if (this.#watching) this.#checkLag(true);
    clearInterval(this.#timer);
    this.#watching = false;
    this.#ownCpu?.stop();
    for (const wake of [...this.#settling]) wake(); // the run is ending: decide now
    this.#restoreTimers?.(); // wrapped the uncaught catcher's timers: restored before them
    this.#restoreTimers = undefined;
    await this.#analysis;
    await this.#profiler?.close().catch(() => {});
    this.#profiler = undefined;
    await this.#locator?.close().catch(() => {});
    this.#locator = undefined;
    this.#ended = true;
  }

  /**
   * How long since the monitor last ran: longer than its period and the
   * threshold is a stall, if the loop was held for that long by code: running,
   * or blocked in a call. Time the process was stopped (Ctrl-Z, SIGSTOP) or
   * waited for a CPU (a loaded machine) is not a stall: no job can fix it.
   */
  #checkLag(timedOnly = false): void {
    const before = this.#lastCpu;
    const from = this.#lastTick;
    this.#tick();
    const now = this.#lastTick;
    const period = this.#period;
    const gap = now - from;
    if (gap - period < this.#thresholdMs) return;
    // The other threads' times, read now: the loop may have waited on one that waited for a CPU.
    if (this.#watching) this.#lastCpu = this.#cpu.sample(true) ?? this.#lastCpu;
    const timed = this.#prologues.some((p) => p.end >= from && p.start <= now);
    // At the end of the run, a gap not timed is only blamed from the profiler's samples.
    if (timedOnly && !timed && this.#profiler === undefined) return;
    const held = heldTime(gap, period, before, this.#lastCpu);
    if (held.runningMs + held.blockedMs < this.#thresholdMs) return; // starved: it did not run
    // Jobs running now, and jobs that ended during the stall (their last act may have been it).
    const since = performance.timeOrigin + from - 1;
    const ended = this.#endedJobs.filter((_, k) => this.#endedAt[k]! >= since);
    const running = [...new Set([...this.#running, ...ended])];
    // Blocked rather than running: a call that blocks, or a stop. A stop ends with SIGCONT, whose
    // listener runs after this tick: the stall is reported if none came within 20 ms.
    const blocked = held.runningMs < this.#thresholdMs;
    const stopped = async () => blocked && (await this.#settle(20), this.#cpu.resumedAfter(from));
    const sampledOnly = timedOnly && !timed;
    this.#analysis = this.#analysis.then(() =>
      this.#stall(from, now, held, running, stopped, sampledOnly)
    );
  }

  /** Resolves after `ms`, or as soon as the monitor stops (at once if it has). */
  #settle(ms: number): Promise<void> {
    if (!this.#watching) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#settling.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#settling.add(wake);
    });
  }

  /**
   * Blame a stall. The loop was held `held.runningMs + held.blockedMs`: no
   * job is said to have held it longer, even when the profile's samples or a
   * callback's wall time say so (a loaded machine stretches them), and a job
   * is said to have held it for its share of the samples of that time. On a
   * loaded machine (the thread waited for a CPU more than a tenth of the gap)
   * time blocked counts only for code inside a synchronous call (`outputSync`,
   * `readFileSync`): otherwise the loop may have waited on a thread that was
   * itself waiting for a CPU. There, a stall no job can be blamed for is not
   * reported either (starved, the loop runs the callbacks that piled up all
   * at once), and a job is blamed only past twice the threshold: CPU work
   * itself runs slower on shared cores and caches. The profile is read at
   * once (it covers the window only for so long); nothing is reported if
   * `stopped()` says the process was stopped.
   */
  async #stall(
    from: number,
    to: number,
    held: HeldTime,
    running: string[],
    stopped: () => Promise<boolean>,
    sampledOnly = false,
  ): Promise<void> {
    const { loaded } = held;
    const heldBy = (stack: string[] = []) =>
      held.runningMs + (!loaded || stack.some((name) => /Sync$/.test(name)) ? held.blockedMs : 0);
    const heldMs = heldBy();
    const threshold = loaded ? this.#thresholdMs * 2 : this.#thresholdMs;
    const found: Omit<DiagnosticEvent, "type" | "time">[] = [];
    const overlaps = (callback: SlowCallback) => callback.end >= from && callback.start <= to;
    // A job's function that took this long before it returned was timed: no need to guess.
    const prologue = this.#prologues.find(overlaps);
    const profiler = this.#profiler;
    let diagnostic: Omit<DiagnosticEvent, "type" | "time"> | undefined;
    if (profiler) {
      try {
        const { profile, stoppedAt } = await profiler.take();
        const toUs = (t: number) => profile.endTime - (stoppedAt - t) * 1000;
        const ranges = await this.#ranges(profiler, [
          ...new Set([...running, ...this.#endedJobs]),
        ]);
        const { blameStall } = await lazy<typeof import("./stall_blame.ts")>(
          new URL("./stall_blame.ts", import.meta.url),
        );
        const blame = blameStall(
          profile,
          toUs(from) - profiler.intervalMs * 1000,
          toUs(to),
          ranges,
          {
            ownUrlPrefix: OWN_URL,
          },
        );
        // How long a job's code held the loop: its share of the time the loop was held.
        const ran = (c: { busyMs: number; share: number; stack: string[] }) =>
          Math.min(c.busyMs, c.share * heldBy(c.stack));
        // Every job that ran for longer than the threshold in this window; the top one in any case.
        const culprits = blame.culprits.filter((c, i) =>
          ran(c) >= threshold * 0.8 || (i === 0 && c.share >= 0.5 && heldBy(c.stack) >= threshold)
        );
        // gather's own bookkeeping (a profiler that started after a timed stall saw only that)
        if (culprits.length === 0 && blame.gatherShare > 0.5 && !prologue) return;
        if (culprits.length === 0 && blame.gcShare > 0.5 && !prologue && !loaded) {
          diagnostic = {
            kind: "stall",
            message: `The event loop was blocked for ${
              Math.round(heldMs)
            }ms collecting garbage; running then: ${running.join(", ") || "no job"}`,
            hint:
              "a job allocates a lot: stream large data (Deno.open, ReadableStream) instead of reading it whole",
            durationMs: Math.round(heldMs),
            running,
          };
        }
        const single = culprits.length === 1;
        for (const culprit of culprits) {
          // One culprit: the whole stall up to 1.5 times its samples (they miss its edges).
          const ms = Math.round(
            Math.min(heldBy(culprit.stack), single ? ran(culprit) * 1.5 : ran(culprit)),
          );
          const who = culprit.jobs.length === 1
            ? ""
            : ` (one of ${culprit.jobs.join(", ")}: they share this code)`;
          const via = culprit.stack.length > 0 ? ` in ${culprit.stack.join(" ← ")}` : "";
          const sync = culprit.stack.find((name) => /Sync$/.test(name));
          const stall: Omit<DiagnosticEvent, "type" | "time"> = {
            kind: "stall",
            message: `Blocked the event loop for ${ms}ms${via}: every other job waited${who}`,
            hint: sync
              ? `use the async ${
                sync.replace(/Sync$/, "")
              }() instead of ${sync}(), or ${OFFLOAD_HINT}`
              : OFFLOAD_HINT,
            durationMs: ms,
            running,
          };
          if (culprit.jobs.length === 1) stall.job = culprit.jobs[0]!;
          if (culprit.site) stall.site = await this.#site(culprit.site);
          if (culprit === culprits.at(-1)) diagnostic = stall;
          else found.push(stall);
        }
      } catch {
        diagnostic = undefined;
      }
    }
    // The run's last gap, which gather's own end of run shares: only a job's code in the samples.
    if (sampledOnly && diagnostic?.job === undefined && found.length === 0) return;
    // Not held long enough by code that no synchronous call explains (on a loaded machine).
    if (diagnostic === undefined && found.length === 0 && heldMs < threshold) return;
    // Unsampled: every job whose synchronous start or timer callback was timed in this window
    // (a batch may start several), each for its share of the time the loop was held.
    const timed = (diagnostic !== undefined ? [] : [
      ...this.#prologues.filter(overlaps).map((slow) => ({ slow, start: true })),
      ...this.#slow.filter(overlaps).map((slow) => ({ slow, start: false })),
    ]).map((t) => ({ ...t, ms: Math.min(t.slow.end, to) - Math.max(t.slow.start, from) }))
      .sort((a, b) => a.slow.start - b.slow.start);
    const timedMs = timed.reduce((sum, t) => sum + t.ms, 0);
    const longest = timed.reduce((a, b) => (b.ms > a.ms ? b : a), timed[0]!);
    const blamed = timed.map((t) => ({ ...t, ms: Math.min(t.ms, (t.ms / timedMs) * heldMs) }))
      .filter((t, i) => t.ms >= threshold * 0.8 || timed[i] === longest);
    for (const { slow, start, ms: exact } of blamed) {
      const ms = Math.round(exact);
      const where = start ? "before its function returned" : "in a timer callback";
      const site = start ? await this.#startSite(slow.job) : undefined;
      const stall: Omit<DiagnosticEvent, "type" | "time"> = {
        kind: "stall",
        job: slow.job,
        message: `Blocked the event loop for ${ms}ms ${where}: every other job waited`,
        hint: OFFLOAD_HINT,
        durationMs: ms,
        running,
        ...(site === undefined ? {} : { site }),
      };
      if (slow === blamed.at(-1)!.slow) diagnostic = stall;
      else found.push(stall);
    }
    // Unexplained: sample from now on, so that a stall that comes back is blamed exactly.
    if (diagnostic === undefined) this.#startProfiler();
    if (diagnostic === undefined && found.length === 0 && loaded) return; // nobody to blame
    diagnostic ??= {
      kind: "stall",
      message: `The event loop was blocked for ${Math.round(heldMs)}ms; running then: ${
        running.join(", ") || "no job"
      }`,
      hint: OFFLOAD_HINT,
      durationMs: Math.round(heldMs),
      running,
    };
    found.push(diagnostic);
    if (await stopped()) return;
    for (const stall of found) {
      this.#options.emit({ type: "diagnostic", time: Date.now(), ...stall });
    }
  }

  async #ranges(profiler: Profiler, jobs: string[]): Promise<CodeRange[]> {
    const byRange = new Map<string, CodeRange>();
    for (const job of jobs) {
      const fn = this.#options.fnOf(job);
      const range = fn && await profiler.codeRange(fn);
      if (!range) continue;
      const key = `${range.scriptId}:${range.startLine}:${range.startColumn}`;
      const known = byRange.get(key);
      if (known) known.jobs.push(job);
      else byRange.set(key, { ...range, jobs: [job] });
    }
    return [...byRange.values()];
  }

  /**
   * Where a job's function starts: the site of a stall in its synchronous
   * start, which no profile sampled (the profiler starts after the batch).
   */
  async #startSite(job: string): Promise<string | undefined> {
    const fn = this.#options.fnOf(job);
    if (fn === undefined) return undefined;
    try {
      const inspector = this.#profiler ?? (this.#locator ??= new Profiler());
      const range = await inspector.codeRange(fn);
      const url = range && await inspector.scriptUrl(range.scriptId);
      if (!range || !url || url.startsWith(OWN_URL)) return undefined;
      return await this.#site({ url, line: range.startLine + 1, column: range.startColumn });
    } catch {
      return undefined; // no inspector
    }
  }

  async #site(site: { url: string; line: number; column?: number }): Promise<string> {
    // Loaded with the first diagnostic that names a site: a run without one does not pay for it.
    const { sourceLine } = await lazy<typeof import("./_source_map.ts")>(
      new URL("./_source_map.ts", import.meta.url),
    );
    const line = await sourceLine(site.url, site.line, this.#options.denoDir, site.column) ??
      site.line;
    return `${this.#relative(site.url)}:${line}`;
  }

  #relative(url: string): string {
    if (!url.startsWith("file:")) return url;
    const path = fromFileUrl(url);
    const rel = relative(this.#options.cwd ?? Deno.cwd(), path);
    return rel.startsWith("..") ? path : rel;
  }

  #rejection(event: PromiseRejectionEvent): void {
    event.preventDefault(); // report it against its job; do not kill the run
    if (this.#ended) return;
    const job = this.#options.scope.current();
    const reason = toError(event.reason);
    const text = `${reason.name}: ${reason.message}`;
    const site = this.#stackSite(reason.stack ?? "");
    this.#options.emit({
      type: "diagnostic",
      time: Date.now(),
      ...(job === undefined ? {} : { job }),
      kind: "unhandled-rejection",
      message: job === undefined
        ? `A promise rejected and nothing awaited it: ${text}`
        : `A promise that "${job}" started and never awaited rejected: ${text}`,
      hint: "await it (or return it), or start it with ctx.spawn so its failure fails the job",
      ...(site === undefined ? {} : { site }),
    });
  }

  /**
   * An exception nothing caught: it fails its job if the job is still
   * running (a diagnostic says where it came from and what to do), and is
   * reported otherwise; the process goes on either way.
   */
  #uncaught(job: string | undefined, thrown: unknown): void {
    if (this.#ended) return;
    const error = toError(thrown);
    const text = `${error.name}: ${error.message}`;
    const failed = job !== undefined && (this.#options.failJob?.(job, error) ?? false);
    const site = this.#stackSite(error.stack ?? "");
    const message = job === undefined
      ? `An exception was thrown outside every job and nothing caught it: ${text}`
      : failed
      ? `An exception thrown in a callback of "${job}" (a timer, a listener, a microtask) failed it: ${text}`
      : `An exception thrown in a callback of "${job}" after it ended: ${text}`;
    this.#options.emit({
      type: "diagnostic",
      time: Date.now(),
      ...(job === undefined ? {} : { job }),
      kind: "uncaught-error",
      message,
      hint:
        "catch errors inside callbacks (timers, event listeners, emitter 'error' handlers), or settle a promise the job awaits so the error fails it where it happens",
      ...(site === undefined ? {} : { site }),
      ...(job === undefined ? { running: [...this.#running] } : {}),
    });
  }

  #stackSite(stack: string): string | undefined {
    for (const line of stack.split("\n")) {
      const match = line.match(/(file:\/\/[^\s)]+):(\d+):(\d+)/);
      if (match && !match[1]!.startsWith(OWN_URL)) {
        return `${this.#relative(match[1]!)}:${match[2]}`;
      }
    }
    return undefined;
  }
}
