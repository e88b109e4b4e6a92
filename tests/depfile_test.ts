/**
 * The make-format dependency file parser (`src/cache/depfile.ts`): what gcc
 * and clang write with `-MMD -MF`, `-MP`, and the escapes make uses.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { DepfileSyntaxError, parseDepfile } from "../src/cache/depfile.ts";

Deno.test("parseDepfile() reads one rule continued over lines", () => {
  const text = "build/a.o: src/a.c src/a.h \\\n src/util.h \\\n /usr/include/stdio.h\n";
  assertEquals(parseDepfile(text), {
    targets: ["build/a.o"],
    deps: ["src/a.c", "src/a.h", "src/util.h", "/usr/include/stdio.h"],
  });
});

Deno.test("parseDepfile() keeps escaped spaces in names, and ends a name at 2N backslashes", () => {
  const text = "out\\ dir/a.o: my\\ src/a\\ b.c x\\\\ y.h\n";
  assertEquals(parseDepfile(text), {
    targets: ["out dir/a.o"],
    deps: ["my src/a b.c", "x\\", "y.h"],
  });
  // 2N+1 backslashes before a space: N backslashes and the space.
  assertEquals(parseDepfile("a.o: x\\\\\\ y.h\n").deps, ["x\\ y.h"]);
});

Deno.test("parseDepfile() reads $$ as $, \\# as #, and keeps other backslashes", () => {
  const text = "a.o: cost$$.h note\\#1.h c:\\src\\win.h\n";
  assertEquals(parseDepfile(text).deps, ["cost$.h", "note#1.h", "c:\\src\\win.h"]);
});

Deno.test("parseDepfile() reads several targets, and the empty rules -MP adds", () => {
  const text = [
    "build/a.o build/a.d: src/a.c src/a.h src/util.h",
    "",
    "src/a.h:",
    "",
    "src/util.h:",
    "",
  ].join("\n");
  assertEquals(parseDepfile(text), {
    targets: ["build/a.o", "build/a.d", "src/a.h", "src/util.h"],
    deps: ["src/a.c", "src/a.h", "src/util.h"],
  });
});

Deno.test("parseDepfile() reads several rules, CRLF line ends, comments and a colon on its own", () => {
  const text = "# made by a tool\r\na.o : a.c \\\r\n  a.h\r\nb.o: b.c a.h\r\n";
  assertEquals(parseDepfile(text), { targets: ["a.o", "b.o"], deps: ["a.c", "a.h", "b.c"] });
});

Deno.test("parseDepfile() reads the colon before a continuation, and a file without a final newline", () => {
  assertEquals(parseDepfile("a.o:\\\n a.c \\\n a.h"), { targets: ["a.o"], deps: ["a.c", "a.h"] });
});

Deno.test("parseDepfile() refuses names outside a rule, a rule without a target, and no rule at all", () => {
  assertThrows(() => parseDepfile("a.o: a.c\nstray.h\n"), DepfileSyntaxError, 'line 2: "stray.h"');
  assertThrows(() => parseDepfile(": a.c\n"), DepfileSyntaxError, "no target");
  assertThrows(() => parseDepfile(""), DepfileSyntaxError, "no rule");
  assertThrows(() => parseDepfile("\n  \n"), DepfileSyntaxError, "no rule");
});
