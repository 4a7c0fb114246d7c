/**
 * The facts a generated release configuration is made of, in one place: which program, its code signing identifier,
 * how CI gets the go-macos-sign CLI, the pinned actions, and the secrets (names, what each holds, how to set it).
 * The generators (workflow.ts, goreleaser.ts) only lay these out; secret values never pass through here: a generated
 * file refers to them by name (`${{ secrets.NAME }}`, `{{ .Env.NAME }}`), so no secret can end up written in a file.
 */
import type { CiSecret } from '../protocol';

export interface ReleasePlan {
  /** The module path, from go.mod. */
  modulePath: string;
  /** The main package, as go build takes it (`.` or `./cmd/tool`). */
  pkg: string;
  /** The binary's name. */
  name: string;
  /** The code signing identifier, reverse-DNS. */
  identifier: string;
  /** The npm install spec of the CLI for CI, e.g. `github:go-macos-sign/go-macos-sign#<commit>`. */
  cliSpec: string;
}

/** The secret names, as the generated files refer to them. */
export const SECRET = {
  p12: 'MACOS_P12_BASE64',
  p12Password: 'MACOS_P12_PASSWORD',
  notaryKey: 'NOTARY_KEY',
  notaryKeyId: 'NOTARY_KEY_ID',
  notaryIssuer: 'NOTARY_ISSUER',
} as const;

/** What the user creates in the repository's Actions secrets, and how (GitHub's CLI reads a value from stdin). */
export const SECRETS: readonly CiSecret[] = [
  {
    name: SECRET.p12,
    holds: 'the Developer ID Application certificate with its private key, exported as .p12, in base64',
    command: `base64 -w0 cert.p12 | gh secret set ${SECRET.p12}   (macOS: base64 -i cert.p12 | gh secret set ${SECRET.p12})`,
  },
  {
    name: SECRET.p12Password,
    holds: "the .p12's password",
    command: `gh secret set ${SECRET.p12Password}   (prompts for the value)`,
  },
  {
    name: SECRET.notaryKey,
    holds: 'the App Store Connect API key: the text of AuthKey_<KEYID>.p8',
    command: `gh secret set ${SECRET.notaryKey} < AuthKey_KEYID.p8`,
  },
  {
    name: SECRET.notaryKeyId,
    holds: "the API key's id (10 characters, in the .p8's file name)",
    command: `gh secret set ${SECRET.notaryKeyId} --body KEYID`,
  },
  {
    name: SECRET.notaryIssuer,
    holds: "the API key's issuer id (a UUID, on App Store Connect's Integrations page)",
    command: `gh secret set ${SECRET.notaryIssuer} --body ISSUER-UUID`,
  },
];

/**
 * Actions the workflow uses, pinned to release tags (Dependabot's `github-actions` ecosystem keeps them current).
 * `gh` (preinstalled on GitHub's runners) publishes the release, so no third-party action handles the token.
 */
export const ACTIONS = {
  checkout: 'actions/checkout@v5.0.0',
  setupGo: 'actions/setup-go@v6.4.0',
  setupNode: 'actions/setup-node@v6.0.0',
  uploadSarif: 'github/codeql-action/upload-sarif@v4.31.6',
} as const;

/** The Node.js major the CLI runs on in CI (package.json engines: >=20). */
export const NODE_VERSION = '22';

/**
 * A reverse-DNS code signing identifier from the module path and the binary's name:
 * github.com/acme/tool + tool → com.github.acme.tool; github.com/acme/repo + cli → com.github.acme.repo.cli.
 */
export function signingIdentifier(modulePath: string, name: string): string {
  const parts = modulePath.split('/').filter((p) => p && !/^v[0-9]+$/.test(p));
  const host = parts[0]?.includes('.') ? parts.shift()!.split('.').reverse() : ['com', 'example'];
  const labels = [...host, ...parts];
  if (labels[labels.length - 1] !== name) labels.push(name);
  return labels
    .map((l) => l.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('.');
}

declare const GIT_REVISION: string | undefined;
declare const PACKAGE_REPOSITORY: string | undefined;
declare const PACKAGE_VERSION: string | undefined;

/**
 * How CI installs this CLI when no spec is given: from the GitHub repository at the commit this CLI was built from
 * (an npm git install runs the package's `prepare` script, which builds dist/), or at its version's tag when the
 * build did not know its commit. Once the package is on npm, `--cli go-macos-sign@<version>` is the simpler spec.
 */
export function defaultCliSpec(): string {
  const repository =
    typeof PACKAGE_REPOSITORY === 'string' && PACKAGE_REPOSITORY ? PACKAGE_REPOSITORY : 'go-macos-sign/go-macos-sign';
  if (typeof GIT_REVISION === 'string' && /^[0-9a-f]{40}$/.test(GIT_REVISION))
    return `github:${repository}#${GIT_REVISION}`;
  const version = typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : '0.0.0';
  return `github:${repository}#v${version}`;
}
