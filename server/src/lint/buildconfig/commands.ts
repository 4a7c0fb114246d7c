/**
 * From shell commands to tool invocations: which program runs (`codesign`, `go`, `notarytool`...), with which
 * arguments and which environment. Wrappers that only launch another program (`xcrun`, `sudo`, `env`, `exec`,
 * `time`) are looked through, and `export NAME=value` carries into the commands that follow, as a shell would.
 */
import { assignment, parseShell, Script, SimpleCommand, Word } from './shell';
import type { Range } from '../diagnostic';

export interface Invocation {
  /** The program's base name: `codesign` for `/usr/bin/codesign`, `notarytool` for `xcrun notarytool`. */
  tool: string;
  /** The word that names the program. */
  name: Word;
  args: Word[];
  /** Environment this command sees, as far as the text says: exports before it, then its own `NAME=value` prefixes. */
  env: Map<string, Word>;
  range: Range;
  /** The operator after the command (`&&`, `;`, newline...). */
  next: string;
}

/** Keywords that start or end compound commands; the command proper follows them. */
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', 'time']);
/** Options of wrappers that take a value, so the value is not mistaken for the program. */
const WRAPPER_VALUE_OPTIONS: Record<string, Set<string>> = {
  xcrun: new Set(['--sdk', '-sdk', '--toolchain', '-toolchain']),
  sudo: new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-U']),
  env: new Set(['-u', '-C', '-S']),
  nice: new Set(['-n']),
  exec: new Set(['-a']),
};
const WRAPPERS = new Set(['xcrun', 'sudo', 'env', 'exec', 'command', 'nohup', 'nice', 'builtin']);
/** How Makefiles commonly name the go command. */
const GO_VARIABLE = /^\$[({](GO|GOCMD|GO_CMD|GOBIN|GO_BIN|GOEXE)[)}]$/;

export function toolName(word: string): string {
  if (GO_VARIABLE.test(word)) return 'go';
  const base = word.slice(word.lastIndexOf('/') + 1);
  return base;
}

/** Invocations of a script, in order, with `inherited` as the environment the script starts with. */
export function invocations(script: Script, inherited: Map<string, Word> = new Map()): Invocation[] {
  return fromCommands(parseShell(script), inherited);
}

export function fromCommands(commands: SimpleCommand[], inherited: Map<string, Word>): Invocation[] {
  // Copy on write: commands share the exported map until one of them changes it (exports are rare, commands many).
  let exported = inherited;
  const exportVar = (name: string, value: Word) => {
    exported = new Map(exported);
    exported.set(name, value);
  };
  const out: Invocation[] = [];
  for (const command of commands) {
    let env = exported;
    if (command.env.length > 0) {
      env = new Map(exported);
      for (const a of command.env) env.set(a.name, a.value);
    }
    let words = command.words;
    while (words.length > 0 && KEYWORDS.has(words[0].text) && !words[0].quoted) words = words.slice(1);
    if (words.length === 0) {
      // Bare assignments set shell variables; for our purposes (GOOS, CGO_ENABLED...) they act like exports.
      for (const a of command.env) exportVar(a.name, a.value);
      continue;
    }
    if (words[0].text === 'export' && !words[0].quoted) {
      for (const word of words.slice(1)) {
        const eq = word.text.indexOf('=');
        if (eq > 0) {
          const a = assignment(word, eq);
          exportVar(a.name, a.value);
        }
      }
      continue;
    }
    let k = 0;
    while (k < words.length && WRAPPERS.has(toolName(words[k].text))) {
      const wrapper = toolName(words[k].text);
      k++;
      const takesValue = WRAPPER_VALUE_OPTIONS[wrapper] ?? new Set<string>();
      while (k < words.length) {
        const t = words[k].text;
        if (wrapper === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) {
          const a = assignment(words[k], t.indexOf('='));
          if (env === exported) env = new Map(exported);
          env.set(a.name, a.value);
          k++;
        } else if (t.startsWith('-') && t !== '-') k += takesValue.has(t) ? 2 : 1;
        else break;
      }
    }
    if (k >= words.length) continue;
    out.push({ tool: toolName(words[k].text), name: words[k], args: words.slice(k + 1), env, range: command.range, next: command.next });
  }
  return out;
}

/** A literal value: no variable or command substitution in it, so the text is what the program will see. */
export function isLiteral(word: Word): boolean {
  return isLiteralText(word.text);
}

export function isLiteralText(text: string): boolean {
  return !/[$`]/.test(text);
}
