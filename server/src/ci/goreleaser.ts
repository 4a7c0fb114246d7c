/**
 * `init ci --goreleaser`: the release steps added to an existing .goreleaser.yaml instead of a workflow. GoReleaser's
 * own macOS universal binary (`universal_binaries`, darwin only by construction) gets post hooks that sign it with the
 * builtin signer, notarize it through the Notary API and check it; the thin darwin binaries are replaced by it, so the
 * archives carry the signed, notarized binary. Why there and not after archiving: GoReleaser (OSS) runs no command
 * after archiving but `signs`, which cannot select by OS, and Apple takes zip, dmg or pkg while archives are tar.gz
 * by default; a bare binary cannot hold a stapled ticket, so notarizing the binary gives the same ticket the archive
 * would. The file is edited through the `yaml` Document API: the user's keys, order, comments and quoting stay.
 * Hooks run without a shell; secrets reach them through the environment (`{{ .Env.NAME }}`), never the file.
 */
import { Document, isMap, isScalar, isSeq, Node, parseDocument, YAMLMap, YAMLSeq } from 'yaml';
import { InputError } from '../errors';
import type { ReleasePlan } from './plan';
import { checkPlan } from './workflow';

/** The environment the hooks read: the .p12's path (decoded from the secret by the CI job) and the notary key's ids. */
export const GORELEASER_ENV = {
  p12: 'GO_MACOS_SIGN_P12',
  notaryKeyId: 'NOTARY_KEY_ID',
  notaryIssuer: 'NOTARY_ISSUER',
} as const;

/** The hooks, as GoReleaser runs them (one command line each, templates expanded, no shell). */
export function releaseHooks(plan: ReleasePlan): string[] {
  return [
    `go-macos-sign sign --via builtin --p12 "{{ .Env.${GORELEASER_ENV.p12} }}" --identifier ${plan.identifier} "{{ .Path }}"`,
    `go-macos-sign notarize --via api --key-id "{{ .Env.${GORELEASER_ENV.notaryKeyId} }}" --issuer "{{ .Env.${GORELEASER_ENV.notaryIssuer} }}" "{{ .Path }}"`,
    'go-macos-sign verify --readiness "{{ .Path }}"',
  ];
}

export interface GoreleaserEdit {
  text: string;
  /** One line per change made, for the user. */
  changes: string[];
}

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : undefined;
}

function strings(node: unknown): string[] {
  if (isSeq(node)) return node.items.flatMap((i) => scalarText(i) ?? []);
  const one = scalarText(node);
  return one === undefined ? [] : [one];
}

/** Whether a build entry targets darwin: GoReleaser's default goos list includes it; `targets` may name it. */
function buildsDarwin(build: YAMLMap): boolean {
  if (build.get('skip') === true) return false;
  const targets = strings(build.get('targets', true));
  if (targets.length > 0) return targets.some((t) => t.startsWith('darwin_'));
  const goos = strings(build.get('goos', true));
  return goos.length === 0 || goos.includes('darwin');
}

/** The file's own sequence style: `key:\n- item` (not indented) or `key:\n  - item`. */
function indentsSequences(text: string): boolean {
  const m = /^[A-Za-z_][\w-]*:[ \t]*\n([ \t]*)- /m.exec(text);
  return !m || m[1].length > 0;
}

export function addToGoreleaser(text: string, plan: ReleasePlan): GoreleaserEdit {
  checkPlan(plan);
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) throw new InputError(`.goreleaser.yaml: ${doc.errors[0].message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw new InputError('.goreleaser.yaml: not a mapping of settings');
  const builds = doc.get('builds', true);
  const entries = isSeq(builds) ? builds.items.filter(isMap) : [];
  // No builds section means GoReleaser's default build, which targets darwin.
  const darwin = builds === undefined ? [] : entries.filter(buildsDarwin);
  if (builds !== undefined && darwin.length === 0) throw new InputError('.goreleaser.yaml: no build targets darwin');
  const ids = darwin.flatMap((b) => scalarText(b.get('id', true)) ?? []);

  const hooks = releaseHooks(plan);
  const changes: string[] = [];
  const style = { indentSeq: indentsSequences(text), flowCollectionPadding: false };
  const universal = doc.get('universal_binaries', true);
  if (universal === undefined) {
    const entry: Record<string, unknown> = {};
    // Without ids, GoReleaser joins the builds whose id is the universal binary's (the project name by default).
    if (ids.length > 0) entry.ids = ids;
    entry.replace = true;
    entry.hooks = { post: hooks };
    // A new top-level key is appended as text: every byte the user wrote stays as written.
    const added = new Document({ universal_binaries: [entry] });
    const pair = (added.contents as YAMLMap).items[0];
    (isScalar(pair.key) ? pair.key : added).commentBefore =
      ' macOS: one universal binary, signed, notarized and checked by go-macos-sign (`go-macos-sign init ci --goreleaser`)';
    const separator = text.length === 0 || text.endsWith('\n') ? '' : '\n';
    changes.push(
      `universal_binaries: a universal binary${ids.length ? ` of ${ids.join(', ')}` : ''} with sign, notarize, verify hooks`,
    );
    return { text: `${text}${separator}\n${added.toString({ ...style, lineWidth: 0 })}`, changes };
  }
  if (!isSeq(universal)) throw new InputError('.goreleaser.yaml: universal_binaries is not a list');
  for (const [i, item] of universal.items.entries()) {
    if (!isMap(item)) continue;
    let hookMap: unknown = item.get('hooks', true);
    if (hookMap === undefined) {
      hookMap = new YAMLMap();
      item.set('hooks', hookMap);
    }
    if (!isMap(hookMap)) throw new InputError('.goreleaser.yaml: universal_binaries hooks is not a mapping');
    let post = hookMap.get('post', true) as Node | undefined;
    if (post !== undefined && !isSeq(post)) {
      // A single hook written as a string becomes the first of a list.
      post = doc.createNode([post]);
      hookMap.set('post', post);
    }
    if (post === undefined) {
      post = doc.createNode([]) as YAMLSeq;
      hookMap.set('post', post);
    }
    const seq = post as YAMLSeq;
    // Ours run after the user's hooks, in order (sign, notarize, verify): any of them already there is moved last.
    const ours = (node: unknown) => {
      const cmd = scalarText(node) ?? (isMap(node) ? scalarText(node.get('cmd', true)) : undefined);
      return hooks.findIndex((h) => cmd?.startsWith(h.slice(0, h.indexOf(' --'))));
    };
    const present = seq.items.map(ours);
    if (hooks.some((_, k) => !present.includes(k))) {
      seq.items = seq.items.filter((node) => ours(node) < 0);
      for (const h of hooks) seq.add(doc.createNode(h));
      changes.push(`universal_binaries[${i}].hooks.post: the go-macos-sign sign, notarize and verify hooks`);
    }
    if (item.get('replace') !== true) {
      item.set('replace', true);
      changes.push(`universal_binaries[${i}].replace: true (archives carry the signed binary only)`);
    }
  }
  // Nested edits re-print the document: comments, order and quoting stay; folded scalars may be re-folded.
  return { text: changes.length > 0 ? doc.toString({ ...style, lineWidth: 0 }) : text, changes };
}
