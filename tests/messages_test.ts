import { assertEquals, assertMatch } from "@std/assert";
import { gather, parseEvents, ROOT } from "./_cli.ts";

/** Write files into a fresh folder, run `fn` there, and remove it. */
async function inFolder(files: Record<string, string>, fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("an empty default export is said to be empty, not to be something other than an array", async () => {
  await inFolder({ "tasks.ts": "export default [];\n" }, async (dir) => {
    const result = await gather(["-f", "tasks.ts"], { cwd: dir });
    assertEquals(result.code, 2);
    assertMatch(
      result.stderr,
      /^gather: Cannot load task file "tasks\.ts": its default export is an empty array: put the jobs to run by default in it, or remove it\n$/,
    );
  });
});

Deno.test("run() names two jobs of one name by their places in the array, not as exports", async () => {
  const script = `import { job, run } from "${ROOT}mod.ts";
try {
  await run([job({ name: "same" }, () => 1), job({ name: "same" }, () => 2)]);
} catch (error) {
  console.log(error.message);
}
try {
  await run({ a: job({ name: "same" }, () => 1), b: job({ name: "same" }, () => 2) });
} catch (error) {
  console.log(error.message);
}
`;
  await inFolder({ "script.ts": script }, async (dir) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "script.ts"],
      cwd: dir,
      stdin: "null",
    }).output();
    assertEquals(new TextDecoder().decode(output.stdout).split("\n"), [
      'Cannot load run(): two jobs are named "same" (item 0 of the array and item 1 of the array); give one another name',
      'Cannot load run(): two jobs are named "same" (key "a" of the record and key "b" of the record); give one another name',
      "",
    ]);
  });
});

Deno.test("a job that throws or rejects with undefined or null is told to throw an Error", async () => {
  const tasks = `import { job } from "${ROOT}mod.ts";
export const rejects = job(() => Promise.reject(undefined));
export const throws = job(() => { throw null; });
`;
  await inFolder({ "tasks.ts": tasks }, async (dir) => {
    const result = await gather(["-f", "tasks.ts", "-k", "--reporter", "json"], { cwd: dir });
    assertEquals(result.code, 1, result.stderr);
    const messages = Object.fromEntries(
      parseEvents(result.stdout).flatMap((e) =>
        e.type === "job:end" ? [[e.job, e.error?.message]] : []
      ),
    );
    assertEquals(messages, {
      rejects: "the job threw undefined, not an Error (throw an Error to say why)",
      throws: "the job threw null, not an Error (throw an Error to say why)",
    });
  });
});
