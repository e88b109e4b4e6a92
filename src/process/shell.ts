/**
 * Turn a `sh` tagged template into an argv. Interpolated values are always
 * passed as whole arguments: quoted for the shell, never re-split.
 *
 * @module
 */

import type { ShellValue } from "../types.ts";

/** A command ready to spawn. */
export interface ShellCommand {
  /** Program and arguments. */
  argv: string[];
  /** The command as a person would type it. */
  display: string;
}

const SHELL_SYNTAX = /[|&;<>()$`\\"'*?[\]#~\n]/;
const ASSIGNMENT = /^\s*[A-Za-z_][A-Za-z0-9_]*=/;
/**
 * A first word that is a shell builtin or keyword, not a program (`exec sleep 60`, `cd dir`,
 * `export X`): the command runs under the shell, as make's list of them has it.
 */
const BUILTIN =
  /^\s*(\.|:|alias|bg|break|case|cd|command|continue|eval|exec|exit|export|fc|fg|for|getopts|hash|if|jobs|read|readonly|return|set|shift|source|test|times|trap|type|ulimit|umask|unalias|unset|wait|while|until)(\s|$)/;

/**
 * Build the command for a `sh` template. When the literal text uses no shell
 * syntax and does not start with a shell builtin (`exec`, `cd`, `export`…),
 * the command is exec'd directly (as make does); otherwise it runs under
 * `sh -c` with every interpolation single-quoted.
 *
 * The literal text is taken as written: a template's raw strings (what
 * `String.raw` gives), so a backslash reaches the shell as it was typed, as
 * in a shell script or a Makefile. `` ctx.sh`sed 's/(a)/\1/'` `` gives sed
 * `\1`, `` ctx.sh`printf '\033[1m'` `` gives printf `\033`, and `\n` is a
 * backslash and an `n` for the shell (or printf) to read, not a newline made
 * by JavaScript. Escapes that JavaScript would reject in a template
 * (`\1`, `\033`) therefore work.
 *
 * @param strings The literal parts of the template (its `raw` strings are used when it has them).
 * @param values The interpolated values.
 * @returns The argv and a display form.
 * @throws {TypeError} If the template holds no command.
 *
 * @example Usage
 * ```ts
 * import { shellCommand } from "./shell.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const file = "my notes.txt";
 * assertEquals(shellCommand(["wc -l ", ""], [file]).argv, ["wc", "-l", "my notes.txt"]);
 * assertEquals(shellCommand(["cat ", " | wc -l"], [file]).argv, ["sh", "-c", "cat 'my notes.txt' | wc -l"]);
 * assertEquals(shellCommand(["exec sleep 1"], []).argv, ["sh", "-c", "exec sleep 1"]);
 * ```
 */
export function shellCommand(
  template: ReadonlyArray<string> | TemplateStringsArray,
  values: ReadonlyArray<ShellValue>,
): ShellCommand {
  const strings = "raw" in template ? template.raw : template;
  const command = ASSIGNMENT.test(strings[0] ?? "") || BUILTIN.test(strings[0] ?? "") ||
      strings.some((part) => SHELL_SYNTAX.test(part))
    ? viaShell(strings, values)
    : direct(strings, values);
  if (command.argv.length === 0 || command.argv[0] === "") {
    throw new TypeError("Cannot run an empty command: ctx.sh`...` needs a program name");
  }
  return command;
}

function direct(strings: ReadonlyArray<string>, values: ReadonlyArray<ShellValue>): ShellCommand {
  const argv: string[] = [];
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) argv.push(word);
    word = undefined;
  };
  strings.forEach((literal, i) => {
    for (const [j, piece] of literal.split(/\s+/).entries()) {
      if (j > 0) flush();
      if (piece !== "") word = (word ?? "") + piece;
    }
    if (i >= values.length) return;
    const value = values[i]!;
    if (Array.isArray(value)) {
      value.forEach((item, k) => {
        if (k > 0) flush();
        word = (word ?? "") + String(item);
      });
    } else {
      word = (word ?? "") + String(value);
    }
  });
  flush();
  return { argv, display: argv.map(quoteForDisplay).join(" ") };
}

function viaShell(strings: ReadonlyArray<string>, values: ReadonlyArray<ShellValue>): ShellCommand {
  let script = strings[0] ?? "";
  values.forEach((value, i) => {
    const items = Array.isArray(value) ? value : [value];
    script += items.map((item) => quote(String(item))).join(" ") + (strings[i + 1] ?? "");
  });
  script = script.trim();
  return { argv: script === "" ? [] : ["sh", "-c", script], display: script };
}

/**
 * Quote a string for a POSIX shell.
 *
 * @param text Any string.
 * @returns It, single-quoted so the shell reads it as one literal word.
 *
 * @example Usage
 * ```ts
 * import { quote } from "./shell.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(quote("it's"), `'it'\\''s'`);
 * ```
 */
export function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function quoteForDisplay(word: string): string {
  return word === "" || /[\s'"\\$`]/.test(word) ? quote(word) : word;
}
