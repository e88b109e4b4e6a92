/**
 * turbo and wireit, the cache benchmark's npm peers: found in (or installed
 * into) `bench/out/peers` with npm, pinned. Missing ones are skipped.
 *
 * @module
 */

import { join, OUT_DIR } from "../paths.ts";

/** The peers' versions. */
export const PEER_VERSIONS = { turbo: "2.11", wireit: "0.14" } as const;

/** Where the peers are, when they are. */
export interface Peers {
  /** turbo's native binary. */
  turbo?: string;
  /** wireit's entry script, run with node. */
  wireit?: string;
  /** node. */
  node?: string;
}

const DIR = join(OUT_DIR, "peers");

/**
 * Find the peers, installing them with npm when `install` is set and they are missing.
 *
 * @param install Whether to run `npm install` for missing peers.
 * @param log Progress lines.
 * @returns What was found.
 */
export async function findPeers(install: boolean, log: (line: string) => void): Promise<Peers> {
  const turbo = join(DIR, "node_modules", "@turbo", "linux-64", "bin", "turbo");
  const wireit = join(DIR, "node_modules", "wireit", "bin", "wireit.js");
  const found = () => ({ turbo: exists(turbo), wireit: exists(wireit) });
  if (install && (!found().turbo || !found().wireit)) {
    log(`installing turbo@${PEER_VERSIONS.turbo} and wireit@${PEER_VERSIONS.wireit} with npm`);
    Deno.mkdirSync(DIR, { recursive: true });
    await new Deno.Command("npm", {
      args: [
        "install",
        "--prefix",
        DIR,
        "--no-audit",
        "--no-fund",
        `turbo@${PEER_VERSIONS.turbo}`,
        `wireit@${PEER_VERSIONS.wireit}`,
      ],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => undefined);
  }
  const peers: Peers = {};
  const node = which("node");
  if (found().turbo) peers.turbo = turbo;
  if (found().wireit && node) {
    peers.wireit = wireit;
    peers.node = node;
  }
  return peers;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function which(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && exists(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}
