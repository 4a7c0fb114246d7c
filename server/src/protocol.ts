/**
 * The contract between the engine, the language server, the CLI's `--json` output and the VS Code client: the model
 * go-macos-sign reports about an artifact, the custom LSP messages that carry it, and the JSON documents the pipeline
 * commands print. Fields may be added; existing ones keep their names and meaning. The inspection shape is documented
 * for users in docs/json-output.md.
 *
 * The client imports this file and nothing else from the server, mostly as types; its only values are method names
 * and the rule-page address, so importing it adds no engine code to the client bundle. This file imports nothing.
 */

/** Who signed a slice, as far as the signature itself can tell (no network, no keychain). */
export type SignerKind =
  | 'none'
  | 'linker-signed'
  | 'adhoc'
  | 'developer-id-application'
  | 'developer-id-installer'
  | 'apple-development'
  | 'apple-distribution'
  | 'other';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'n/a';

export interface CertificateInfo {
  subject: string;
  /** Common name of the subject, e.g. "Developer ID Application: GetSentry LLC (97JCY7859U)". */
  commonName: string | null;
  issuer: string;
  /** The subject's organizational unit when it has the form of a team ID (ten capitals and digits), as Apple leaf certificates do. */
  teamId: string | null;
  notBefore: string;
  notAfter: string;
  /** SHA-256 fingerprint, lowercase hex without separators. */
  sha256: string;
  serialNumber: string;
  /** Apple certificate-extension OIDs found (1.2.840.113635.100.6.*), which identify the certificate's role. */
  appleExtensions: string[];
  /** Apple root certificate matched by pinned fingerprint, or null. */
  pinnedRoot: string | null;
}

export interface TimestampInfo {
  /** genTime of the RFC 3161 token, ISO 8601. */
  time: string;
  /** The TSA's name: the `tsa` field of TSTInfo if present, else the token signer's subject CN. */
  authority: string | null;
  /** Whether the token's message imprint matches the hash of the signature it stamps. */
  imprintValid: boolean;
  /** Whether the token's own CMS signature verifies. */
  signatureValid: boolean;
  /** Whether every certificate the token carries verifies under its issuer's key (none was changed). */
  certificatesIntact: boolean;
  /** Whether the time-stamp authority's chain verifies up to the pinned Apple Root CA (Apple's TSA). */
  chainToAppleRoot: boolean;
  certificates: CertificateInfo[];
}

export interface CodeDirectoryInfo {
  /** SuperBlob slot: 0 for the primary CodeDirectory, 0x1000.. for alternates. */
  slot: number;
  version: string;
  flags: string[];
  flagsValue: number;
  hashType: string;
  hashSize: number;
  pageSize: number;
  codeLimit: number;
  nCodeSlots: number;
  nSpecialSlots: number;
  identifier: string;
  teamId: string | null;
  platform: number;
  execSegment: { base: number; limit: number; flags: string[] } | null;
  /** Hardened-runtime version (x.y.z) for CodeDirectory version 0x20500 and later. */
  runtimeVersion: string | null;
  /** The cdhash: hash of the CodeDirectory blob, truncated to 20 bytes, hex. */
  cdhash: string;
  /** The untruncated hash of the CodeDirectory blob, hex. */
  cdhashFull: string;
}

export interface RequirementInfo {
  /** Requirement type name: host, guest, designated, library, plugin or the number. */
  type: string;
  /** The requirement's bytes, hex. */
  bytes: string;
  /** Readable form like `codesign -d -r-` prints, or null when an opcode is not understood. */
  text: string | null;
}

export interface SignatureReport {
  kind: SignerKind;
  identifier: string;
  teamId: string | null;
  flags: string[];
  hardenedRuntime: boolean;
  /** cdhash of the preferred CodeDirectory (SHA-384 > SHA-256 > SHA-256 truncated > SHA-1), as codesign shows it. */
  cdhash: string;
  codeDirectoryVersion: string;
  hashType: string;
  codeDirectories: CodeDirectoryInfo[];
  /** Blob slots present in the SuperBlob, by name. */
  blobs: string[];
  requirements: RequirementInfo[] | null;
  /** Leaf first. */
  certificates: CertificateInfo[];
  /** Whether the certificate chain verifies up to the pinned Apple Root CA. */
  chainToAppleRoot: boolean;
  /** The signer's own signingTime attribute (not trusted), ISO 8601. */
  signingTime: string | null;
  timestamp: TimestampInfo | null;
  /** Entitlements from the XML blob, or from the DER blob when the XML blob is absent or unreadable. */
  entitlements: Record<string, unknown> | null;
  /** What each form says: the XML blob (slot 5) and the DER blob (slot 7), null when absent or unreadable. */
  entitlementsXml: Record<string, unknown> | null;
  entitlementsDer: Record<string, unknown> | null;
  /** Entitlements blobs that are present but cannot be read, and why. Such a blob never reads as "no entitlements". */
  entitlementsUnreadable: { form: 'XML' | 'DER'; reason: string }[];
}

export interface VerificationFailure {
  /** Stable code, e.g. "page-mismatch", "special-slot-mismatch", "cms-signature". */
  code: string;
  message: string;
  codeDirectorySlot?: number;
  page?: number;
  /** Slice-relative offset of the failing page. */
  fileOffset?: number;
  segment?: string;
  section?: string;
  specialSlot?: string;
}

export interface VerificationReport {
  /** True when the signature is present and every check below passed. */
  valid: boolean;
  pagesChecked: number;
  failures: VerificationFailure[];
  /** Things that do not make the signature invalid but a user should know. */
  warnings: string[];
}

export interface SliceReport {
  arch: string;
  cpuType: number;
  cpuSubtype: number;
  /** Offset of the slice in the file (0 for a thin file). */
  offset: number;
  size: number;
  fileType: string;
  headerFlags: string[];
  platform: string | null;
  minOS: string | null;
  sdk: string | null;
  uuid: string | null;
  dylibs: string[];
  entryPoint: 'LC_MAIN' | 'LC_UNIXTHREAD' | null;
  segments: { name: string; fileOffset: number; fileSize: number; sections: string[] }[];
  signature: SignatureReport | null;
  verification: VerificationReport;
}

export interface CheckResult {
  id: string;
  status: CheckStatus;
  message: string;
  /** Architectures the result is about, when it is not about the whole file. */
  architectures?: string[];
}

export interface ResourceSeal {
  /** Files listed in CodeResources that were found and compared. */
  checked: number;
  /** Paths relative to Contents/. */
  problems: { path: string; kind: 'modified' | 'missing' | 'added' | 'symlink-changed' }[];
  /** Set when CodeResources itself cannot be read. */
  error?: string;
}

export interface BundleReport {
  /** CFBundleIdentifier, CFBundleExecutable, CFBundleShortVersionString... as found. */
  identifier: string | null;
  executable: string;
  infoPlistFormat: 'xml' | 'binary';
  codeResources: boolean;
  /** The resource seal checked file by file; null when the bundle has no _CodeSignature/CodeResources. */
  resourceSeal: ResourceSeal | null;
  stapledTicket: boolean;
}

/**
 * A disk image's (.dmg, UDIF) own signature, as `inspect` reads it from the koly trailer: where the signature is, its
 * CodeDirectories and cdhash, its CMS certificates, and what verification found.
 */
export interface DiskImageReport {
  kind: 'dmg';
  koly: { version: number; dataFork: { offset: number; length: number }; plist: { offset: number; length: number } };
  /** null when the image is not signed (the trailer's code-signature offset or size is 0). */
  signature: {
    offset: number;
    size: number;
    /** Blob slots present, hex (0x10002 is a stapled ticket). */
    slots: string[];
    codeDirectories: { identifier: string; version: string; hashType: string; cdhash: string; flags: number }[];
    /** Verification: the image's bytes and the trailer against the CodeDirectories, and the CMS; empty when valid. */
    problems: string[];
    /** `adhoc` (no CMS), `developer-id-application`, ... as for a Mach-O slice. */
    signer: SignerKind;
    /** From the CMS signature (slot 0x10000), leaf first; empty for an ad-hoc signature. */
    certificates: CertificateInfo[];
    chainToAppleRoot: boolean;
    /** The RFC 3161 timestamp's time, ISO 8601, or null. */
    timestamp: string | null;
  } | null;
  /** The ticket record the image's notarization is looked up by (`2/<digest type>/<cdhash>`), null when unsigned. */
  ticketRecord: string | null;
  stapledTicket: boolean;
}

/** A flat installer package's (.pkg, xar) table of contents, checksum and signatures, as `inspect` reads them. */
export interface PackageReport {
  kind: 'pkg';
  /**
   * The TOC checksum's style (sha1, sha256...) and value, hex. It has been checked against the TOC: a package whose
   * checksum does not match is an input error, never a report.
   */
  checksum: { style: string; value: string };
  files: string[];
  /** `signature` (RSA over the checksum) and `x-signature` (CMS), each with the certificates it lists, leaf first. */
  signatures: {
    element: 'signature' | 'x-signature';
    style: string;
    certificates: CertificateInfo[];
    /** Whether the certificates chain up to a pinned Apple root. */
    chainToAppleRoot: boolean;
    /** The leaf's role when the chain reaches Apple (`developer-id-installer` for a notarizable package), else `other`. */
    signer: SignerKind;
  }[];
  /** The ticket record the package's notarization is looked up by (its TOC checksum), null for md5 / sha512. */
  ticketRecord: string | null;
  stapledTicket: boolean;
}

/** One cdhash's answer from Apple's ticket service (`inspect --online`). */
export interface TicketRecordStatus {
  /** `2/<digest type>/<cdhash>`, the record asked for. */
  record: string;
  cdhash: string;
  /** The slice it belongs to, or null for a disk image's or package's own record. */
  arch: string | null;
  /** `deleted`: Apple withdrew the ticket (it is not a ticket). */
  status: 'found' | 'not-found' | 'deleted' | 'unknown';
  /** Why the answer is `unknown` (offline, an HTTP error...). */
  reason?: string;
}

/**
 * What `inspect --online` adds per path: whether Apple's ticket service knows a notarization ticket for every cdhash
 * of the artifact. `found`: every record has a ticket; `not-found`: some record has none or was withdrawn (deleted);
 * `unknown`: the service could not be asked (offline) for a record and none is missing.
 */
export interface NotarizationStatus {
  ticket: 'found' | 'not-found' | 'unknown';
  cdhashes: string[];
  /** When the service was asked (or the cached answer was taken), ISO 8601. */
  checkedAt: string;
  records: TicketRecordStatus[];
}

export interface InspectReport {
  path: string;
  kind: 'macho' | 'universal' | 'app' | 'dmg' | 'pkg';
  /** For an app bundle, the main executable that `architectures` describes. */
  executable?: string;
  bundle?: BundleReport;
  /** For a disk image (`architectures` is then empty: its contents are not read). */
  diskImage?: DiskImageReport;
  /** For a flat installer package (`architectures` is then empty). */
  package?: PackageReport;
  /** Whether a notarization ticket is stapled; set for what can carry one (.app, .dmg, .pkg), absent for a bare Mach-O. */
  stapledTicket?: boolean;
  /** Only with `inspect --online` (or the inspect request's `online`). */
  notarization?: NotarizationStatus;
  architectures: SliceReport[];
  checks: CheckResult[];
}

/** Options that change what the readiness checks expect. */
export interface CheckOptions {
  /** Architectures every file must contain; empty means any of arm64, x86_64 or both. */
  architectures: string[];
}

export namespace InspectRequest {
  export const method = 'goMacosSign/inspect';
  export interface Params {
    path: string;
    options?: Partial<CheckOptions>;
    /** Ask Apple's ticket service about the artifacts' cdhashes (only cdhashes are sent); default false. */
    online?: boolean;
  }
  /** One report per artifact found at `path` (a directory may hold several); `error` when the input is unusable. */
  export interface Result {
    reports: InspectReport[];
    errors: { path: string; message: string }[];
  }
}

/** A new entitlements file's text, written by the server's plist writer (the client never builds XML itself). */
export namespace NewEntitlementsRequest {
  export const method = 'goMacosSign/newEntitlements';
  export interface Params {
    entitlements?: Record<string, boolean>;
  }
  export interface Result {
    text: string;
  }
}

/** Sent by the client when the user trusts the workspace after the server started (it runs `go list` only then). */
export namespace TrustedNotification {
  export const method = 'goMacosSign/trusted';
}

/** Where a rule's page is published; diagnostics, the CLI and the client's "macOS Signing" view link here. */
export function ruleDocUrl(id: string): string {
  return `https://github.com/go-macos-sign/go-macos-sign/blob/main/docs/rules/${id}.md`;
}

/** One issue in the notary service's developer log, as `notarytool log ID` prints it, with our reading of it. */
export interface NotaryIssue {
  severity: 'error' | 'warning' | string;
  path: string | null;
  architecture: string | null;
  message: string;
  docUrl: string | null;
  code: string | number | null;
  /** What this usually means for a Go program, and the fix; by message text (Apple's URLs have changed over time). */
  goCause?: string;
}

/** The verdict of one notarization: what `notarize --json` adds to its document, and `release --json`'s `notarization`. */
export interface NotarizeResult {
  status: string;
  submissionId: string;
  issues: NotaryIssue[];
  ticketCdhashes: string[];
  localCdhashes: string[];
  /** Whether every local cdhash appears in the ticket (false when not Accepted). */
  covered: boolean;
  /** Where the developer log was saved. */
  log: string | null;
  /** Whether this run resumed a saved submission instead of uploading. */
  resumed: boolean;
}

/** A submission saved so that an interrupted wait resumes it (notary/submissions.ts). */
export interface Submission {
  id: string;
  /** SHA-256 of the submitted archive, hex. */
  archiveSha256: string;
  /** The artifact the archive holds (what the user asked to notarize). */
  artifact: string;
  submittedAt: string;
  /** `Abandoned`: our upload to it never finished (notary/submitApi.ts); it will never have a verdict. */
  status: 'In Progress' | 'Accepted' | 'Invalid' | 'Rejected' | 'Abandoned' | string;
  /**
   * The Notary API backend saves a submission before uploading (false), then again once the upload finished (true).
   * Absent: notarytool uploaded it.
   */
  uploaded?: boolean;
}

/**
 * What every pipeline command prints with `--json` (server/src/cli/pipeline.ts): the command, the tool commands it
 * ran, whether it succeeded, and the message of the step that failed.
 */
export interface PipelineJson<Command extends string = string> {
  command: Command;
  /** The tool commands run, as shown on the terminal. */
  commands: string[];
  ok: boolean;
  /** Set when a step failed; the command-specific fields are then absent. */
  error?: string;
}

/** What the builtin signer did to one artifact (`sign --json`: `signed`). */
export interface SignedArtifact {
  path: string;
  kind: 'binary' | 'bundle';
  /** The main executable's slices, in fat-header order. */
  slices: { arch: string; identifier: string; cdhash: string }[];
  /** Who signed: the certificate's common name, or null for ad hoc. */
  signer: string | null;
  teamId: string | null;
  runtime: boolean;
  timestamped: boolean;
  /** What the user should know although signing worked (a certificate Apple did not issue). */
  warnings: string[];
}

/** What `staple` reports: whether a ticket was attached, and a sentence saying so or why not. */
export interface StapleResult {
  stapled: boolean;
  message: string;
}

/** One artifact's readiness as `release --json` lists it. */
export interface ReadinessSummary {
  path: string;
  checks: { id: string; status: string }[];
}

/**
 * Every pipeline command's `--json`: the common fields, and the fields of whichever command ran (`build`: outputs;
 * `universal`, `package`: output; `notarize`: the NotarizeResult fields; `staple`: the StapleResult fields; `release`:
 * artifact, notarization, staple, readiness; `submissions`: submissions). A failed step leaves only `error`.
 */
export interface PipelineOutput extends PipelineJson, Partial<NotarizeResult>, Partial<StapleResult> {
  outputs?: string[];
  output?: string;
  artifact?: string;
  notarization?: NotarizeResult;
  staple?: StapleResult;
  readiness?: ReadinessSummary[];
  submissions?: Submission[];
  signed?: SignedArtifact[];
  /** `notarize`, `release`: who talked to Apple's notary service. */
  backend?: NotaryBackendField['backend'];
  /** `notarize`, `release`: what the pre-flight checked before anything was submitted (also on a refusal). */
  preflight?: PreflightResult;
}

/** Who talked to Apple's notary service: notarytool (macOS), or the builtin Notary REST API client (any OS). */
export interface NotaryBackendField {
  backend: 'api' | 'notarytool';
}

/**
 * `go-macos-sign notarize --json`: the verdict with what the pre-flight checked (its `skipped` items too); or the
 * pre-flight's refusal (certain rejections found, nothing submitted, exit 1), with its findings; or the error that
 * stopped the step before a verdict.
 */
export type NotarizeJson = PipelineJson<'notarize'> &
  NotaryBackendField &
  (
    | (NotarizeResult & { preflight: PreflightResult })
    | { error: string; preflight: PreflightResult }
    | { error: string }
  );

/** `go-macos-sign submissions --json`: the saved submissions. */
export interface SubmissionsJson extends PipelineJson<'submissions'> {
  submissions: Submission[];
}

/**
 * One certain notarization rejection found before anything is uploaded (`notarize`'s pre-flight, and the editor's
 * Problems panel): the file and slice, our rule, the message Apple's developer log would give for it, and the fix.
 */
export interface PreflightFinding {
  /** The file: its path on disk, or `archive.zip/path/inside` for a zip entry (as Apple's log names it). */
  path: string;
  /** The slice ("arm64", "x86_64"), or null when the finding is about the whole file or bundle. */
  arch: string | null;
  ruleId: string;
  /** The text of the issue Apple's log gives (apple-rules §3.2). */
  appleMessage: string;
  /** The `docUrl` Apple's log gives with that message (its "Resolving common notarization issues" anchor). */
  docUrl: string;
  /** Our one-line fix. */
  fix: string;
  /** What we saw, e.g. "no secure timestamp". */
  detail: string;
}

/** What the pre-flight looked at and what it found; `skipped` names contents it could not read (e.g. a .dmg). */
export interface PreflightResult {
  /** Every Mach-O file inspected, as `PreflightFinding.path` names it. */
  inspected: string[];
  findings: PreflightFinding[];
  /** Files or entries that were not inspected, and why. */
  skipped: { path: string; reason: string }[];
}

/** A repository secret the generated release configuration refers to by name, and how to create it. */
export interface CiSecret {
  name: string;
  /** What its value is. */
  holds: string;
  /** A command that sets it with GitHub's CLI (placeholders in capitals). */
  command: string;
}

/** `go-macos-sign identity --json`: the identity the builtin signer would sign with (exit 2 and no JSON if none). */
export interface IdentityJson {
  /** The leaf certificate's common name, e.g. "Developer ID Application: NAME (TEAMID)". */
  name: string;
  /** The leaf subject's organizational unit: Apple's team id. */
  teamId: string | null;
  /** The certificate type by Apple's extension OIDs: `developer-id-application`, …, or `other` (not Apple's). */
  kind: string;
  /** The same, as Apple's developer portal names it, e.g. "Developer ID Application". */
  kindName: string;
  /** The end of the leaf certificate's validity, ISO 8601. */
  notAfter: string;
  /** How many certificates above the leaf the signature will carry. */
  chain: number;
}

/** `go-macos-sign init ci --json`: the file written (or edited), what changed, and the secrets to create. */
export interface InitCiJson {
  /** The workflow (or .goreleaser.yaml) path, absolute. */
  file: string;
  kind: 'workflow' | 'goreleaser';
  /** The main package released and its binary name. */
  package: string;
  name: string;
  /** How CI installs the CLI (an npm install spec). */
  cli: string;
  changes: string[];
  secrets: CiSecret[];
  /** Environment the GoReleaser hooks read, besides the secrets (kind goreleaser only). */
  environment: string[];
}
