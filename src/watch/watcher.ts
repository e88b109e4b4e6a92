/**
 * File events for watch mode: `Deno.watchFs` on the folders to watch (inotify
 * on Linux), changes gathered into one batch once no event came for the
 * debounce time (`@std/async` `debounce`), so a `git checkout` of 500 files is
 * one batch. A watched folder that is removed is watched again when it comes
 * back (through its nearest existing parent in the meantime). Where events
 * are unavailable (no inotify watches left, say), it polls the watched files'
 * sizes and times instead, and says so.
 *
 * @module
 */

import { debounce } from "../deps/async_debounce.ts";
import type { WatchRoot } from "./files.ts";
import { isFolder } from "../file_kind.ts";
import { isAtOrAbove } from "./listed_folders.ts";

/** Options of {@linkcode FileWatcher}. */
export interface FileWatcherOptions {
  /** The folders to watch now; asked again after a batch that touched one of them. */
  roots: () => WatchRoot[];
  /** Whether a changed path may matter; others are dropped, and do not delay a batch. */
  relevant: (path: string) => boolean;
  /** Receives each batch of changed paths (absolute). */
  onBatch: (paths: Set<string>) => void;
  /** Quiet time after the last event before a batch is handed on, in ms. */
  debounceMs: number;
  /** Every watched file's signature, for polling. */
  snapshot: () => Map<string, string>;
  /** Poll rather than use events. @default {false} */
  poll?: boolean;
  /** How often to poll, in ms. @default {500} */
  pollMs?: number;
  /** Told once when events are unavailable and it polls instead. */
  onWarning?: (message: string) => void;
  /** Called each time the watches are (re)established: what changed before is not an event. */
  onArmed?: () => void;
}

/**
 * Watches folders and hands on batches of changed paths.
 *
 * @example Usage
 * ```ts
 * import { FileWatcher } from "./watcher.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * const batches: string[][] = [];
 * const watcher = new FileWatcher({
 *   roots: () => [{ path: dir, recursive: true }],
 *   relevant: () => true,
 *   onBatch: (paths) => batches.push([...paths]),
 *   debounceMs: 50,
 *   snapshot: () => new Map(),
 * });
 * watcher.start();
 * await new Promise((resolve) => setTimeout(resolve, 50));
 * for (let i = 0; i < 20; i++) await Deno.writeTextFile(`${dir}/f${i % 2}.txt`, `${i}`);
 * await new Promise((resolve) => setTimeout(resolve, 300));
 * watcher.close();
 * assertEquals(batches.length, 1); // one burst, one batch
 * assertEquals(batches[0]!.sort(), [`${dir}/f0.txt`, `${dir}/f1.txt`]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileWatcher {
  #options: FileWatcherOptions;
  #watchers: Deno.FsWatcher[] = [];
  #roots: WatchRoot[] = [];
  #pending = new Set<string>();
  #rearm = false;
  #quick: ReturnType<typeof debounce<[]>>;
  #slow: ReturnType<typeof debounce<[]>>;
  /** When the last relevant event came, and when the last one of the batch handed on last came. */
  #lastEvent = -Infinity;
  #batchEnd = -Infinity;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #last: Map<string, string> | undefined;
  #closed = false;
  #mode: "events" | "polling" = "events";

  /**
   * Prepare a watcher; `start()` starts it.
   *
   * @param options What to watch and where batches go.
   */
  constructor(options: FileWatcherOptions) {
    this.#options = options;
    const quiet = Math.max(0, Math.round(options.debounceMs));
    this.#quick = debounce(() => this.#handOn(), quiet);
    this.#slow = debounce(() => this.#handOn(), Math.max(BURST_QUIET_MS, quiet));
  }

  /** `events` (`Deno.watchFs`) or `polling`. */
  get mode(): "events" | "polling" {
    return this.#mode;
  }

  /** Start watching. */
  start(): void {
    if (this.#options.poll) this.#startPolling();
    else void this.#arm();
  }

  /**
   * Watch again if the folders to watch changed (a run discovered files in
   * a folder not watched yet).
   */
  rootsMayHaveChanged(): void {
    if (this.#mode !== "events" || this.#closed || this.#watchers.length === 0) return;
    if (!sameRoots(this.#roots, this.#options.roots())) void this.#arm();
  }

  /** Stop watching; no batch is handed on after this. */
  close(): void {
    this.#closed = true;
    this.#quick.clear();
    this.#slow.clear();
    clearInterval(this.#pollTimer);
    this.#disarm();
  }

  async #arm(): Promise<void> {
    // Deno's watchers share their watches: two on one folder cannot overlap (the old one, once
    // its pending read lets it go, would take the new one's watch with it), so the old ones stop
    // first, and are let go of. What changes in between is found by comparing the watched files
    // before and after.
    const before = this.#watchers.length > 0 ? this.#options.snapshot() : undefined;
    if (this.#watchers.length > 0) {
      this.#disarm();
      await new Promise((resolve) => setTimeout(resolve, REARM_CHECK_MS));
      if (this.#closed) return;
    }
    this.#roots = this.#options.roots();
    const groups = [true, false].map((recursive) =>
      this.#roots.filter((root) => root.recursive === recursive).map((root) => root.path)
    );
    try {
      groups.forEach((paths, i) => {
        if (paths.length === 0) return;
        const watcher = Deno.watchFs(paths, { recursive: i === 0 });
        this.#watchers.push(watcher);
        this.#read(watcher);
      });
    } catch (error) {
      this.#disarm();
      if (error instanceof Deno.errors.NotFound) {
        // A folder went between listing and watching: try again shortly.
        setTimeout(() => this.#closed || void this.#arm(), 50);
        return;
      }
      this.#fallBack(error);
      return;
    }
    if (before !== undefined && this.#diff(before)) this.#flush();
    this.#options.onArmed?.();
    // A folder that came between listing the roots and watching them sent no event (its parent
    // was not watched yet, or it was watched through that parent): watch again, with it.
    if (!sameRoots(this.#roots, this.#options.roots())) {
      this.#rearm = true;
      this.#flush();
    }
  }

  /** Add the files whose signature differs from `before` to the batch; whether there were any. */
  #diff(before: Map<string, string>): boolean {
    const now = this.#options.snapshot();
    const size = this.#pending.size;
    for (const [path, signature] of now) {
      if (before.get(path) !== signature) this.#pending.add(path);
    }
    for (const path of before.keys()) if (!now.has(path)) this.#pending.add(path);
    return this.#pending.size > size;
  }

  #disarm(): void {
    close(this.#watchers);
    this.#watchers = [];
  }

  async #read(watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of watcher) this.#event(event);
    } catch (error) {
      if (!this.#closed && this.#watchers.includes(watcher)) this.#fallBack(error);
    }
  }

  #event(event: Deno.FsEvent): void {
    if (this.#closed || event.kind === "access") return;
    let any = false;
    for (const path of event.paths) {
      if (!this.#options.relevant(path)) continue;
      // A watched folder itself went (or came): watch again once the batch is handed on.
      if (event.kind !== "modify" && this.#roots.some((root) => isAtOrAbove(path, root.path))) {
        this.#rearm = true;
      } else if (event.kind === "create" && isFolder(path)) {
        this.#rearm = true; // perhaps a folder that was missing, watched through its parent
      }
      this.#pending.add(path);
      any = true;
    }
    if (any || this.#rearm) this.#flush();
  }

  /**
   * Hand the batch on once no event came for the debounce time; but when
   * changes come again soon after the last batch's (a long checkout, files
   * written with pauses), wait for a longer quiet time: a burst costs one or
   * two reruns, never one per pause.
   */
  #flush(): void {
    const now = performance.now();
    const burst = this.#slow.pending || now - this.#batchEnd < BURST_WINDOW_MS;
    this.#lastEvent = now;
    if (burst) {
      this.#quick.clear();
      this.#slow();
    } else {
      this.#quick();
    }
  }

  #handOn(): void {
    if (this.#closed) return;
    // On a starved machine the debounce's timer can run before file events already queued for
    // this process are read: give them one turn of the event loop. One that comes sets the
    // debounce again, and this batch waits for it.
    const last = this.#lastEvent;
    setTimeout(() => {
      if (!this.#closed && this.#lastEvent === last) this.#handOnNow();
    }, 0);
  }

  #handOnNow(): void {
    this.#quick.clear();
    this.#slow.clear();
    // The batch goes first: re-arming takes a snapshot, which walks the inputs again, and a
    // batch judged after that walk would find a recreated folder's new files already known.
    if (this.#pending.size > 0) {
      const batch = this.#pending;
      this.#pending = new Set();
      this.#batchEnd = this.#lastEvent;
      this.#options.onBatch(batch);
    }
    if (this.#rearm && this.#mode === "events" && !this.#closed) {
      // Even when the same folders are back: the watch on a removed folder is gone with it.
      this.#rearm = false;
      void this.#arm();
    }
  }

  #fallBack(error: unknown): void {
    if (this.#mode === "polling" || this.#closed) return;
    this.#disarm();
    const why = error instanceof Error ? error.message : String(error);
    this.#options.onWarning?.(
      `file events are unavailable (${why}): watching by polling every ${
        this.#options.pollMs ?? 500
      }ms instead`,
    );
    this.#startPolling();
  }

  #startPolling(): void {
    this.#mode = "polling";
    this.#last = this.#options.snapshot();
    this.#pollTimer = setInterval(() => {
      const now = this.#options.snapshot();
      const last = this.#last!;
      this.#last = now;
      for (const [path, signature] of now) {
        if (last.get(path) !== signature) this.#pending.add(path);
      }
      for (const path of last.keys()) if (!now.has(path)) this.#pending.add(path);
      if (this.#pending.size > 0) this.#flush();
    }, this.#options.pollMs ?? 500);
  }
}

/** Changes within this long of the last batch's last one are taken as the same burst... */
const BURST_WINDOW_MS = 500;
/** ...and gathered until none came for this long. */
const BURST_QUIET_MS = 500;

function close(watchers: readonly Deno.FsWatcher[]): void {
  for (const watcher of watchers) {
    try {
      watcher.close();
    } catch {
      // closed already
    }
  }
}

/** How long a re-arm waits for the old watchers to let their watches go. */
const REARM_CHECK_MS = 20;

function sameRoots(a: readonly WatchRoot[], b: readonly WatchRoot[]): boolean {
  const key = (roots: readonly WatchRoot[]) =>
    roots.map((root) => `${root.recursive ? "r" : "-"}${root.path}`).sort().join("\0");
  return key(a) === key(b);
}
