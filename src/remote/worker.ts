/**
 * `gather worker`: takes jobs from the work queue, one per free slot, and
 * runs each as a local run would (its own process groups, the cache in front
 * of the in-process runner). For each job: claim it from its coordinator
 * (which says no to a job already done or cancelled), say it is alive while
 * it runs, report, and only then acknowledge it. Cancel broadcasts stop the
 * run's jobs (their processes killed within the grace period, the jobs not
 * redelivered), and so does a coordinator that is gone (killed, say: every
 * second the worker asks each of its runs' coordinators whether it is still
 * there); a worker that is stopped gives its jobs back to the queue at
 * once; one that loses its connection stops its jobs and exits.
 *
 * @module
 */

import { lazyHasher } from "../cache/hash.ts";
import { isAbsolute, join, normalize } from "../deps/path.ts";
import type { GatherEvent } from "../events.ts";
import { loadTaskFile, type TaskFile } from "../load/task_file.ts";
import type { Delivery, WorkerLink } from "./dispatcher.ts";
import { type JobMessage, parseJobMessage, type ResultMessage } from "./protocol.ts";
import { type JobEnd, WorkerRun, type WorkerRunEnv } from "./worker_run.ts";
import { PullGate } from "./_pull_gate.ts";

/** Options of {@linkcode Worker}. */
export interface WorkerOptions extends Omit<WorkerRunEnv, "forward" | "aside"> {
  /** The queue. */
  link: WorkerLink;
  /** Jobs at once. */
  slots: number;
  /** Prints one line of the worker's own output. */
  print: (line: string) => void;
  /** How often it asks each run's coordinator whether it is still there, in ms. @default {1000} */
  aliveProbeMs?: number;
}

/** Why the jobs of a run whose coordinator is gone are cancelled. */
const GONE = "its coordinator is gone (nothing answers for its run on the NATS server)";

/**
 * How long one wait for a job lasts before the worker asks again, in ms: a
 * stopping worker waits this long at most for its pulls before it gives its
 * jobs back (a job given back while a pull of its own is out would come back
 * to it, and wait out its ack time).
 */
const PULL_MS = 2_000;

/**
 * How long no slot of a worker asks for a job after it gave back one it
 * refused, in ms: another worker's request takes it meanwhile (the job goes
 * back only once none of this worker's requests is out: see `_pull_gate.ts`).
 */
const REFUSED_PAUSE_MS = 1_000;

/**
 * A worker process's loop.
 *
 * @example Usage
 * ```ts ignore
 * const worker = new Worker({ link, slots: 2, worker: "w1", root, cacheDir, ... });
 * const lost = await worker.serve(shutdown.interrupt.signal);
 * ```
 */
export class Worker {
  #options: WorkerOptions;
  #env: WorkerRunEnv;
  #runs = new Map<string, Promise<WorkerRun | string>>();
  #open = new Map<string, WorkerRun>();
  #ended = new Set<string>();
  #loaded = new Map<string, { tasks: TaskFile; hash: string }>();
  /** The jobs this worker refused, by run: why. It does not take them again. */
  #refused = new Map<string, Map<string, string>>();
  /** The runs whose coordinator is being asked whether it is still there. */
  #probing = new Set<string>();
  /** The open runs whose coordinator is gone. */
  #gone = new Set<string>();
  /** This worker's pulls out, and the refused jobs it is giving back. */
  #gate = new PullGate();
  #stopping: string | undefined;
  /** Jobs whose run ended and whose upload and report go on while their slot takes the next job. */
  #finishing = new Set<Promise<void>>();
  /** Every slot's loop has ended: no pull of this worker is out any more. */
  #pullsDone: Promise<unknown> = Promise.resolve();
  #wake = () => {};
  #stopped = new Promise<void>((resolve) => this.#wake = resolve);

  /**
   * Prepare a worker.
   *
   * @param options The queue, the slots, the checkout and the cache.
   */
  constructor(options: WorkerOptions) {
    this.#options = options;
    this.#env = {
      ...options,
      forward: (run, job, events) =>
        options.link.events(run, { job, worker: options.worker, events }),
      aside: (event) => this.#aside(event),
    };
  }

  /**
   * Take jobs until the signal aborts or the connection is lost.
   *
   * @param signal Aborting it stops the worker: its jobs go back to the queue.
   * @param force Aborting it stops waiting for cancelled jobs.
   * @returns Why the connection was lost, or `undefined` after an orderly stop.
   */
  async serve(signal: AbortSignal, force?: AbortSignal): Promise<Error | undefined> {
    const { link } = this.#options;
    let lost: Error | undefined;
    link.lost.then((error) => {
      lost = error;
      this.#stop(error.message);
    });
    const onAbort = () => this.#stop(`the worker was stopped (${signalReason(signal)})`);
    const onForce = () => this.#open.forEach((run) => run.force());
    signal.addEventListener("abort", onAbort, { once: true });
    force?.addEventListener("abort", onForce, { once: true });
    const probe = setInterval(() => this.#probe(), this.#options.aliveProbeMs ?? 1_000);
    try {
      link.listen(
        (run, message) => {
          if (message.workers !== undefined && !message.workers.includes(this.#options.worker)) {
            return; // another worker's copy of a job
          }
          if (message.jobs === undefined) this.#ended.add(run);
          this.#open.get(run)?.stop("cancel", message.reason, message.jobs);
        },
        (run) => {
          this.#ended.add(run);
          this.#refused.delete(run);
          this.#closeIfIdle(run);
        },
      );
      if (signal.aborted) onAbort();
      this.#pullsDone = Promise.all(
        Array.from({ length: this.#options.slots }, () => this.#loop()),
      );
      await this.#pullsDone;
      await Promise.all(this.#finishing);
      for (const run of this.#open.values()) await run.close().catch(() => {});
    } finally {
      clearInterval(probe);
      signal.removeEventListener("abort", onAbort);
      force?.removeEventListener("abort", onForce);
      await link.close();
    }
    return lost;
  }

  async #loop(): Promise<void> {
    const { link } = this.#options;
    while (this.#stopping === undefined) {
      await this.#gate.open(this.#stopped); // not while it gives a refused job back
      if (this.#stopping !== undefined) break;
      const next = this.#gate.track(link.next(PULL_MS));
      const delivery = await Promise.race([next, this.#stopped]);
      if (!delivery) {
        // Stopping with a pull out: what it brings goes back, and the loop ends only once it is in.
        if (this.#stopping !== undefined) (await next)?.nak();
        continue;
      }
      if (this.#stopping !== undefined) {
        delivery.nak();
        break;
      }
      // The slot is free once the job's function has settled: its upload and report go on.
      let free = () => {};
      const freed = new Promise<void>((resolve) => free = resolve);
      const taking = this.#take(delivery, free).finally(() => {
        free();
        this.#finishing.delete(taking);
      });
      this.#finishing.add(taking);
      await freed;
    }
  }

  /**
   * Give a job this worker refused back to the queue, for another worker:
   * once none of this worker's pulls is out, so that none of its own slots
   * takes it back (each delivery counts towards the queue's limit).
   */
  async #giveBack(delivery: Delivery, ackWaitMs: number): Promise<void> {
    const alive = setInterval(() => delivery.working(), Math.max(250, ackWaitMs / 3));
    try {
      await this.#gate.giveBack(() => delivery.nak(), REFUSED_PAUSE_MS, this.#stopped);
    } finally {
      clearInterval(alive);
    }
  }

  async #take(delivery: Delivery, free: () => void): Promise<void> {
    const { link, worker, print } = this.#options;
    const message = parseJobMessage(delivery.text);
    if (typeof message === "string") {
      print(`dropped a job it cannot read (${message})`);
      delivery.term();
      return;
    }
    const { run, job } = message;
    if (this.#ended.has(run)) return delivery.term();
    const why = this.#refused.get(run)?.get(job);
    if (why !== undefined) {
      // Back to a worker that refused it: say so again (the coordinator counts the deliveries).
      print(`↺ ${job}  (run ${run}): refused here before; back to the queue`);
      const again: ResultMessage = {
        job,
        worker,
        outcome: "refused",
        message: why,
        attempts: 0,
        delivery: delivery.delivery,
      };
      if (await link.report(run, again) === "gone") return delivery.term();
      return await this.#giveBack(delivery, message.ackWaitMs);
    }
    const answer = await link.claim(run, { job, worker, delivery: delivery.delivery });
    if (answer === "later") {
      print(`↺ ${job}  (run ${run}): its coordinator did not answer the claim; back to the queue`);
      return delivery.nak(1000);
    }
    if (answer !== "go") {
      // Done, cancelled, or its coordinator is gone: said, so a job that never runs shows here.
      print(
        `⊘ ${job}  (run ${run}) dropped: ${
          answer === "gone"
            ? "its coordinator is gone"
            : "its coordinator said no (done or cancelled)"
        }`,
      );
      return delivery.term();
    }
    // Alive: to the queue (so it does not hand the job out again) and to the coordinator.
    const heartbeat = setInterval(() => {
      delivery.working();
      link.events(run, { job, worker, events: [] });
    }, Math.max(250, message.ackWaitMs / 3));
    const started = performance.now();
    print(
      `▶ ${job}  (run ${run}${delivery.delivery > 1 ? `, delivery ${delivery.delivery}` : ""})`,
    );
    try {
      const end = await this.#execute(message, free);
      const took = `${((performance.now() - started) / 1000).toFixed(1)}s`;
      if (end === "released") {
        print(`↩ ${job} given back to the queue`);
        free(); // the loops end, and with them this worker's pulls
        await this.#pullsDone;
        return await this.#release(delivery, run, job);
      }
      print(describe(end, took));
      if (end.outcome === "refused") {
        end.delivery = delivery.delivery;
        let refused = this.#refused.get(run);
        if (refused === undefined) this.#refused.set(run, refused = new Map());
        refused.set(job, end.message ?? "");
      }
      const reported = await link.report(run, end);
      if (reported === "later") delivery.nak();
      else if (end.outcome === "refused" && reported === "recorded") {
        // For another worker; the coordinator runs it when every worker refuses it.
        await this.#giveBack(delivery, message.ackWaitMs);
      } else if (end.outcome === "cancelled") delivery.term();
      else delivery.ack();
    } catch (error) {
      print(`✖ ${job}: internal error: ${(error as Error)?.stack ?? error}`);
      delivery.nak();
    } finally {
      clearInterval(heartbeat);
      this.#closeIfIdle(run);
    }
  }

  /**
   * Give back a job this worker is stopping with: the coordinator queues it
   * again as a new message, and this one is never delivered again (a nak
   * would count toward the queue's delivery limit, which is for workers that
   * go silent). Without the coordinator's answer, a nak, as before.
   */
  async #release(delivery: Delivery, run: string, job: string): Promise<void> {
    const { link, worker } = this.#options;
    const given: ResultMessage = { job, worker, outcome: "released", attempts: 0 };
    const answer = await link.report(run, given);
    if (answer === "later") delivery.nak();
    else delivery.term();
  }

  async #execute(message: JobMessage, free: () => void): Promise<JobEnd> {
    let opening = this.#runs.get(message.run);
    if (opening === undefined) {
      opening = this.#openRun(message).catch((error) => (error as Error).message);
      this.#runs.set(message.run, opening);
    }
    const run = await opening;
    if (typeof run === "string") {
      return {
        job: message.job,
        worker: this.#options.worker,
        outcome: "refused",
        message: run,
        attempts: 0,
      };
    }
    if (this.#ended.has(message.run)) {
      return { job: message.job, worker: this.#options.worker, outcome: "cancelled", attempts: 0 };
    }
    // Stopped while the run was opening (its task file loading): the stop could not reach the
    // job, which had not started; give it back rather than run it.
    if (this.#stopping !== undefined) return "released";
    return await run.execute(message, free);
  }

  /** The run of a job's message: its task file checked and loaded; or why this checkout cannot serve it. */
  async #openRun(message: JobMessage): Promise<WorkerRun | string> {
    const root = this.#options.root;
    const inside = (path: string) =>
      !isAbsolute(path) && !normalize(path).startsWith("..") && !path.includes("\0");
    if (!inside(message.taskFile) || !inside(message.cwd || ".")) {
      return `its task file "${message.taskFile}" or folder "${message.cwd}" is outside the project root`;
    }
    const path = join(root, message.taskFile);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch {
      return `this checkout (${root}) has no ${message.taskFile}: run the worker in a checkout of the coordinator's project, or pass --root`;
    }
    const hash = (await lazyHasher()()).sha256(bytes);
    if (hash !== message.taskHash) {
      return `its ${message.taskFile} differs from the coordinator's (sha256 ${
        hash.slice(0, 12)
      }… here, ${
        message.taskHash.slice(0, 12)
      }… on the coordinator): run workers in checkouts of the same commit`;
    }
    let loaded = this.#loaded.get(path);
    if (loaded !== undefined && loaded.hash !== hash) {
      return `${message.taskFile} changed since this worker loaded it: restart the worker`;
    }
    if (loaded === undefined) {
      loaded = { tasks: await loadTaskFile(path), hash };
      this.#loaded.set(path, loaded);
    }
    const cwd = join(root, message.cwd);
    if (Deno.cwd() !== cwd) Deno.chdir(cwd);
    const run = await WorkerRun.open(message, this.#env, loaded.tasks);
    this.#open.set(message.run, run);
    return run;
  }

  #closeIfIdle(id: string): void {
    const run = this.#open.get(id);
    if (run === undefined || !this.#ended.has(id) || run.busy > 0) return;
    this.#open.delete(id);
    this.#runs.delete(id);
    this.#gone.delete(id);
    run.close().catch(() => {});
  }

  /**
   * Ask each open run's coordinator whether it is still there. One that is
   * gone (killed: it never said its run ended) would leave its jobs running
   * here to their end: they are cancelled, each saying why.
   */
  #probe(): void {
    for (const id of this.#open.keys()) {
      if (this.#probing.has(id) || this.#gone.has(id)) continue;
      this.#probing.add(id);
      this.#options.link.alive(id)
        .then((answer) => {
          if (answer === "gone") this.#coordinatorGone(id);
        })
        .catch(() => {})
        .finally(() => this.#probing.delete(id));
    }
  }

  #coordinatorGone(id: string): void {
    const run = this.#open.get(id);
    if (run === undefined || this.#gone.has(id)) return;
    this.#gone.add(id);
    this.#ended.add(id); // its jobs still queued are dropped when they come
    this.#refused.delete(id);
    run.stop("cancel", GONE);
    this.#closeIfIdle(id);
  }

  #stop(reason: string): void {
    if (this.#stopping !== undefined) return;
    this.#stopping = reason;
    this.#options.print(`stopping: ${reason}`);
    for (const run of this.#open.values()) run.stop("release", reason);
    this.#wake();
  }

  /**
   * An event from outside the runs' runners (console output captured in a
   * job): to the run whose job it is.
   *
   * @param event The event.
   */
  emit(event: GatherEvent): void {
    const job = "job" in event ? event.job : undefined;
    const run = job === undefined
      ? undefined
      : [...this.#open.values()].find((open) => open.has(job));
    if (run !== undefined) run.deliver(event);
    else this.#aside(event);
  }

  #aside(event: GatherEvent): void {
    if (event.type === "warning" || event.type === "diagnostic") {
      const about = event.job === undefined ? "" : `${event.job}: `;
      this.#options.print(`⚠ ${about}${event.message}`);
    }
  }
}

function describe(end: ResultMessage, took: string): string {
  switch (end.outcome) {
    case "ok":
      return `✔ ${end.job} ${took}`;
    case "failed":
      return `✖ ${end.job} ${took}: ${end.error?.message.split("\n")[0] ?? "failed"}`;
    case "cancelled":
      return `⊘ ${end.job} cancelled ${took}${end.message === undefined ? "" : `: ${end.message}`}`;
    case "refused":
      return `✖ refused ${end.job}: ${end.message}; back to the queue for another worker`;
    case "fallback":
    case "unstorable":
      return `↩ ${end.job} handed back to the coordinator: ${end.message}`;
    case "released":
      return `↩ ${end.job} given back to the queue`;
  }
}

function signalReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : "interrupted";
}
