/**
 * GoReleaser configuration: each `builds` entry becomes a Go build (goos/goarch lists, env, flags, ldflags), build
 * and `before` hooks become commands, and the two macOS notarization sections (`notarize.macos`, run by quill on any
 * OS, and `notarize.macos_native`, codesign + notarytool on a Mac) are checked for what Apple requires.
 */
import { isScalar, Node } from 'yaml';
import { diagnostic, LintDiagnostic } from '../diagnostic';
import type { BuildContext } from './analyze';
import { Invocation, invocations } from './commands';
import { fromCommand, GoBuild } from './goBuild';
import { entitlementsErrors, identityKind } from './signing';
import type { Word } from './shell';
import { Dialect, Made, setHere, templates } from './values';
import { entries, envList, get, items, parseYaml, scalarScript, scalarWord, stringOrList } from './yamlSource';

interface Extracted {
  invocations: Invocation[];
  builds: GoBuild[];
  extra: LintDiagnostic[];
  release?: boolean;
}

function hookScripts(node: unknown, text: string, env: Map<string, Word>, dialect: Dialect): Invocation[] {
  const list = items(node).length > 0 ? items(node) : node ? [node as Node] : [];
  // GoReleaser runs a hook without a shell: `$NAME` is not expanded, so the environment gives no values.
  const unknown = new Set(env.keys());
  return list.flatMap((hook) => {
    const script = scalarScript(hook, text) ?? scalarScript(get(hook, 'cmd'), text);
    return script ? invocations({ ...script, templates: true }, env, { dialect, unknown }) : [];
  });
}

/**
 * The templates GoReleaser settles from the file alone: `.ProjectName` (project_name), `.Env.NAME` (the top-level
 * env list), and in a build's post hooks `.Path`, the binary just built: a bare Mach-O for darwin.
 */
function goreleaserTemplates(root: unknown, text: string, built?: Made): Dialect {
  const project = scalarWord(get(root, 'project_name'), text);
  const env = envList(get(root, 'env'), text);
  return templates((expression) => {
    if (expression === '.ProjectName' && project)
      return { text: project.text, origins: [setHere('project_name', project.range)] };
    const m = /^\.Env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression);
    const word = m && env.get(m[1]);
    if (word && !/[{$]/.test(word.text)) return { text: word.text, origins: [setHere(m![1], word.range)] };
    if (expression === '.Path' && built) return { origins: [], made: built };
    return null;
  });
}

function enabled(node: unknown): boolean {
  const value = get(node, 'enabled');
  return !(isScalar(value) && (value.value === false || value.value === 'false'));
}

export function lintGoreleaser(text: string, ctx: Omit<BuildContext, 'text'>): Extracted {
  const doc = parseYaml(text);
  const out: Extracted = { invocations: [], builds: [], extra: [] };
  if (!doc) return out;
  const root = doc.contents;
  const plain = goreleaserTemplates(root, text);
  out.invocations.push(...hookScripts(get(get(root, 'before'), 'hooks'), text, new Map(), plain));

  for (const build of items(get(root, 'builds'))) {
    const env = envList(get(build, 'env'), text);
    const flags = stringOrList(get(build, 'flags'), text);
    const [start, end] = build.range ?? [0, 0];
    const goBuild = fromCommand(flags, env, {
      start,
      end: Math.min(end, text.indexOf('\n', start) < 0 ? end : text.indexOf('\n', start)),
    });
    goBuild.goos = stringOrList(get(build, 'goos'), text);
    goBuild.goarch = stringOrList(get(build, 'goarch'), text);
    goBuild.ldflags.push(...stringOrList(get(build, 'ldflags'), text));
    // Removing a whole list item is not a word edit: a -buildmode that is a flags entry of its own gets no quick fix.
    if (goBuild.buildmodeOption) goBuild.buildmodeOption = { ...goBuild.buildmodeOption, quoted: true };
    out.builds.push(goBuild);
    const hooks = get(build, 'hooks');
    // A post hook runs once per target with .Path naming the binary; for darwin targets that is a bare Mach-O.
    const darwin = goBuild.goos.length === 0 || goBuild.goos.some((w) => w.text === 'darwin');
    const built: Made | undefined = darwin
      ? { kind: 'macho', range: goBuild.range, by: 'this GoReleaser build' }
      : undefined;
    out.invocations.push(
      ...hookScripts(get(hooks, 'pre'), text, env, plain),
      ...hookScripts(get(hooks, 'post'), text, env, goreleaserTemplates(root, text, built)),
    );
    for (const { key, keyNode } of entries(build)) {
      if (key === 'cgo_enabled') {
        const [s, e] = keyNode.range ?? [0, 0];
        out.extra.push(
          diagnostic(
            'goreleaser/cgo-enabled-key',
            'GoReleaser has no cgo_enabled setting: it is ignored. Set cgo through the environment: env: [CGO_ENABLED=0].',
            { start: s, end: e },
          ),
        );
      }
    }
  }

  const notarize = get(root, 'notarize');
  for (const entry of items(get(notarize, 'macos'))) {
    if (!enabled(entry)) continue;
    out.release = true;
    out.extra.push(
      ...entitlementsSetting(get(get(entry, 'sign'), 'entitlements'), text, ctx),
      ...waitSetting(get(entry, 'notarize'), text),
    );
  }
  for (const entry of items(get(notarize, 'macos_native'))) {
    if (!enabled(entry)) continue;
    out.release = true;
    const sign = get(entry, 'sign');
    const identity = scalarWord(get(sign, 'identity'), text);
    const kind = identityKind(identity);
    if (identity && kind !== 'developer-id' && kind !== 'unknown') {
      out.extra.push(
        diagnostic(
          'codesign/not-developer-id',
          `sign.identity "${identity.text}" is not a Developer ID Application identity; notarization rejects it.`,
          identity.range,
        ),
      );
    }
    const optionsNode = get(sign, 'options');
    const options = stringOrList(optionsNode, text);
    if (!options.some((o) => o.text === 'runtime')) {
      const [s, e] = (optionsNode ?? sign ?? entry).range ?? [0, 0];
      out.extra.push(
        diagnostic(
          'codesign/missing-runtime',
          'sign.options lacks runtime: notarization rejects executables without the hardened runtime. Add `options: [runtime]`.',
          { start: s, end: optionsNode ? e : Math.min(e, text.indexOf('\n', s) < 0 ? e : text.indexOf('\n', s)) },
        ),
      );
    }
    out.extra.push(
      ...entitlementsSetting(get(sign, 'entitlements'), text, ctx),
      ...waitSetting(get(entry, 'notarize'), text),
    );
  }
  return out;
}

function entitlementsSetting(node: unknown, text: string, ctx: Omit<BuildContext, 'text'>): LintDiagnostic[] {
  const word = scalarWord(node, text);
  if (!word || !ctx.entitlements || /\{\{/.test(word.text)) return [];
  const probe = ctx.entitlements(word.text);
  if (!probe) return [];
  if (!probe.exists)
    return [
      diagnostic('codesign/entitlements-file', `${word.text}: no such file (looked for ${probe.file}).`, word.range),
    ];
  if (probe.unusable) return [diagnostic('codesign/entitlements-file', `${word.text}: ${probe.unusable}.`, word.range)];
  if (probe.errors > 0) return [entitlementsErrors(word.text, probe, word.range)];
  return [];
}

function waitSetting(notarize: unknown, text: string): LintDiagnostic[] {
  const wait = get(notarize, 'wait');
  if (!isScalar(wait) || (wait.value !== false && wait.value !== 'false')) return [];
  const word = scalarWord(wait, text)!;
  return [
    diagnostic(
      'notarytool/no-wait',
      "notarize.wait is false: the release goes on without Apple's verdict, and an Invalid result goes unnoticed.",
      word.range,
    ),
  ];
}
