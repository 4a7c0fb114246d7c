#!/usr/bin/env python3
"""Stand-ins for Apple's command-line tools on Linux, for tests only: xcrun (notarytool, stapler), codesign, ditto,
xattr, security, spctl, hdiutil and pkgbuild. Each checks its arguments the way the real tool documents them, judges
the files it is given by what they really contain (codesig.py reads and verifies Mach-O signatures, OpenSSL the CMS),
and answers in Apple's documented formats: notarytool's `--output-format json` lines, and a developer log shaped like
the real ones (status, statusSummary, statusCode, sha256, issues with severity/code/path/message/docUrl/architecture,
ticketContents with the cdhash of every signed slice).

The model, and where it stops:
- codesign signs for real, ad hoc (`-s -` layout, with --options runtime, --identifier and --entitlements honoured).
  It never makes a Developer ID signature: that needs a private key whose certificate Apple issued, which no test has.
  So a binary signed by the fake is judged as exactly what it is (ad hoc) by the notary, spctl and go-macos-sign.
- The notary accepts a submission only when every Mach-O slice in it carries an intact signature by a Developer ID
  Application certificate chaining to Apple Root CA, with the hardened runtime and a secure timestamp, and without
  get-task-allow; otherwise the verdict is Invalid with Apple's messages for what is missing. The one Accepted input
  the tests have is therefore real: a binary Apple's customers signed (the @sentry/cli-darwin fixture).
- Containers: the fakes' .dmg is a zip of the source followed by a UDIF `koly` trailer, their .pkg a `xar!` header
  followed by a zip of the payload (the fakes agree on these; go-macos-sign never looks inside either). pkgbuild
  cannot sign an installer package (same reason as above) and the notary does not judge installer signatures.
- A ticket exists for what an Accepted submission covered: the cdhashes in its ticketContents, and the SHA-256 of a
  submitted .dmg or .pkg. stapler and spctl look tickets up there (the fake notary's store, $FAKE_NOTARY_DIR).

Every call is appended to $FAKE_APPLE_LOG as one JSON array (argv[0] name + arguments). FAKE_NOTARY_WAIT_SECONDS
makes `notarytool wait` slow (to interrupt it). No go-macos-sign secret may reach a tool's environment: the fakes
refuse to run with one.
"""
import hashlib, io, json, os, plistlib, re, struct, subprocess, sys, time, uuid, zipfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import codesig  # noqa: E402

NAME = os.path.basename(sys.argv[0])
ARGS = sys.argv[1:]
SECRETS = ('GO_MACOS_SIGN_NOTARY_KEY',)
DOC = 'https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues'
KOLY_SIZE = 512
XAR_HEADER = struct.pack('>4sHHQQI', b'xar!', 28, 1, 0, 0, 0)


def log_call(name, args):
    path = os.environ.get('FAKE_APPLE_LOG')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps([name] + args) + '\n')


def fail(message, code=1):
    sys.stderr.write(message + '\n')
    sys.exit(code)


def value(args, *names):
    for i, a in enumerate(args):
        if a in names and i + 1 < len(args):
            return args[i + 1]
    return None


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


# --- containers -------------------------------------------------------------------------------------------------------

def zip_of(src):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        if os.path.isdir(src):
            for root, _, files in os.walk(src):
                for f in sorted(files):
                    full = os.path.join(root, f)
                    z.write(full, os.path.relpath(full, os.path.dirname(src.rstrip('/'))))
        else:
            z.write(src, os.path.basename(src))
    return buf.getvalue()


def koly(payload_length, signature=(0, 0)):
    """A UDIF trailer: magic, version 4, header size, data fork offset/length; the fakes keep a code signature's
    offset and length in the first reserved field."""
    k = bytearray(KOLY_SIZE)
    struct.pack_into('>4sIII', k, 0, b'koly', 4, KOLY_SIZE, 1)
    struct.pack_into('>QQ', k, 24, 0, payload_length)
    struct.pack_into('>QQ', k, 232, *signature)
    return bytes(k)


def container(path):
    """('zip'|'dmg'|'pkg', zip payload bytes, dmg signature (offset, length)) by content, or None."""
    data = open(path, 'rb').read()
    if len(data) >= KOLY_SIZE and data[-KOLY_SIZE:-KOLY_SIZE + 4] == b'koly':
        length = struct.unpack_from('>Q', data, len(data) - KOLY_SIZE + 32)[0]
        return 'dmg', data[:length], struct.unpack_from('>QQ', data, len(data) - KOLY_SIZE + 232)
    if data[:4] == b'xar!':
        return 'pkg', data[len(XAR_HEADER):], (0, 0)
    if zipfile.is_zipfile(io.BytesIO(data)):
        return 'zip', data, (0, 0)
    return None


def machos(payload):
    """(member name, bytes) of every Mach-O in a zip payload."""
    with zipfile.ZipFile(io.BytesIO(payload)) as z:
        return [(n, z.read(n)) for n in z.namelist() if codesig.is_macho(z.read(n)[:4])]


# --- notary service ---------------------------------------------------------------------------------------------------

def store():
    path = os.environ.get('FAKE_NOTARY_DIR', '/tmp/fake-notary')
    os.makedirs(path, exist_ok=True)
    return path


def records():
    for name in os.listdir(store()):
        if name.endswith('.json'):
            yield json.load(open(os.path.join(store(), name)))


def has_ticket(cdhash=None, sha256=None):
    return any(r['status'] == 'Accepted' and ((cdhash and cdhash in [h for _, _, h in r['hashes']]) or (sha256 and r.get('ticketSha256') == sha256)) for r in records())


ISSUES = [  # (fact that must hold, Apple's message, docUrl anchor), in the order real logs list them
    ('developer_id', 'The binary is not signed with a valid Developer ID certificate.', '#3087721'),
    ('timestamp', 'The signature does not include a secure timestamp.', '#3087733'),
    ('runtime', 'The executable does not have the hardened runtime enabled.', '#3087724'),
]


def review(archive_name, payload):
    """Apple's verdict on what the archive really holds: (status, issues, ticket entries)."""
    issues, hashes = [], []
    for member, data in machos(payload):
        path = archive_name + '/' + member
        for arch, s in codesig.slices(data):
            facts = codesig.judge(s)
            issue = lambda m, anchor: issues.append({'severity': 'error', 'code': None, 'path': path, 'message': m, 'docUrl': DOC + anchor, 'architecture': arch})
            if not facts['signed']:
                issue('The binary is not signed.', '#3087721')
                continue
            if not facts['intact']:
                issue('The signature of the binary is invalid.', '#3087735')
                continue
            for fact, message, anchor in ISSUES:
                if not facts[fact]:
                    issue(message, anchor)
            if facts['get_task_allow']:
                issue('The executable requests the com.apple.security.get-task-allow entitlement.', '#3087731')
            hashes.append((member, arch, facts['cdhash']))
    # An archive without any code is accepted here with an empty ticket (Apple's answer for that case is unverified).
    return ('Accepted' if not issues else 'Invalid'), issues, hashes


def check_key(args):
    """An App Store Connect API key: the file exists and holds an unencrypted PKCS#8 P-256 private key (what
    App Store Connect hands out as AuthKey_<ID>.p8), the key id has App Store Connect's format, the issuer is a UUID."""
    key, key_id, issuer = value(args, '--key', '-k'), value(args, '--key-id', '-d'), value(args, '--issuer', '-i')
    if not key_id:
        fail('Error: --key-id is required with --key', 64)
    if not os.path.isfile(key):
        fail(f'Error: The file "{key}" couldn\'t be opened because there is no such file.', 69)
    pem = open(key, 'rb').read()
    text = subprocess.run(['openssl', 'pkey', '-in', key, '-noout', '-text'], capture_output=True).stdout.decode()
    if not pem.lstrip().startswith(b'-----BEGIN PRIVATE KEY-----') or 'ASN1 OID: prime256v1' not in text:
        fail('Error: The private key is not a valid PKCS#8 EC P-256 key.', 69)
    if not re.fullmatch(r'[A-Z0-9]{10}', key_id) or (issuer is not None and not re.fullmatch(r'[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}', issuer)):
        fail('Error: HTTP status code: 401. Unable to authenticate.', 69)


def auth_ok(args):
    methods = [m for m in (['--keychain-profile', '-p'], ['--key', '-k'], ['--apple-id']) if any(a in args for a in m)]
    if len(methods) != 1:
        fail('Error: No Keychain password item found for profile, or more than one authentication method was given.', 69)
    if '--password' in args:
        fail('fake notarytool: refusing a password on the command line (go-macos-sign must never pass one)', 64)
    if methods[0][0] == '--key':
        check_key(args)


def notarytool(args):
    sub = args[0] if args else ''
    rest = args[1:]
    if sub in ('submit', 'wait', 'log', 'info'):
        auth_ok(rest)
    if sub == 'submit':
        if '--wait' in rest:
            fail('fake notarytool: go-macos-sign submits without --wait and waits separately', 64)
        path = rest[0]
        found = container(path) if os.path.isfile(path) else None
        if not path.endswith(('.zip', '.dmg', '.pkg')) or found is None or found[0] != path.rsplit('.', 1)[1]:
            fail('Error: notarytool submit works only with UDIF disk images, signed "flat" installer packages, and zip files.', 64)
        kind, payload, _ = found
        status, issues, hashes = review(os.path.basename(path), payload)
        sid = str(uuid.uuid4())
        digest = sha256_file(path)
        record = {'id': sid, 'archive': os.path.basename(path), 'sha256': digest, 'status': status, 'issues': issues, 'hashes': hashes,
                  'ticketSha256': digest if kind in ('dmg', 'pkg') and status == 'Accepted' else None}
        json.dump(record, open(os.path.join(store(), sid + '.json'), 'w'))
        print(json.dumps({'id': sid, 'message': 'Successfully uploaded file', 'path': path}))
    elif sub == 'wait':
        record = os.path.join(store(), rest[0] + '.json')
        if not os.path.exists(record):
            fail('Error: HTTP status code: 404. Submission does not exist or does not belong to your team.', 69)
        time.sleep(float(os.environ.get('FAKE_NOTARY_WAIT_SECONDS', '0')))
        print(json.dumps({'id': rest[0], 'status': json.load(open(record))['status'], 'message': 'Processing complete'}))
    elif sub == 'log':
        record = json.load(open(os.path.join(store(), rest[0] + '.json')))
        accepted = record['status'] == 'Accepted'
        archive = record['archive']
        developer_log = {
            'logFormatVersion': 1,
            'jobId': record['id'],
            'status': record['status'],
            'statusSummary': 'Ready for distribution' if accepted else 'Archive contains critical validation errors',
            'statusCode': 0 if accepted else 4000,
            'archiveFilename': archive,
            'uploadDate': '2026-11-24T12:00:00.000Z',
            'sha256': record['sha256'],
            'ticketContents': [{'path': archive + '/' + n, 'digestAlgorithm': 'SHA-256', 'cdhash': h, 'arch': a} for n, a, h in record['hashes']] if accepted else None,
            'issues': record['issues'] or None,
        }
        outputs = [a for a in rest[1:] if not a.startswith('-') and a not in option_values(rest)]
        text = json.dumps(developer_log, indent=2)
        if outputs:
            open(outputs[-1], 'w').write(text)
        else:
            print(text)
    else:
        fail('Error: unknown notarytool subcommand ' + sub, 64)


def option_values(args):
    """Values of notarytool options that take one, so they are not taken for the output path."""
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a in ('--keychain-profile', '-p', '--key', '-k', '--key-id', '-d', '--issuer', '-i', '--keychain', '--apple-id', '--team-id', '--timeout', '--output-format', '-f')]


# --- stapler, spctl ---------------------------------------------------------------------------------------------------

def app_executable(app):
    info = os.path.join(app, 'Contents', 'Info.plist')
    if not os.path.isfile(info):
        return None
    name = plistlib.load(open(info, 'rb')).get('CFBundleExecutable')
    path = os.path.join(app, 'Contents', 'MacOS', name) if isinstance(name, str) else None
    return path if path and os.path.isfile(path) else None


def cdhashes_of(path):
    return [codesig.judge(s)['cdhash'] for _, s in codesig.slices(open(path, 'rb').read())]


def ticket_for(target):
    """Whether the notary issued a ticket for this .app (by its main executable's cdhashes), .dmg or .pkg (by SHA-256)."""
    if os.path.isdir(target):
        exe = app_executable(target)
        hashes = cdhashes_of(exe) if exe else []
        return bool(hashes) and all(h and has_ticket(cdhash=h) for h in hashes)
    return has_ticket(sha256=sha256_file(target))


def stapler(args):
    if not args or args[0] not in ('staple', 'validate'):
        fail('usage: stapler staple | validate', 64)
    target = args[-1].rstrip('/')
    print('Processing: ' + target)
    supported = (target.endswith('.app') and os.path.isdir(target) and app_executable(target)) or (target.endswith(('.dmg', '.pkg')) and os.path.isfile(target))
    if not supported or not ticket_for(target):
        # Apple's answer for a bare binary, an empty or unsigned bundle, and anything without a published ticket.
        fail(f'CloudKit query for {os.path.basename(target)} failed due to "Record not found".\nThe staple and validate action failed! Error 65.' if supported else 'The staple and validate action failed! Error 73.', 65)
    if args[0] == 'staple' and os.path.isdir(target):
        open(os.path.join(target, 'Contents', 'CodeResources'), 'wb').write(b'fake stapled ticket\n')
    print('The staple and validate action worked!')


def spctl(args):
    if not any(a in args for a in ('--assess', '-a')):
        fail('spctl: only --assess is faked', 64)
    kind = value(args, '--type', '-t') or 'execute'
    kind = {'exec': 'execute'}.get(kind, kind)
    context = value(args, '--context')
    target = args[-1].rstrip('/')
    if not os.path.exists(target):
        fail(target + ': No such file or directory', 1)
    is_app = os.path.isdir(target) and target.endswith('.app')
    expected = 'execute' if is_app or (os.path.isfile(target) and codesig.is_macho(open(target, 'rb').read(4))) else {'dmg': 'open', 'pkg': 'install'}.get(target.rsplit('.', 1)[-1])
    if kind != expected:
        fail(f'{target}: rejected (the assessment type "{kind}" does not apply to this item)', 3)
    if kind == 'open' and context != 'context:primary-signature':
        fail(f'{target}: rejected\nsource=Insufficient Context', 3)
    if kind == 'execute' and not is_app:
        fail(target + ': rejected (the code is valid but does not seem to be an app)', 3)
    if kind == 'execute':
        exe = app_executable(target)
        facts = [codesig.judge(s) for _, s in codesig.slices(open(exe, 'rb').read())] if exe else []
        if not facts or not all(f['intact'] and f['developer_id'] for f in facts):
            fail(target + ': rejected\nsource=no usable signature', 3)
    if not ticket_for(target):
        fail(target + ': rejected\nsource=' + ('Unnotarized Developer ID' if kind == 'execute' else 'no usable signature'), 3)
    sys.stderr.write(target + ': accepted\nsource=Notarized Developer ID\n')


# --- codesign ---------------------------------------------------------------------------------------------------------

def codesign_targets(target, deep):
    """The Mach-O files codesign looks at: the file itself, or an .app's main executable (all code with --deep)."""
    if not os.path.isdir(target):
        return [target]
    exe = app_executable(target)
    if not exe:
        fail(target + ': code object is not signed at all\nIn architecture: (bundle format unrecognized, invalid, or unsuitable)', 1)
    if not deep:
        return [exe]
    found = [exe]
    for root, _, files in os.walk(os.path.join(target, 'Contents')):
        for f in files:
            full = os.path.join(root, f)
            if full != exe and not os.path.islink(full) and codesig.is_macho(open(full, 'rb').read(4)):
                found.append(full)
    return found


def verify_dmg(target):
    found = container(target)
    if not found or found[0] != 'dmg':
        return ['code object is not signed at all (not a disk image)']
    _, payload, (offset, length) = found
    if not length:
        return ['code object is not signed at all']
    data = open(target, 'rb').read()
    blobs = parse_detached(data[offset:offset + length])
    d = codesig.parse_cd(blobs[0])
    for i in range(d['n_code']):
        page = data[i * d['page_size']:min((i + 1) * d['page_size'], d['code_limit'])]
        if hashlib.new(d['hash_name'], page).digest() != blobs[0][d['hash_offset'] + i * d['hash_size']:d['hash_offset'] + (i + 1) * d['hash_size']]:
            return ['a sealed page has been modified']
    return []


def parse_detached(sb):
    _, _, count = struct.unpack_from('>III', sb, 0)
    out = {}
    for k in range(count):
        slot, off = struct.unpack_from('>II', sb, 12 + 8 * k)
        out[slot] = sb[off:off + struct.unpack_from('>I', sb, off + 4)[0]]
    return out


def sign_dmg(target, identifier):
    """An ad-hoc signature over the image (everything before it), kept where the fakes' koly trailer says."""
    found = container(target)
    if not found or found[0] != 'dmg':
        fail(target + ': the fake signs only the disk images its hdiutil makes', 1)
    payload = found[1]
    from adhoc_sign import code_directory  # test/support/adhoc_sign.py, on the path through codesig
    cd = code_directory(payload, len(payload), identifier, 'sha256', {}, codesig.CS_ADHOC, 0, 0)
    sb = struct.pack('>III', codesig.CSMAGIC_EMBEDDED_SIGNATURE, 12 + 8 + len(cd), 1) + struct.pack('>II', 0, 20) + cd
    open(target, 'wb').write(payload + sb + koly(len(payload), (len(payload), len(sb))))


def codesign(args):
    signing = value(args, '--sign', '-s')
    verifying = '--verify' in args or any(re.fullmatch(r'-v+', a) for a in args)
    target = args[-1].rstrip('/') if args else ''
    if not os.path.exists(target):
        fail(target + ': No such file or directory', 1)
    if verifying:
        if target.endswith('.dmg'):
            problems = verify_dmg(target)
        else:
            problems = []
            for f in codesign_targets(target, '--deep' in args):
                for arch, s in codesig.slices(open(f, 'rb').read()):
                    problems += [f'{p} (In architecture: {arch})' for p in codesig.verify(s)]
        if problems:
            fail(target + ': ' + '\n'.join(problems), 1)
        sys.stderr.write(target + ': valid on disk\n' + target + ': satisfies its Designated Requirement\n')
        return
    if signing is None:
        fail('Usage: codesign -s identity [-fv*] [-o flags] [-r reqs] [-i ident] path ...', 2)
    options = (value(args, '--options', '-o') or '').split(',')
    if any(f and f not in ('runtime', 'library', 'kill', 'hard', 'host', 'restrict') for f in options):
        fail('codesign: invalid option flag', 1)
    entitlements = value(args, '--entitlements')
    if entitlements and not os.path.isfile(entitlements):
        fail('codesign: cannot read entitlement data', 1)
    if signing != '-' and signing not in IDENTITIES:
        fail('error: The specified item could not be found in the keychain.', 1)
    if target.endswith('.dmg'):
        sign_dmg(target, value(args, '--identifier', '-i') or os.path.basename(target))
    else:
        for f in codesign_targets(target, False):
            data = open(f, 'rb').read()
            if not codesig.is_macho(data[:4]):
                fail(f + ': the fake signs only Mach-O files, .app bundles and its own disk images', 1)
            if any(codesig.superblob(s) for _, s in codesig.slices(data)) and '--force' not in args and '-f' not in args:
                fail(f + ': is already signed', 1)
            identifier = value(args, '--identifier', '-i') or os.path.basename(f)
            # Ad hoc, whatever identity was named: see the module's comment.
            open(f, 'wb').write(codesig.sign(data, identifier, entitlements, 'runtime' in options))
    sys.stderr.write(target + ': replacing existing signature\n')


IDENTITIES = ['Developer ID Application: Example Corp (ABCDE12345)', 'Apple Development: dev@example.com (FGHIJ67890)']


# --- the rest ---------------------------------------------------------------------------------------------------------

def ditto(args):
    if args[:3] != ['-c', '-k', '--keepParent'] or len(args) != 5:
        fail('fake ditto: expected -c -k --keepParent SRC DST', 64)
    open(args[4], 'wb').write(zip_of(args[3]))


def hdiutil(args):
    if args[:1] != ['create'] or not value(args, '-srcfolder') or not os.path.exists(value(args, '-srcfolder')):
        fail('hdiutil: create: a -srcfolder that exists is required', 1)
    payload = zip_of(value(args, '-srcfolder'))
    open(args[-1], 'wb').write(payload + koly(len(payload)))
    print('created: ' + args[-1])


def pkgbuild(args):
    identity = value(args, '--sign') or ''
    if identity and not identity.startswith('Developer ID Installer'):
        fail('pkgbuild: a Developer ID Installer identity is required', 1)
    root = value(args, '--root')
    if not root or not os.path.isdir(root):
        fail('pkgbuild: --root must name a folder', 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        for entry in sorted(os.listdir(root)):
            z.write(os.path.join(root, entry), entry)
    open(args[-1], 'wb').write(XAR_HEADER + buf.getvalue())
    print('pkgbuild: Wrote package to ' + args[-1])


def main():
    log_call(NAME, ARGS)
    leaked = [s for s in SECRETS if s in os.environ]
    if leaked:
        fail(f'fake-apple: {", ".join(leaked)} reached {NAME}\'s environment: go-macos-sign must not pass its secrets to tools', 70)
    if NAME == 'xcrun':
        if not ARGS:
            fail('usage: xcrun tool', 64)
        log_call(ARGS[0], ARGS[1:])
        {'notarytool': notarytool, 'stapler': stapler}.get(ARGS[0], lambda a: fail('xcrun: error: unable to find utility "' + ARGS[0] + '"', 72))(ARGS[1:])
    elif NAME == 'codesign':
        codesign(ARGS)
    elif NAME == 'ditto':
        ditto(ARGS)
    elif NAME == 'xattr':
        if ARGS[:1] != ['-cr'] or not os.path.exists(ARGS[-1]):
            fail('xattr: [Errno 2] No such file: ' + ARGS[-1], 1)
    elif NAME == 'security':
        if ARGS[:1] == ['find-identity']:
            for i, name in enumerate(IDENTITIES):
                print(f'  {i + 1}) {str(i + 1) * 40} "{name}"')
            print(f'     {len(IDENTITIES)} valid identities found')
        else:
            fail('security: unknown command', 1)
    elif NAME == 'spctl':
        spctl(ARGS)
    elif NAME == 'hdiutil':
        hdiutil(ARGS)
    elif NAME == 'pkgbuild':
        pkgbuild(ARGS)
    else:
        fail('fake-apple: unknown tool ' + NAME, 127)


if __name__ == '__main__':  # imported by notary_review.py (test/support/fakeNotary.ts)
    main()
