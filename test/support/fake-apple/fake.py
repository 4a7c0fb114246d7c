#!/usr/bin/env python3
"""Stand-ins for Apple's command-line tools on Linux, for tests only: xcrun (notarytool, stapler), codesign, ditto,
xattr, security, spctl, hdiutil and pkgbuild. Each checks its arguments the way the real tool documents them and
answers in Apple's documented formats: notarytool's `--output-format json` lines, and a developer log shaped like the
real ones (status, statusSummary, issues with severity/code/path/message/docUrl/architecture, ticketContents with
the cdhash of every signed slice, computed here independently from the submitted archive).

Every call is appended to $FAKE_APPLE_LOG as one JSON array (argv[0] name + arguments). Behaviour knobs:
FAKE_NOTARY_DIR (where submissions live), FAKE_NOTARY_STATUS (Accepted | Invalid) or FAKE_NOTARY_STATUS_FILE,
FAKE_NOTARY_WAIT_SECONDS.
The fakes never sign anything: codesign leaves the file as it is.
"""
import hashlib, io, json, os, struct, sys, time, uuid, zipfile

NAME = os.path.basename(sys.argv[0])
ARGS = sys.argv[1:]


def log_call(name, args):
    path = os.environ.get('FAKE_APPLE_LOG')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps([name] + args) + '\n')


def fail(message, code=1):
    sys.stderr.write(message + '\n')
    sys.exit(code)


def cdhashes(data):
    """cdhash (SHA-256 of the primary CodeDirectory, first 20 bytes) of each signed slice, with its architecture."""
    out = []
    magic = struct.unpack_from('>I', data, 0)[0]
    slices = []
    if magic in (0xCAFEBABE, 0xCAFEBABF):
        n = struct.unpack_from('>I', data, 4)[0]
        for i in range(n):
            if magic == 0xCAFEBABE:
                cpu, _, off, size, _ = struct.unpack_from('>iiIII', data, 8 + 20 * i)
            else:
                cpu, _, off, size, _, _ = struct.unpack_from('>iiQQII', data, 8 + 32 * i)
            slices.append((cpu, data[off:off + size]))
    else:
        slices.append((struct.unpack_from('<i', data, 4)[0], data))
    for cpu, s in slices:
        if struct.unpack_from('<I', s, 0)[0] != 0xFEEDFACF:
            continue
        ncmds = struct.unpack_from('<I', s, 16)[0]
        at = 32
        for _ in range(ncmds):
            cmd, size = struct.unpack_from('<II', s, at)
            if cmd == 0x1D:
                dataoff, datasize = struct.unpack_from('<II', s, at + 8)
                blob = s[dataoff:dataoff + datasize]
                count = struct.unpack_from('>I', blob, 8)[0]
                for k in range(count):
                    slot, off = struct.unpack_from('>II', blob, 12 + 8 * k)
                    if slot == 0:
                        length = struct.unpack_from('>I', blob, off + 4)[0]
                        arch = {0x0100000C: 'arm64', 0x01000007: 'x86_64'}.get(cpu, str(cpu))
                        out.append((arch, hashlib.sha256(blob[off:off + length]).hexdigest()[:40]))
            at += size
    return out


def notary_status():
    """The verdict to give: from the file $FAKE_NOTARY_STATUS_FILE if set (a long-running editor's tests change it), else $FAKE_NOTARY_STATUS."""
    path = os.environ.get('FAKE_NOTARY_STATUS_FILE')
    if path and os.path.exists(path):
        return open(path).read().strip() or 'Accepted'
    return os.environ.get('FAKE_NOTARY_STATUS', 'Accepted')


def auth_ok(args):
    methods = [m for m in (['--keychain-profile', '-p'], ['--key', '-k'], ['--apple-id']) if any(a in args for a in m)]
    if len(methods) != 1:
        fail('Error: No Keychain password item found for profile, or more than one authentication method was given.', 69)
    if any(a in args for a in ('--key', '-k')) and not any(a in args for a in ('--key-id', '-d')):
        fail('Error: --key-id is required with --key', 64)
    if '--password' in args:
        fail('fake notarytool: refusing a password on the command line (go-macos-sign must never pass one)', 64)


def notarytool(args):
    store = os.environ.get('FAKE_NOTARY_DIR', '/tmp/fake-notary')
    os.makedirs(store, exist_ok=True)
    sub = args[0] if args else ''
    rest = args[1:]
    if sub in ('submit', 'wait', 'log', 'info'):
        auth_ok(rest)
    if sub == 'submit':
        path = rest[0]
        if not path.endswith(('.zip', '.dmg', '.pkg')):
            fail('Error: notarytool submit works only with UDIF disk images, signed "flat" installer packages, and zip files.', 64)
        hashes = []
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                data = z.read(name)
                if len(data) >= 4 and struct.unpack_from('>I', data, 0)[0] in (0xCAFEBABE, 0xCAFEBABF, 0xCFFAEDFE):
                    hashes += [(name, arch, h) for arch, h in cdhashes(data)]
        sid = str(uuid.uuid4())
        with open(os.path.join(store, sid + '.json'), 'w') as f:
            json.dump({'archive': os.path.basename(path), 'status': notary_status(), 'hashes': hashes}, f)
        if '--wait' in rest:
            fail('fake notarytool: go-macos-sign submits without --wait and waits separately', 64)
        print(json.dumps({'id': sid, 'message': 'Successfully uploaded file', 'path': path}))
    elif sub == 'wait':
        sid = rest[0]
        record = os.path.join(store, sid + '.json')
        if not os.path.exists(record):
            fail('Error: HTTP status code: 404. Submission does not exist or does not belong to your team.', 69)
        time.sleep(float(os.environ.get('FAKE_NOTARY_WAIT_SECONDS', '0')))
        status = json.load(open(record))['status']
        print(json.dumps({'id': sid, 'status': status, 'message': 'Processing complete'}))
    elif sub == 'log':
        sid = rest[0]
        record = json.load(open(os.path.join(store, sid + '.json')))
        accepted = record['status'] == 'Accepted'
        archive = record['archive']
        developer_log = {
            'logFormatVersion': 1,
            'jobId': sid,
            'status': record['status'],
            'statusSummary': 'Ready for distribution' if accepted else 'Archive contains critical validation errors',
            'statusCode': 0 if accepted else 4000,
            'archiveFilename': archive,
            'uploadDate': '2026-11-24T12:00:00.000Z',
            'sha256': '0' * 64,
            'ticketContents': [{'path': archive + '/' + n, 'digestAlgorithm': 'SHA-256', 'cdhash': h, 'arch': a} for n, a, h in record['hashes']] if accepted else None,
            'issues': None if accepted else [
                {'severity': 'error', 'code': None, 'path': archive + '/' + n, 'message': m, 'docUrl': u, 'architecture': a}
                for n, a, _ in record['hashes']
                for m, u in (
                    ('The signature does not include a secure timestamp.', 'https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues#3087733'),
                    ('The executable does not have the hardened runtime enabled.', 'https://developer.apple.com/documentation/security/notarizing_macos_software_before_distribution/resolving_common_notarization_issues#3087724'),
                )
            ],
        }
        outputs = [a for a in rest[1:] if not a.startswith('-') and a not in (rest_value(rest))]
        text = json.dumps(developer_log, indent=2)
        if outputs:
            open(outputs[-1], 'w').write(text)
        else:
            print(text)
    else:
        fail('Error: unknown notarytool subcommand ' + sub, 64)


def rest_value(args):
    """Values of notarytool options that take one, so they are not taken for the output path."""
    values = []
    for i, a in enumerate(args):
        if a in ('--keychain-profile', '-p', '--key', '-k', '--key-id', '-d', '--issuer', '-i', '--keychain', '--apple-id', '--team-id', '--timeout', '--output-format', '-f') and i + 1 < len(args):
            values.append(args[i + 1])
    return values


def stapler(args):
    if not args or args[0] not in ('staple', 'validate'):
        fail('usage: stapler staple | validate', 64)
    target = args[-1].rstrip('/')
    if not target.endswith(('.app', '.dmg', '.pkg')):
        print('Processing: ' + target)
        fail('The staple and validate action failed! Error 73.', 65)
    print('Processing: ' + target)
    print('The staple and validate action worked!')


def codesign(args):
    signing = '--sign' in args or '-s' in args or any(a.startswith('-') and not a.startswith('--') and 's' in a[1:] for a in args)
    verifying = '--verify' in args or any(a.startswith('-v') for a in args)
    path = args[-1]
    if not os.path.exists(path):
        fail(path + ': No such file or directory', 1)
    if verifying:
        sys.stderr.write(path + ': valid on disk\n' + path + ': satisfies its Designated Requirement\n')
        return
    if signing:
        if '--options' in args:
            flags = args[args.index('--options') + 1].split(',')
            if any(f not in ('runtime', 'library', 'kill', 'hard', 'host', 'restrict') for f in flags):
                fail('codesign: invalid option flag', 1)
        if '--entitlements' in args and not os.path.exists(args[args.index('--entitlements') + 1]):
            fail('codesign: cannot read entitlement data', 1)
        sys.stderr.write(path + ': replacing existing signature\n')
        return
    fail('Usage: codesign -s identity [-fv*] [-o flags] [-r reqs] [-i ident] path ...', 2)


def ditto(args):
    if args[:3] != ['-c', '-k', '--keepParent'] or len(args) != 5:
        fail('fake ditto: expected -c -k --keepParent SRC DST', 64)
    src, dst = args[3], args[4]
    with zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as z:
        if os.path.isdir(src):
            for root, _, files in os.walk(src):
                for f in files:
                    full = os.path.join(root, f)
                    z.write(full, os.path.relpath(full, os.path.dirname(src.rstrip('/'))))
        else:
            z.write(src, os.path.basename(src))


def main():
    log_call(NAME, ARGS)
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
        if ARGS[:3] == ['find-identity', '-v', '-p'] or ARGS[:1] == ['find-identity']:
            print('  1) 1111111111111111111111111111111111111111 "Developer ID Application: Example Corp (ABCDE12345)"')
            print('  2) 2222222222222222222222222222222222222222 "Apple Development: dev@example.com (FGHIJ67890)"')
            print('     2 valid identities found')
        else:
            fail('security: unknown command', 1)
    elif NAME == 'spctl':
        target = ARGS[-1].rstrip('/')
        if target.endswith(('.app', '.dmg', '.pkg')):
            sys.stderr.write(target + ': accepted\nsource=Notarized Developer ID\n')
        else:
            fail(target + ': rejected (the code is valid but does not seem to be an app)', 3)
    elif NAME in ('hdiutil', 'pkgbuild'):
        if NAME == 'pkgbuild' and not args_value('--sign', '').startswith('Developer ID Installer'):
            fail('pkgbuild: a Developer ID Installer identity is required', 1)
        open(ARGS[-1], 'wb').write(b'fake ' + NAME.encode())
    else:
        fail('fake-apple: unknown tool ' + NAME, 127)


def args_value(name, default):
    return ARGS[ARGS.index(name) + 1] if name in ARGS and ARGS.index(name) + 1 < len(ARGS) else default


main()
