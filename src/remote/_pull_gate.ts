/**
 * A worker's requests for jobs, and the jobs it refused: a refused job goes
 * back to the queue only once none of the worker's own requests is waiting
 * at the server, and the worker then asks for none for a moment, so that
 * another worker's request takes it rather than another slot of the worker
 * that refused it (each delivery counts towards the queue's limit).
 *
 * @module
 */

/**
 * Counts the pulls a worker has out and holds its slots back while it gives
 * a refused job back.
 *
 * @example Usage
 * ```ts
 * import { PullGate } from "./_pull_gate.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const gate = new PullGate();
 * const stopped = new Promise<void>(() => {});
 * const answer = Promise.withResolvers<undefined>();
 * const pull = gate.track(answer.promise);
 * const order: string[] = [];
 * const back = gate.giveBack(() => order.push("given back"), 0, stopped);
 * await Promise.resolve();
 * order.push("pull answered");
 * answer.resolve(undefined);
 * await pull;
 * await back;
 * assertEquals(order, ["pull answered", "given back"]);
 * ```
 */
export class PullGate {
  #out = 0;
  #holding = 0;
  #waiting: (() => void)[] = [];

  /**
   * Count a pull while it is out.
   *
   * @param pull The pull.
   * @returns The same pull.
   */
  track<T>(pull: Promise<T>): Promise<T> {
    this.#out++;
    return pull.finally(() => {
      this.#out--;
      this.#changed();
    });
  }

  /**
   * Wait until no refused job is being given back: a slot may pull then.
   *
   * @param stopped Resolves when the worker stops: no wait then.
   */
  async open(stopped: Promise<void>): Promise<void> {
    let stop = false;
    stopped.then(() => stop = true);
    while (this.#holding > 0 && !stop) await Promise.race([this.#change(), stopped]);
  }

  /**
   * Give a refused job back once no pull of this worker is out, then keep
   * this worker's pulls back for a moment.
   *
   * @param giveBack Gives the job back to the queue.
   * @param pauseMs How long no slot pulls after, in ms.
   * @param stopped Resolves when the worker stops: no pause then.
   */
  async giveBack(giveBack: () => void, pauseMs: number, stopped: Promise<void>): Promise<void> {
    this.#holding++;
    try {
      while (this.#out > 0) await this.#change(); // a stopping worker's pulls end too
      giveBack();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([new Promise((resolve) => timer = setTimeout(resolve, pauseMs)), stopped]);
      clearTimeout(timer);
    } finally {
      this.#holding--;
      this.#changed();
    }
  }

  #change(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #changed(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}
