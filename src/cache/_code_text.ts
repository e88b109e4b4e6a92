/**
 * Code as it counts for a key: without its comments, each run of whitespace
 * one space (or one line break, which can end a statement). An edit to a
 * comment, or a reformatting, then keeps the key. Only what is certain is
 * dropped: strings and template literals are kept as written, and code with
 * a `/` that is not a comment (a division or a regular expression, which
 * cannot be told apart without parsing) is kept whole, comments and all.
 *
 * @module
 */

/**
 * The text a key hashes for some code: its tokens without comments when they
 * can be told for certain, else the code as it is (marked apart, so the two
 * never meet).
 *
 * @param code JavaScript or TypeScript source.
 * @returns What to hash.
 *
 * @example Usage
 * ```ts
 * import { comparableCode } from "./_code_text.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const before = comparableCode('const a = "x"; // one\nrun(a);\n');
 * assertEquals(comparableCode('/** Docs. *\/\nconst a = "x";\n\n  run(a); // two\n'), before);
 * assertNotEquals(comparableCode('const a = "x // y";\nrun(a);\n'), before);
 * ```
 */
export function comparableCode(code: string): string {
  const tokens = withoutComments(code);
  return tokens === undefined ? `raw\u0000${code}` : `tokens\u0000${tokens}`;
}

/** Whitespace between tokens. */
const SPACE = new Set([" ", "\t", "\r", "\n", "\f", "\v"]);
/** The characters that end a run of plain code. */
const SPECIAL = new Set([...SPACE, "/", '"', "'", "`", "{", "}"]);

/** Where the scan is: code (with the `{` depth inside a template's `${`), or a template's text. */
interface Frame {
  template: boolean;
  depth: number;
}

/**
 * The code without comments, whitespace collapsed; `undefined` when it holds
 * a `/` outside comments, strings and templates, or an unterminated comment,
 * string or template.
 */
function withoutComments(code: string): string | undefined {
  const out: string[] = [];
  const stack: Frame[] = [{ template: false, depth: 0 }];
  let space = ""; // the whitespace (and comments) since the last token: "", " " or "\n"
  let i = code.startsWith("#!") ? code.indexOf("\n") : 0; // a hashbang line is a comment
  if (i < 0) return "";
  const gap = (breaks: boolean) => {
    if (breaks) space = "\n";
    else if (space === "") space = " ";
  };
  const emit = (text: string) => {
    if (space !== "" && out.length > 0) out.push(space);
    space = "";
    out.push(text);
  };
  while (i < code.length) {
    const frame = stack[stack.length - 1]!;
    const c = code[i]!;
    if (frame.template) {
      const end = templateText(code, i);
      if (end === undefined) return undefined;
      emit(code.slice(i, end.at));
      i = end.at;
      if (end.closes) stack.pop();
      else stack.push({ template: false, depth: 0 });
      continue;
    }
    if (SPACE.has(c)) {
      gap(c === "\n" || c === "\r");
      i++;
    } else if (c === "/") {
      const next = code[i + 1];
      if (next === "/") {
        const end = code.indexOf("\n", i);
        if (end < 0) break;
        gap(true);
        i = end + 1;
      } else if (next === "*") {
        const end = code.indexOf("*/", i + 2);
        if (end < 0) return undefined;
        gap(code.slice(i, end).includes("\n"));
        i = end + 2;
      } else {
        return undefined; // a division or a regular expression: not told apart here
      }
    } else if (c === '"' || c === "'") {
      const end = stringEnd(code, i, c);
      if (end === undefined) return undefined;
      emit(code.slice(i, end));
      i = end;
    } else if (c === "`") {
      emit("`");
      stack.push({ template: true, depth: 0 });
      i++;
    } else if (c === "}" && stack.length > 1 && frame.depth === 0) {
      emit("}"); // the end of a template's `${`: its text goes on
      stack.pop();
      i++;
    } else if (c === "{" || c === "}") {
      frame.depth += c === "{" ? 1 : -1;
      emit(c);
      i++;
    } else {
      let end = i + 1;
      while (end < code.length && !SPECIAL.has(code[end]!)) end++;
      emit(code.slice(i, end));
      i = end;
    }
  }
  if (stack.length > 1) return undefined;
  return out.join("");
}

/** The end of a string literal that starts at `start` (after its closing quote), or `undefined`. */
function stringEnd(code: string, start: number, quote: string): number | undefined {
  for (let i = start + 1; i < code.length; i++) {
    const c = code[i];
    if (c === "\\") i++;
    else if (c === quote) return i + 1;
    else if (c === "\n") return undefined;
  }
  return undefined;
}

/**
 * A template's text from `start`: up to and with its closing backtick
 * (`closes`), or up to and with the `${` of an expression.
 */
function templateText(code: string, start: number): { at: number; closes: boolean } | undefined {
  for (let i = start; i < code.length; i++) {
    const c = code[i];
    if (c === "\\") i++;
    else if (c === "`") return { at: i + 1, closes: true };
    else if (c === "$" && code[i + 1] === "{") return { at: i + 2, closes: false };
  }
  return undefined;
}
