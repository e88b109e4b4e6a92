/**
 * Make-format dependency files, as `cc -MMD -MF x.d` (gcc, clang) writes
 * them and ninja's `deps = gcc` reads them:
 *
 * ```
 * build/a.o: src/a.c src/a.h \
 *   include/my\ util.h
 * src/a.h:
 * include/my\ util.h:
 * ```
 *
 * A rule is `targets: prerequisites`; a backslash before a newline continues
 * the rule on the next line; `\ ` is a space in a name (and `\#` a `#`),
 * `$$` a `$`; 2N backslashes before a space are N backslashes and the end of
 * the name, as gcc escapes them. Other backslashes are kept (`c:\src\a.h`),
 * and a colon ends the targets only when whitespace or the line's end
 * follows it (`c:\src` is a name). Several rules, several targets, and the
 * empty rules `-MP` adds for each header are read; a line that starts with
 * `#` is a comment.
 *
 * @module
 */

/** What a dependency file says. */
export interface Depfile {
  /** The targets of its rules, in order, each once. */
  targets: string[];
  /** The prerequisites of its rules (what the job read), in order, each once. */
  deps: string[];
}

/** A dependency file that cannot be read as one. */
export class DepfileSyntaxError extends Error {
  /**
   * Construct it.
   *
   * @param message What is wrong, and where.
   */
  constructor(message: string) {
    super(message);
    this.name = "DepfileSyntaxError";
  }
}

/**
 * Read a make-format dependency file.
 *
 * @param text The file's text.
 * @returns Its targets and prerequisites.
 * @throws {DepfileSyntaxError} When a line names files but no target (no `target:`), or the
 * file has no rule at all (a truncated or foreign file).
 *
 * @example Usage
 * ```ts
 * import { parseDepfile } from "./depfile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const text = "build/a.o: src/a.c src/my\\ util.h \\\n  /usr/include/stdio.h\nsrc/my\\ util.h:\n";
 * assertEquals(parseDepfile(text), {
 *   targets: ["build/a.o", "src/my util.h"],
 *   deps: ["src/a.c", "src/my util.h", "/usr/include/stdio.h"],
 * });
 * ```
 */
export function parseDepfile(text: string): Depfile {
  const targets = new Set<string>();
  const deps = new Set<string>();
  let rules = 0;
  let line = 1;
  /** The current rule's names: before its colon (targets), then after (prerequisites). */
  let before: string[] = [];
  let colon = false;
  let token: string | undefined;
  const endToken = () => {
    if (token === undefined) return;
    if (colon) deps.add(token);
    else before.push(token);
    token = undefined;
  };
  const endRule = () => {
    endToken();
    if (!colon && before.length > 0) {
      throw new DepfileSyntaxError(
        `line ${line}: "${before[0]}" is not in a rule (expected "target: prerequisites")`,
      );
    }
    if (colon) rules++;
    before = [];
    colon = false;
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (c === "\n" || (c === "\r" && text[i + 1] === "\n")) {
      if (c === "\r") i++;
      endRule();
      line++;
      continue;
    }
    if (c === "#" && token === undefined && before.length === 0 && !colon) {
      // A comment: to the end of the line.
      while (i + 1 < n && text[i + 1] !== "\n") i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      endToken();
      continue;
    }
    if (c === "\\") {
      let run = 1;
      while (text[i + run] === "\\") run++;
      const next = text[i + run];
      if (next === "\n" || (next === "\r" && text[i + run + 1] === "\n")) {
        // A continuation: the last backslash and the newline are a space; the others stay.
        if (run > 1) token = (token ?? "") + "\\".repeat(run - 1);
        endToken();
        i += run + (next === "\r" ? 1 : 0);
        line++;
        continue;
      }
      if (next === " " || next === "\t" || next === "#") {
        // 2N+1 backslashes: N and the character itself; 2N: N, and (before a space) the name ends.
        const kept = "\\".repeat(Math.floor(run / 2));
        if (run % 2 === 1) {
          token = (token ?? "") + kept + next;
          i += run;
          continue;
        }
        token = (token ?? "") + kept;
        i += run - 1;
        if (next === "#") {
          token += "#";
          i++;
        }
        continue;
      }
      token = (token ?? "") + "\\".repeat(run);
      i += run - 1;
      continue;
    }
    if (c === "$" && text[i + 1] === "$") {
      token = (token ?? "") + "$";
      i++;
      continue;
    }
    if (c === ":" && !colon) {
      const next = text[i + 1];
      if (
        next === undefined || next === " " || next === "\t" || next === "\n" ||
        (next === "\r" && text[i + 2] === "\n") || (next === "\\" && endsLine(text, i + 1))
      ) {
        endToken();
        if (before.length === 0) {
          throw new DepfileSyntaxError(`line ${line}: a rule with no target (":" first)`);
        }
        for (const target of before) targets.add(target);
        before = [];
        colon = true;
        continue;
      }
    }
    token = (token ?? "") + c;
  }
  endRule();
  if (rules === 0) {
    throw new DepfileSyntaxError('it has no rule (expected "target: prerequisites")');
  }
  return { targets: [...targets], deps: [...deps] };
}

/** Whether the backslashes at `at` end the line (an odd run before a newline: a continuation). */
function endsLine(text: string, at: number): boolean {
  let run = 0;
  while (text[at + run] === "\\") run++;
  const next = text[at + run];
  return next === "\n" || (next === "\r" && text[at + run + 1] === "\n");
}
