/**
 * `runCommand` whose line callback throws: the command is stopped and the
 * call rejects with that error, on both spawn routes, instead of hanging
 * (posix_spawn: the reader stopped, the command was never reaped) or
 * carrying on as if nothing happened (Deno.Command). Run as a subprocess,
 * killed if it hangs.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { liveProcesses, uniqueSleep } from "./_processes.ts";

const COMMAND = JSON.stringify(new URL("../src/process/command.ts", import.meta.url).href);

for (const route of ["posix_spawn", "command"]) {
  Deno.test(`runCommand rejects with its onLine's throw and stops the command (${route})`, async () => {
    const seconds = uniqueSleep();
    const dir = await Deno.makeTempDir();
    try {
      const script = `${dir}/line.ts`;
      await Deno.writeTextFile(
        script,
        `import { runCommand } from ${COMMAND};
const t0 = Date.now();
try {
  await runCommand(["sh", "-c", "echo hi; sleep ${seconds}"], {
    onLine: () => { throw new Error("sink bug"); },
  });
  console.log("resolved");
} catch (error) {
  console.log("rejected", String(error));
}
console.error("took", Date.now() - t0);
`,
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script],
        env: route === "command" ? { GATHER_SPAWN: "command" } : {},
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const output = await child.output().finally(() => clearTimeout(timer));
      const stderr = new TextDecoder().decode(output.stderr);
      assertEquals(new TextDecoder().decode(output.stdout), "rejected Error: sink bug\n", stderr);
      assertEquals(Number(/took (\d+)/.exec(stderr)?.[1]) < 5_000, true, stderr);
      assertEquals(await liveProcesses(seconds), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
