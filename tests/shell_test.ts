import { assertEquals, assertThrows } from "@std/assert";
import { quote, shellCommand } from "../src/process/shell.ts";

function sh(strings: TemplateStringsArray, ...values: Parameters<typeof shellCommand>[1]) {
  return shellCommand(strings, values).argv;
}

Deno.test("shellCommand() passes interpolations as whole arguments", () => {
  const file = "a file; rm -rf /";
  assertEquals(sh`deno fmt --check ${file}`, ["deno", "fmt", "--check", file]);
  assertEquals(sh`cp ${["a b", "c"]} out/`, ["cp", "a b", "c", "out/"]);
  assertEquals(sh`echo --out=${"x y"}`, ["echo", "--out=x y"]);
  assertEquals(sh`echo ${""}`, ["echo", ""]);
});

Deno.test("shellCommand() uses sh -c for shell syntax, quoting interpolations", () => {
  assertEquals(sh`cat ${"it's.txt"} | wc -l`, ["sh", "-c", `cat 'it'\\''s.txt' | wc -l`]);
  assertEquals(sh`echo ${["a", "b c"]} > out`, ["sh", "-c", `echo 'a' 'b c' > out`]);
});

Deno.test("shellCommand() runs a command that starts with a shell builtin through sh, and runs it", async () => {
  assertEquals(sh`exec sleep 0`, ["sh", "-c", "exec sleep 0"]);
  assertEquals(sh`cd ${"a b"}`, ["sh", "-c", "cd 'a b'"]);
  assertEquals(sh`export X=1`, ["sh", "-c", "export X=1"]);
  // Programs whose names only start like a builtin stay direct.
  assertEquals(sh`execute now`, ["execute", "now"]);
  assertEquals(sh`testing`, ["testing"]);
  const [program, ...args] = sh`exec true`;
  assertEquals((await new Deno.Command(program!, { args }).output()).code, 0);
});

Deno.test("shellCommand() rejects an empty command", () => {
  assertThrows(() => sh`  `, TypeError, "empty command");
});

Deno.test("quote() survives a round trip through sh", async () => {
  const nasty = `it's "quoted" $HOME \`x\` \\ ;|&`;
  const output = await new Deno.Command("sh", { args: ["-c", `printf %s ${quote(nasty)}`] })
    .output();
  assertEquals(new TextDecoder().decode(output.stdout), nasty);
});

Deno.test("shellCommand() runs leading variable assignments through sh", () => {
  assertEquals(sh`LANG=C sort ${"f"}`, ["sh", "-c", "LANG=C sort 'f'"]);
});

Deno.test("shellCommand() hands the shell the template's backslashes as they were typed", () => {
  assertEquals(sh`echo a-b | sed -E 's/(a)-(b)/\2-\1/'`, [
    "sh",
    "-c",
    String.raw`echo a-b | sed -E 's/(a)-(b)/\2-\1/'`,
  ]);
  assertEquals(sh`printf '\033[1m%s\n' ${"x"}`, ["sh", "-c", String.raw`printf '\033[1m%s\n' 'x'`]);
  assertEquals(sh`echo a\ b`, ["sh", "-c", String.raw`echo a\ b`]);
});
