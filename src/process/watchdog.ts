/**
 * A watchdog for `kill -9`: a tiny `sh` started once per run (on its first
 * command), in a session of its own, reading a pipe whose write end only
 * gather holds. gather writes `+pgid` when it starts a command and `-pgid`
 * when the command's group is gone. When gather dies, however it dies, the
 * kernel closes the write end; the watchdog reads EOF, SIGKILLs every group
 * still listed and every process whose environment carries the run's
 * marker (escaped daemons included), and exits.
 *
 * @module
 */

import type { PosixSpawn } from "./posix_spawn.ts";
import { MARKER } from "./escapees.ts";

/**
 * The watchdog's script: `$1` is the run's marker prefix (`GATHER_TREE=<run>.`).
 * Pure `sh` builtins while gather lives; `grep` once at the end.
 */
const SCRIPT = `
live=" "
while IFS= read -r line; do
  case $line in
    +*) live="$live\${line#+} " ;;
    -*) id=\${line#-}; case $live in *" $id "*) live="\${live%% $id *} \${live#* $id }" ;; esac ;;
  esac
done
for id in $live; do kill -s KILL -- "-$id" 2>/dev/null; done
for file in $(grep -lzF -e "$1" /proc/[0-9]*/environ 2>/dev/null); do
  pid=\${file#/proc/}; kill -s KILL "\${pid%/environ}" 2>/dev/null
done
`;

/** What gather tells its watchdog. */
export interface Watchdog {
  /** A group was started. */
  started(pgid: number): void;
  /** A group is gone. */
  gone(pgid: number): void;
  /** The run is over: the watchdog checks once more and exits. */
  close(): void;
}

/**
 * Start the watchdog of a run.
 *
 * @param posix The `posix_spawn` route.
 * @param markerPrefix What every marker of the run starts with.
 * @returns The watchdog, or `undefined` if it could not start (the run goes on without it).
 *
 * @example Usage
 * ```ts
 * import { startWatchdog } from "./watchdog.ts";
 * import { loadPosixSpawn } from "./posix_spawn.ts";
 *
 * const posix = loadPosixSpawn();
 * const watchdog = posix && await startWatchdog(posix, "GATHER_TREE=example.");
 * watchdog?.started(123456);
 * watchdog?.gone(123456);
 * watchdog?.close();
 * ```
 */
export async function startWatchdog(
  posix: PosixSpawn,
  markerPrefix: string,
): Promise<Watchdog | undefined> {
  try {
    const pipe = posix.pipe();
    try {
      await posix.spawn("/bin/sh", ["sh", "-c", SCRIPT, "gather-watchdog", markerPrefix], {
        stdinFd: pipe.readFd,
        // Marked as gather's own, not a stray (not with the run's marker, which it kills).
        marker: `${MARKER}=${Deno.pid}-watchdog`,
      });
    } finally {
      pipe.closeRead();
    }
    return {
      started: (pgid) => void pipe.writeLine(`+${pgid}`),
      gone: (pgid) => void pipe.writeLine(`-${pgid}`),
      close: () => pipe.closeWrite(),
    };
  } catch {
    return undefined;
  }
}
