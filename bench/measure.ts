/**
 * Run one command and measure it: wall time, CPU time (user + system of the
 * command and every child it waited for), peak resident memory, and when a
 * marker first appeared on its stdout.
 *
 * CPU and memory come from GNU time (`/usr/bin/time`, Debian package `time`)
 * when it is installed; without it, CPU comes from this process's `cutime` and
 * `cstime` in `/proc/self/stat` and memory is unknown.
 *
 * @module
 */

/** What to run. */
export interface Command {
  /** Program and arguments. */
  argv: string[];
  /** Working directory. */
  cwd: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Run it on a pseudo-terminal (through `script`), so it sees a terminal. */
  pty?: boolean;
}

/** Options of {@linkcode measure}. */
export interface MeasureOptions {
  /** Record when this text first appears on stdout. */
  marker?: string;
  /** Keep stdout (otherwise only its size is kept). @default {true} */
  keepStdout?: boolean;
}

/** One measured run. */
export interface Measurement {
  /** Exit code of the command. */
  code: number;
  /** From spawn to exit, in ms. */
  wallMs: number;
  /** User + system CPU time in ms, if known. */
  cpuMs?: number;
  /** Peak resident set of the largest process, in KiB, if known. */
  peakRssKb?: number;
  /** From spawn to the first appearance of the marker on stdout, in ms. */
  markerMs?: number;
  /** The command's stdout (empty if not kept). */
  stdout: string;
  /** Bytes written to stdout. */
  stdoutBytes: number;
  /** The last 2,000 characters of its stderr. */
  stderrTail: string;
  /** Bytes written to stderr. */
  stderrBytes: number;
}

const TIME = "/usr/bin/time";
let gnuTime: boolean | undefined;

/**
 * Whether GNU time is installed (for CPU and peak memory).
 *
 * @returns `true` if `/usr/bin/time` runs.
 *
 * @example Usage
 * ```ts
 * import { hasGnuTime } from "./measure.ts";
 *
 * const precise = await hasGnuTime();
 * ```
 */
export async function hasGnuTime(): Promise<boolean> {
  if (gnuTime === undefined) {
    try {
      const out = await new Deno.Command(TIME, {
        args: ["-f", "%M", "true"],
        stdout: "null",
        stderr: "piped",
      }).output();
      gnuTime = out.success && /^\d+\s*$/.test(new TextDecoder().decode(out.stderr));
    } catch {
      gnuTime = false;
    }
  }
  return gnuTime;
}

/**
 * Run a command to the end and measure it.
 *
 * @param command What to run.
 * @param options Marker to watch for, whether to keep stdout.
 * @returns The measurement.
 *
 * @example Usage
 * ```ts
 * import { measure } from "./measure.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const run = await measure({ argv: ["echo", "ready"], cwd: "." }, { marker: "ready" });
 * assertEquals(run.code, 0);
 * ```
 */
export async function measure(
  command: Command,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const timed = await hasGnuTime();
  const timeFile = timed ? await Deno.makeTempFile({ prefix: "gather-bench-time-" }) : "";
  let argv = command.pty ? onPty(command.argv) : command.argv;
  if (timed) argv = [TIME, "-f", "%e %U %S %M", "-o", timeFile, ...argv];
  const before = timed ? 0 : childrenCpuMs();
  const start = performance.now();
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: command.cwd,
    env: { NO_COLOR: "1", ...command.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [out, err, status] = await Promise.all([
    readStdout(child.stdout, start, options),
    readAll(child.stderr),
    child.status,
  ]);
  const wallMs = performance.now() - start;
  const result: Measurement = {
    code: status.code,
    wallMs,
    stdout: out.text,
    stdoutBytes: out.bytes,
    stderrTail: new TextDecoder().decode(err.slice(-2000)),
    stderrBytes: err.length,
  };
  if (out.markerMs !== undefined) result.markerMs = out.markerMs;
  if (timed) {
    const fields = (await Deno.readTextFile(timeFile)).trim().split("\n").at(-1)!.split(" ");
    await Deno.remove(timeFile);
    result.cpuMs = (Number(fields[1]) + Number(fields[2])) * 1000;
    result.peakRssKb = Number(fields[3]);
  } else {
    result.cpuMs = childrenCpuMs() - before;
  }
  return result;
}

/** Run a command on a 120x40 pseudo-terminal with util-linux `script`. */
function onPty(argv: string[]): string[] {
  const line = argv.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
  return ["script", "-qefc", `stty cols 120 rows 40; exec ${line}`, "/dev/null"];
}

async function readStdout(
  stream: ReadableStream<Uint8Array>,
  start: number,
  options: MeasureOptions,
): Promise<{ text: string; bytes: number; markerMs?: number }> {
  const keep = options.keepStdout ?? true;
  const chunks: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let bytes = 0;
  let markerMs: number | undefined;
  let tail = "";
  for await (const chunk of stream) {
    if (options.marker !== undefined && markerMs === undefined) {
      const text = tail + decoder.decode(chunk, { stream: true });
      if (text.includes(options.marker)) markerMs = performance.now() - start;
      tail = text.slice(-options.marker.length);
    }
    bytes += chunk.length;
    if (keep) chunks.push(chunk);
  }
  const text = keep ? new TextDecoder().decode(concat(chunks, bytes)) : "";
  return markerMs === undefined ? { text, bytes } : { text, bytes, markerMs };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
  }
  return concat(chunks, size);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

/** CPU time of this process's waited-for children, from `/proc/self/stat` (100 ticks/s). */
function childrenCpuMs(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the command: state(0) ... cutime(13) cstime(14).
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}
