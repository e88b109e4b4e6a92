/**
 * Look at the process table, for tests that prove nothing is left running.
 *
 * @module
 */

/**
 * Live (not zombie) processes whose command line contains `marker`.
 *
 * @param marker A string unique to the test's commands.
 * @returns Their command lines.
 */
export async function liveProcesses(marker: string): Promise<string[]> {
  const output = await new Deno.Command("ps", { args: ["-eo", "stat=,args="] }).output();
  return new TextDecoder().decode(output.stdout).split("\n")
    .filter((line) =>
      line.includes(marker) && !line.trim().startsWith("Z") && !line.includes("ps -eo")
    );
}

/**
 * A `sleep` duration unique to one test, so its processes can be found.
 *
 * @returns Seconds as a string, like `"912.347"`.
 */
export function uniqueSleep(): string {
  return `${900 + Math.floor(Math.random() * 99)}.${
    String(Math.floor(Math.random() * 999)).padStart(3, "0")
  }`;
}
