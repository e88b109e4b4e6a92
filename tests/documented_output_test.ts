import { assertEquals, assertMatch } from "@std/assert";
import { gather, ROOT } from "./_cli.ts";

/** Run a task file in a fresh folder; `fn` looks at the folder and the result. */
async function inProject(
  tasks: string,
  args: string[],
  fn: (dir: string, result: Awaited<ReturnType<typeof gather>>) => void,
) {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/tasks.ts`, `import { job } from "${ROOT}mod.ts";\n${tasks}`);
    fn(dir, await gather(["-f", "tasks.ts", ...args], { cwd: dir }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("log file names are as the README says: a run of other characters is one _, non-ASCII letters too, a clash gets -2", async () => {
  const tasks = ["a b/c", "a  b//c", "é", "..hidden", "a_b"].map((name, i) =>
    `export const j${i} = job({ name: ${JSON.stringify(name)} }, () => console.log("hi"));`
  ).join("\n");
  await inProject(tasks, ["-j", "1", "--reporter", "plain"], (dir, result) => {
    assertEquals(result.code, 0, result.stderr);
    const [run] = Array.from(Deno.readDirSync(`${dir}/.gather/logs`), (entry) => entry.name);
    const names = Array.from(Deno.readDirSync(`${dir}/.gather/logs/${run}`), (e) => e.name)
      .filter((name) => name.endsWith(".log")).toSorted();
    assertEquals(names, ["_.log", "_hidden.log", "a_b.log", "a_b_c-2.log", "a_b_c.log"]);
  });
});

Deno.test("the plain reporter prints a cache hit as the README says: `name │ ✔ ok 7ms (cached)`", async () => {
  const tasks = `export const copy = job({ inputs: ["in.txt"] }, () => 1);\n`;
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/in.txt`, "x");
    await Deno.writeTextFile(`${dir}/tasks.ts`, `import { job } from "${ROOT}mod.ts";\n${tasks}`);
    const args = ["-f", "tasks.ts", "--reporter", "plain"];
    assertEquals((await gather(args, { cwd: dir })).code, 0);
    const second = await gather(args, { cwd: dir });
    assertMatch(second.stderr, /^copy │ ✔ ok [\d.]+m?s \(cached\)$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
