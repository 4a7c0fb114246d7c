/**
 * Which files are build configuration, and how each kind becomes commands and Go builds for the build rules:
 * Makefiles (`Makefile`, `*.mk`), justfiles, shell scripts (`*.sh`, `*.bash`, a shell shebang), GoReleaser
 * (`.goreleaser.yml`/`.yaml`), GitHub workflows, Taskfiles, and VS Code's `tasks.json` / `settings.json`.
 */
import { createScanner, findNodeAtLocation, Node as JsonNode, parseTree } from 'jsonc-parser';
import type { LintDiagnostic } from '../diagnostic';
import { BuildContext, lintInvocations } from './analyze';
import { FlowOptions, fromCommands, Invocation, invocations } from './commands';
import { makeDialect } from './makeVars';
import { Dialect, expand, githubExpressions, setHere, templates, Value } from './values';
import { fromCommand, GoBuild, lintGoBuild } from './goBuild';
import { makefileParts, releaseRecipes } from './makefile';
import { submits } from './signing';
import { parseShell, Script, SimpleCommand, wholeText, Word } from './shell';
import { lintGoreleaser } from './goreleaser';
import { envMap, get, items, entries, parseYaml, scalarScript } from './yamlSource';

export type BuildFileKind =
  'makefile' | 'justfile' | 'shell' | 'goreleaser' | 'workflow' | 'taskfile' | 'vscode-tasks' | 'vscode-settings';

const KINDS = new Set<string>([
  'makefile',
  'justfile',
  'shell',
  'goreleaser',
  'workflow',
  'taskfile',
  'vscode-tasks',
  'vscode-settings',
]);

export function isBuildFileKind(kind: string): kind is BuildFileKind {
  return KINDS.has(kind);
}

/** The kind of build file a path names; `firstLine` lets a script without extension be recognised by its shebang. */
export function buildFileKind(file: string, firstLine?: string): BuildFileKind | undefined {
  const normalized = file.replace(/\\/g, '/');
  const base = normalized.slice(normalized.lastIndexOf('/') + 1);
  if (/^(GNUmakefile|makefile|Makefile)$/.test(base) || base.endsWith('.mk')) return 'makefile';
  if (/^(justfile|Justfile|\.justfile)$/.test(base)) return 'justfile';
  if (/^\.goreleaser\.ya?ml$/.test(base)) return 'goreleaser';
  if (/\/\.github\/workflows\/[^/]+\.ya?ml$/.test(normalized) || /^\.github\/workflows\/[^/]+\.ya?ml$/.test(normalized))
    return 'workflow';
  if (/^Taskfile(\.dist)?\.ya?ml$/i.test(base)) return 'taskfile';
  if (/(^|\/)\.vscode\/tasks\.json$/.test(normalized)) return 'vscode-tasks';
  if (/(^|\/)\.vscode\/settings\.json$/.test(normalized)) return 'vscode-settings';
  if (/\.(sh|bash|zsh)$/.test(base)) return 'shell';
  if (firstLine !== undefined && /^#!\s*\S*\b(sh|bash|zsh|dash|ksh)\b/.test(firstLine)) return 'shell';
  return undefined;
}

/** What the rules need from one build file: its commands in order, and Go builds written as settings rather than commands. */
interface Extracted {
  invocations: Invocation[];
  builds: GoBuild[];
  /** Diagnostics that only make sense for this kind (GoReleaser's notarize section). */
  extra: LintDiagnostic[];
  release?: boolean;
  releaseAt?: BuildContext['releaseAt'];
}

export function lintBuildFile(kind: BuildFileKind, text: string, ctx: Omit<BuildContext, 'text'>): LintDiagnostic[] {
  const found = extract(kind, text, ctx);
  // GoReleaser exists to publish releases, so every signature it makes is a release signature.
  const context: BuildContext = {
    ...ctx,
    text,
    release: ctx.release || found.release || kind === 'goreleaser',
    releaseAt: found.releaseAt,
    ci: kind === 'workflow',
  };
  return [
    ...lintInvocations(found.invocations, context),
    ...found.builds.flatMap((b) => lintGoBuild(b, text, ctx.lookupVariable)),
    ...found.extra,
  ].sort((a, b) => a.range.start - b.range.start);
}

/** The commands and Go builds of a build file, for hovers. */
export function buildFileParts(kind: BuildFileKind, text: string): { invocations: Invocation[]; builds: GoBuild[] } {
  const found = extract(kind, text, {});
  return { invocations: found.invocations, builds: found.builds };
}

function extract(kind: BuildFileKind, text: string, ctx: Omit<BuildContext, 'text'>): Extracted {
  switch (kind) {
    case 'shell':
      return { invocations: invocations(wholeText(text)), builds: [], extra: [] };
    case 'makefile':
    case 'justfile': {
      const parts = kind === 'makefile' ? makefileParts(text) : makefileParts(text, (line) => /^[ \t]+\S/.test(line));
      const builds = parts.ldflags.map((word) => ldflagsOnly(word));
      // make runs each recipe line in a shell of its own (unless .ONESHELL); just's {{...}} are not followed.
      const options: FlowOptions =
        kind === 'makefile'
          ? { dialect: makeDialect(text, parts), shellPerLine: !/^\.ONESHELL\s*:/m.test(text) }
          : { dialect: templates() };
      const found = invocations(parts.script, parts.env, options);
      const submitting = found.filter(submits).map((inv) => inv.range.start);
      // Each rule is its own flow: signatures count as release signatures only in rules that lead to a submission.
      const releaseAt = releaseRecipes(parts.rules, (start, end) => submitting.some((at) => at >= start && at <= end));
      return { invocations: found, builds, extra: [], releaseAt };
    }
    case 'workflow':
      return workflow(text);
    case 'taskfile':
      return taskfile(text);
    case 'goreleaser':
      return lintGoreleaser(text, ctx);
    case 'vscode-tasks':
      return vscodeTasks(text);
    case 'vscode-settings':
      return vscodeSettings(text);
  }
}

/** A Go build known only by its linker flags (a Makefile's LDFLAGS variable). */
function ldflagsOnly(word: Word): GoBuild {
  return { range: word.range, goos: [], goarch: [], ldflags: [word], externalFlags: [], packages: [] };
}

function workflow(text: string): Extracted {
  const doc = parseYaml(text);
  if (!doc) return { invocations: [], builds: [], extra: [] };
  const top = envMap(get(doc.contents, 'env'), text);
  const out: Invocation[] = [];
  for (const { value: job } of entries(get(doc.contents, 'jobs'))) {
    const jobEnv = envMap(get(job, 'env'), text, new Map(top));
    // A step that writes to $GITHUB_ENV changes the environment of the steps after it: those names are unknown.
    const rewritten = new Set<string>();
    for (const step of items(get(job, 'steps'))) {
      const script = scalarScript(get(step, 'run'), text);
      if (!script) continue;
      const env = envMap(get(step, 'env'), text, new Map(jobEnv));
      const unknown = new Set(rewritten);
      out.push(...invocations(script, env, { dialect: workflowExpressions(env, unknown), unknown }));
      if (script.text.includes('GITHUB_ENV'))
        for (const m of script.text.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)=/g)) rewritten.add(m[1]);
    }
  }
  return { invocations: out, builds: [], extra: [] };
}

/** `${{ env.NAME }}` from a step's env (workflow, job and step levels merged), each value with where it is set. */
function workflowExpressions(env: Map<string, Word>, unknown: ReadonlySet<string>): Dialect {
  const active = new Set<string>();
  const lookup = (name: string): Value | null => {
    const word = env.get(name);
    if (!word || unknown.has(name) || active.has(name)) return null;
    active.add(name);
    const value = expand(word, new Map(), dialect);
    active.delete(name);
    return value && { ...value, origins: [setHere(name, word.range), ...value.origins] };
  };
  const dialect = githubExpressions(lookup);
  return dialect;
}

function taskfile(text: string): Extracted {
  const doc = parseYaml(text);
  if (!doc) return { invocations: [], builds: [], extra: [] };
  const top = envMap(get(doc.contents, 'env'), text);
  const out: Invocation[] = [];
  for (const { value: task } of entries(get(doc.contents, 'tasks'))) {
    const env = envMap(get(task, 'env'), text, new Map(top));
    for (const cmd of items(get(task, 'cmds'))) {
      const script = scalarScript(cmd, text) ?? scalarScript(get(cmd, 'cmd'), text);
      if (script) out.push(...invocations({ ...script, templates: true }, env, { dialect: templates() }));
    }
  }
  return { invocations: out, builds: [], extra: [] };
}

/** A JSON string node as a word: JSON escapes make the value differ from the source, so align the two. */
function jsonWord(node: JsonNode | undefined, text: string): Word | undefined {
  if (!node || node.type !== 'string') return undefined;
  const value = String(node.value);
  const raw = text.slice(node.offset + 1, node.offset + node.length - 1);
  const at = new Int32Array(value.length);
  const base = node.offset + 1;
  // Each value character comes from one source character, or from an escape: `\"` (two characters) or `\uXXXX` (six).
  for (let i = 0, p = 0; i < value.length; i++) {
    if (raw[p] === '\\' && raw[p + 1] === 'u') {
      at[i] = base + p;
      p += 6;
    } else if (raw[p] === '\\') {
      at[i] = base + p + 1;
      p += 2;
    } else at[i] = base + p++;
  }
  return { text: value, at, range: { start: node.offset, end: node.offset + node.length }, quoted: true };
}

function jsonScript(node: JsonNode | undefined, text: string): Script | undefined {
  const word = jsonWord(node, text);
  if (!word) return undefined;
  return { text: word.text, at: (i) => (i < word.at.length ? word.at[i] : word.range.end - 1) };
}

function jsonEnv(node: JsonNode | undefined, text: string): Map<string, Word> {
  const env = new Map<string, Word>();
  for (const property of node?.type === 'object' ? (node.children ?? []) : []) {
    const [key, value] = property.children ?? [];
    const word = jsonWord(value, text);
    if (key && word) env.set(String(key.value), word);
  }
  return env;
}

/** Deeper than any tasks.json or settings.json a person writes; jsonc-parser recurses once per level. */
const MAX_JSON_DEPTH = 256;
/** jsonc-parser's SyntaxKind values (a const enum, which isolated modules cannot read). */
const TOKEN = { openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, eof: 17 } as const;

/**
 * The JSONC tree of a VS Code file, or undefined when there is none to read: jsonc-parser's parser recurses per level
 * and a hostile file 10,000 levels deep would overflow the stack, so the depth is first measured with its scanner,
 * which does not recurse.
 */
function jsoncTree(text: string): JsonNode | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let kind: number = scanner.scan(); kind !== TOKEN.eof; kind = scanner.scan()) {
    if (kind === TOKEN.openBrace || kind === TOKEN.openBracket) {
      if (++depth > MAX_JSON_DEPTH) return undefined;
    } else if (kind === TOKEN.closeBrace || kind === TOKEN.closeBracket) depth--;
  }
  return parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
}

function vscodeTasks(text: string): Extracted {
  const root = jsoncTree(text);
  const tasks = root ? findNodeAtLocation(root, ['tasks']) : undefined;
  const out: Invocation[] = [];
  for (const task of tasks?.children ?? []) {
    const command = findNodeAtLocation(task, ['command']);
    const script = jsonScript(command, text);
    if (!script) continue;
    const env = jsonEnv(findNodeAtLocation(task, ['options', 'env']), text);
    const commands: SimpleCommand[] = parseShell(script);
    const args = (findNodeAtLocation(task, ['args'])?.children ?? []).flatMap(
      (arg) => jsonWord(arg.type === 'object' ? findNodeAtLocation(arg, ['value']) : arg, text) ?? [],
    );
    if (commands.length === 0) continue;
    const last = commands[commands.length - 1];
    last.words = [...last.words, ...args];
    out.push(...fromCommands(commands, env));
  }
  return { invocations: out, builds: [], extra: [] };
}

function vscodeSettings(text: string): Extracted {
  const root = jsoncTree(text);
  if (!root) return { invocations: [], builds: [], extra: [] };
  const flags = findNodeAtLocation(root, ['go.buildFlags']);
  if (flags?.type !== 'array') return { invocations: [], builds: [], extra: [] };
  const words = (flags.children ?? []).flatMap((n) => jsonWord(n, text) ?? []);
  const env = jsonEnv(findNodeAtLocation(root, ['go.toolsEnvVars']), text);
  return {
    invocations: [],
    builds: [fromCommand(words, env, { start: flags.offset, end: flags.offset + flags.length })],
    extra: [],
  };
}
