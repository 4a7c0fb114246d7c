/**
 * From shell commands to tool invocations: which program runs (`codesign`, `go`, `notarytool`...), with which
 * arguments and which environment. Wrappers that only launch another program (`xcrun`, `sudo`, `env`, `exec`,
 * `time`) are looked through, and `export NAME=value` carries into the commands that follow, as a shell would.
 * Shell variables are followed too (values.ts): each invocation can say what its words stand for, from assignments
 * that certainly ran before it; a value set inside `if`/loops/`case`, after `&&`/`||`, by `read` or `for` is unknown.
 */
import { Assignment, assignment, parseShell, Script, SimpleCommand, Word } from './shell';
import { Dialect, expand, origins, Scope, setHere, Value } from './values';
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
  /** What the program receives for one of its words, as far as the file says; null when that cannot be known. */
  value: (word: Word) => Value | null;
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

/** How a file's commands see their variables. */
export interface FlowOptions {
  /** References another layer expands before the shell (make variables, GitHub expressions, templates). */
  dialect?: Dialect;
  /** Each line runs in a shell of its own (make recipes): what one line sets is gone on the next. */
  shellPerLine?: boolean;
  /** Inherited variables whose value cannot be known here (changed behind the file's back, such as by $GITHUB_ENV). */
  unknown?: ReadonlySet<string>;
}

/** Invocations of a script, in order, with `inherited` as the environment the script starts with. */
export function invocations(
  script: Script,
  inherited: Map<string, Word> = new Map(),
  options: FlowOptions = {},
): Invocation[] {
  return fromCommands(parseShell(script), inherited, options);
}

/** Compound commands that run their body only on some paths, or repeatedly: values set inside are not certain. */
const OPENERS = new Set(['if', 'while', 'until', '{']);
const CLOSERS = new Set(['fi', 'done', '}']);
const DECLARATIONS = new Set(['export', 'local', 'declare', 'typeset', 'readonly']);
const ASSIGNMENT_WORD = /^[A-Za-z_][A-Za-z0-9_]*=/;

export function fromCommands(
  commands: SimpleCommand[],
  inherited: Map<string, Word>,
  options: FlowOptions = {},
): Invocation[] {
  const { dialect } = options;
  const initial = new Map<string, Value | null>();
  for (const [name, word] of inherited) {
    const value = options.unknown?.has(name) ? null : expand(word, new Map(), dialect);
    initial.set(name, value && { ...value, origins: origins([setHere(name, word.range), ...value.origins]) });
  }
  // Copy on write: commands share the maps until one of them changes them (assignments are rare, commands many).
  let exported = inherited;
  let vars: Map<string, Value | null> = initial;
  let depth = 0;
  let previous = '';
  const exportVar = (name: string, value: Word) => {
    exported = new Map(exported);
    exported.set(name, value);
  };
  const setVar = (name: string, value: Value | null | undefined) => {
    vars = new Map(vars);
    if (value === undefined) vars.delete(name);
    else vars.set(name, value);
  };
  const out: Invocation[] = [];
  for (const command of commands) {
    // A command after && or ||, in a pipeline, or inside if/while/for/case runs on some paths only.
    const certain = depth === 0 && !['&&', '||', '|'].includes(previous) && command.next !== '|';
    previous = command.next;
    const scope = vars;
    const assign = (a: Assignment) => {
      const value = certain ? expand(a.value, vars, dialect) : null;
      setVar(a.name, value && { ...value, origins: origins([setHere(a.name, a.range), ...value.origins]) });
    };
    let env = exported;
    if (command.env.length > 0) {
      env = new Map(exported);
      for (const a of command.env) env.set(a.name, a.value);
    }
    let words = command.words;
    while (words.length > 0 && KEYWORDS.has(words[0].text) && !words[0].quoted) {
      if (OPENERS.has(words[0].text)) depth++;
      else if (CLOSERS.has(words[0].text)) depth = Math.max(0, depth - 1);
      words = words.slice(1);
    }
    const own = [...command.env];
    while (words.length > 0 && ASSIGNMENT_WORD.test(words[0].text) && !words[0].quoted) {
      own.push(assignment(words[0], words[0].text.indexOf('=')));
      words = words.slice(1);
    }
    const head = words[0]?.quoted ? '' : words[0]?.text;
    if (words.length === 0) {
      // Bare assignments set shell variables; for our purposes (GOOS, CGO_ENABLED...) they act like exports.
      for (const a of own) {
        exportVar(a.name, a.value);
        assign(a);
      }
    } else if (head && DECLARATIONS.has(head)) {
      for (const word of words.slice(1)) {
        const eq = word.text.indexOf('=');
        if (eq <= 0) continue;
        const a = assignment(word, eq);
        if (head === 'export') exportVar(a.name, a.value);
        assign(a);
      }
    } else if (head === 'for' || head === 'select' || head === 'case') {
      if (head !== 'case' && words[1]) setVar(words[1].text, null);
      depth++;
    } else if (head === 'esac') {
      depth = Math.max(0, depth - 1);
    } else if (head === 'read' || head === 'getopts' || head === 'unset') {
      for (const word of words.slice(1))
        if (NAME_ONLY.test(word.text)) setVar(word.text, head === 'unset' ? undefined : null);
    } else if (head === 'source' || head === '.' || head === 'eval') {
      // Another file or a computed command may set anything.
      vars = new Map([...vars.keys()].map((name) => [name, null]));
    } else {
      if (own.length > command.env.length) {
        env = new Map(env);
        for (const a of own) env.set(a.name, a.value);
      }
      const inv = toInvocation(words, env, scope, dialect, command);
      if (inv) out.push(inv);
    }
    if (options.shellPerLine && (command.next === '\n' || command.next === '')) {
      exported = inherited;
      vars = initial;
      depth = 0;
      previous = '';
    }
  }
  return out;
}

const NAME_ONLY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function toInvocation(
  words: Word[],
  env: Map<string, Word>,
  scope: Scope,
  dialect: Dialect | undefined,
  command: SimpleCommand,
): Invocation | undefined {
  let k = 0;
  while (k < words.length && WRAPPERS.has(toolName(words[k].text))) {
    const wrapper = toolName(words[k].text);
    k++;
    const takesValue = WRAPPER_VALUE_OPTIONS[wrapper] ?? new Set<string>();
    while (k < words.length) {
      const t = words[k].text;
      if (wrapper === 'env' && ASSIGNMENT_WORD.test(t)) {
        const a = assignment(words[k], t.indexOf('='));
        env = new Map(env);
        env.set(a.name, a.value);
        k++;
      } else if (t.startsWith('-') && t !== '-') k += takesValue.has(t) ? 2 : 1;
      else break;
    }
  }
  if (k >= words.length) return undefined;
  return {
    tool: toolName(words[k].text),
    name: words[k],
    args: words.slice(k + 1),
    env,
    range: command.range,
    next: command.next,
    value: (word) => expand(word, scope, dialect),
  };
}

/** A literal value: no variable or command substitution in it, so the text is what the program will see. */
export function isLiteral(word: Word): boolean {
  return isLiteralText(word.text);
}

export function isLiteralText(text: string): boolean {
  return !/[$`]/.test(text);
}
