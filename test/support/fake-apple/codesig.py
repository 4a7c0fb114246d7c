"""Mach-O code signatures for the fake Apple tools: read, verify, judge and sign ad hoc. Test-only and independent of
go-macos-sign's TypeScript: python's struct, hashlib and plistlib, written from Apple's published format
(mach-o/loader.h, cs_blobs.h), with OpenSSL for the CMS.

- `slices(data)`: the thin 64-bit slices of a file (fat or thin), with their architecture names.
- `verify(slice)`: what `codesign --verify` finds wrong with a slice: no signature, a CodeDirectory page hash or a
  special slot (requirements, entitlements) that does not match, a CMS whose signature over the CodeDirectory does not
  verify. An empty list means intact.
- `judge(slice)`: the facts the notary service decides on: intact, signed by a Developer ID Application certificate
  that chains to Apple Root CA (pinned by its SHA-256, the embedded copy is only bytes), hardened runtime, a secure
  timestamp in the CMS, get-task-allow; with the cdhash the ticket would list.
- `sign(data, ...)`: re-signs every slice ad hoc the way `codesign -s -` lays a signature out (adding LC_CODE_SIGNATURE
  when the slice has none, as darwin/amd64 Go output), keeping a fat file's slice alignment.
"""
import base64
import hashlib
import os
import plistlib
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), '..'))
from adhoc_sign import LC_CODE_SIGNATURE, LC_SEGMENT_64, blob, code_directory, der_entitlements, embedded_signature, load_commands, segments  # noqa: E402  (test/support/adhoc_sign.py)

FAT_MAGIC, FAT_MAGIC_64 = 0xCAFEBABE, 0xCAFEBABF
CSMAGIC_EMBEDDED_SIGNATURE, CSMAGIC_CODEDIRECTORY, CSMAGIC_BLOBWRAPPER = 0xFADE0CC0, 0xFADE0C02, 0xFADE0B01
CS_ADHOC, CS_RUNTIME = 0x2, 0x10000
ARCHS = {0x0100000C: 'arm64', 0x01000007: 'x86_64'}
HASH_NAMES = {1: 'sha1', 2: 'sha256'}
# SHA-256 of Apple Root CA's DER (apple.com/certificateauthority): the only anchor a Developer ID chain may end at.
APPLE_ROOT_CA_SHA256 = 'b0b1730ecbc7ff4505142c49f1295e6eda6bcaed7e2c68c5be91b5a11001f024'


def is_macho(data):
    return len(data) >= 4 and struct.unpack_from('>I', data, 0)[0] in (FAT_MAGIC, FAT_MAGIC_64, 0xCFFAEDFE)


def fat_entries(data):
    """(cputype, offset, size, align) of each slice, or None for a thin file."""
    magic = struct.unpack_from('>I', data, 0)[0]
    if magic not in (FAT_MAGIC, FAT_MAGIC_64):
        return None
    n = struct.unpack_from('>I', data, 4)[0]
    if magic == FAT_MAGIC:
        return [(c, o, s, a) for c, _, o, s, a in (struct.unpack_from('>iiIII', data, 8 + 20 * i) for i in range(n))]
    return [(c, o, s, a) for c, _, o, s, a, _ in (struct.unpack_from('>iiQQII', data, 8 + 32 * i) for i in range(n))]


def slices(data):
    entries = fat_entries(data)
    if entries is None:
        return [(ARCHS.get(struct.unpack_from('<i', data, 4)[0], '?'), bytes(data))]
    return [(ARCHS.get(cpu, str(cpu)), bytes(data[off:off + size])) for cpu, off, size, _ in entries]


def superblob(s):
    """{slot: blob bytes} of the embedded signature, or None when the slice has no LC_CODE_SIGNATURE."""
    for cmd, at, _ in load_commands(s):
        if cmd == LC_CODE_SIGNATURE:
            dataoff, datasize = struct.unpack_from('<II', s, at + 8)
            sb = s[dataoff:dataoff + datasize]
            magic, _, count = struct.unpack_from('>III', sb, 0)
            if magic != CSMAGIC_EMBEDDED_SIGNATURE:
                raise ValueError('the signature is not an embedded signature superblob')
            out = {}
            for k in range(count):
                slot, off = struct.unpack_from('>II', sb, 12 + 8 * k)
                length = struct.unpack_from('>I', sb, off + 4)[0]
                out[slot] = sb[off:off + length]
            return out
    return None


def parse_cd(cd):
    (magic, length, version, flags, hash_offset, ident_offset, n_special, n_code, code_limit, hash_size, hash_type, _,
     page_shift) = struct.unpack_from('>IIIIIIIIIBBBB', cd, 0)
    if magic != CSMAGIC_CODEDIRECTORY:
        raise ValueError('slot 0 is not a CodeDirectory')
    ident = cd[ident_offset:cd.index(b'\0', ident_offset)].decode('utf-8', 'replace')
    return dict(version=version, flags=flags, hash_offset=hash_offset, n_special=n_special, n_code=n_code,
                code_limit=code_limit, hash_size=hash_size, hash_name=HASH_NAMES.get(hash_type), page_size=1 << page_shift if page_shift else 0,
                identifier=ident)


def cdhash(cd):
    return hashlib.new(parse_cd(cd)['hash_name'], cd).hexdigest()[:40]


def openssl(*args, input=None):
    return subprocess.run(['openssl', *args], input=input, capture_output=True)


def certificates(cms):
    """The DER certificates a CMS SignedData carries, by way of openssl's PEM output."""
    pem = openssl('pkcs7', '-inform', 'DER', '-print_certs', input=cms).stdout.decode()
    blocks = [b for b in pem.split('-----END CERTIFICATE-----') if '-----BEGIN CERTIFICATE-----' in b]
    return [b[b.index('-----BEGIN CERTIFICATE-----'):] + '-----END CERTIFICATE-----\n' for b in blocks]


def cms_facts(cms, cd):
    """(verifies, developer_id, timestamped, problem) for the CMS over the primary CodeDirectory."""
    with tempfile.TemporaryDirectory() as tmp:
        cms_file, cd_file, root_file = (os.path.join(tmp, n) for n in ('cms.der', 'cd.bin', 'root.pem'))
        open(cms_file, 'wb').write(cms)
        open(cd_file, 'wb').write(cd)
        certs = certificates(cms)
        root = [c for c in certs if hashlib.sha256(pem_der(c)).hexdigest() == APPLE_ROOT_CA_SHA256]
        # The signature over the CodeDirectory alone (-noverify: no chain), as codesign checks it for any identity.
        if openssl('cms', '-verify', '-inform', 'DER', '-in', cms_file, '-binary', '-content', cd_file, '-noverify', '-out', os.devnull).returncode != 0:
            return False, False, False, 'the CMS signature does not match the CodeDirectory'
        printed = openssl('cms', '-cmsout', '-print', '-inform', 'DER', '-in', cms_file).stdout.decode('utf-8', 'replace')
        developer_id = False
        if root and 'Developer ID Application:' in printed:
            open(root_file, 'w').write(root[0])
            # Apple Root CA as the one trust anchor; certificates may have expired since the (timestamped) signing, and
            # Apple's code-signing extensions are critical ones OpenSSL does not know (codesign does).
            developer_id = openssl('cms', '-verify', '-inform', 'DER', '-in', cms_file, '-binary', '-content', cd_file, '-CAfile', root_file,
                                   '-purpose', 'any', '-no_check_time', '-ignore_critical', '-out', os.devnull).returncode == 0
        timestamped = 'id-smime-aa-timeStampToken' in printed
        return True, developer_id, timestamped, None


def pem_der(pem):
    body = ''.join(l for l in pem.splitlines() if l and not l.startswith('-----'))
    return base64.b64decode(body)


def verify(s):
    """Problems `codesign --verify` would report for one slice; [] when the signature is intact."""
    try:
        blobs = superblob(s)
    except (ValueError, struct.error) as e:
        return ['invalid signature: ' + str(e)]
    if blobs is None:
        return ['code object is not signed at all']
    if 0 not in blobs:
        return ['invalid signature: no CodeDirectory']
    problems = []
    for slot in [0] + [k for k in blobs if 0x1000 <= k < 0x1005]:
        cd = blobs[slot]
        d = parse_cd(cd)
        if d['hash_name'] is None:
            problems.append('unsupported hash type')
            continue
        size, page = d['hash_size'], d['page_size'] or d['code_limit']
        for i in range(d['n_code']):
            want = cd[d['hash_offset'] + i * size:d['hash_offset'] + (i + 1) * size]
            got = hashlib.new(d['hash_name'], s[i * page:min((i + 1) * page, d['code_limit'])]).digest()[:size]
            if want != got:
                problems.append(f'a sealed page has been modified (page {i})')
                break
        for k in range(1, d['n_special'] + 1):
            want = cd[d['hash_offset'] - k * size:d['hash_offset'] - (k - 1) * size]
            if k in blobs and hashlib.new(d['hash_name'], blobs[k]).digest()[:size] != want:
                problems.append(f'a sealed component (special slot {k}) has been modified')
    cms = blobs.get(0x10000, b'')
    if len(cms) > 8:
        ok, _, _, problem = cms_facts(cms[8:], blobs[0])
        if not ok:
            problems.append(problem)
    return problems


def entitlements(blobs):
    xml = blobs.get(5)
    if not xml:
        return {}
    try:
        return plistlib.loads(xml[8:].lstrip())
    except Exception:
        return {}


def judge(s):
    """What the notary service decides on for one slice."""
    problems = verify(s)
    try:
        blobs = superblob(s)
    except (ValueError, struct.error):
        blobs = None
    facts = dict(signed=blobs is not None, intact=not problems, developer_id=False, runtime=False, timestamp=False, get_task_allow=False, cdhash=None)
    if blobs is None or 0 not in blobs or not facts['intact']:
        return facts
    d = parse_cd(blobs[0])
    facts['cdhash'] = cdhash(blobs[0])
    facts['runtime'] = bool(d['flags'] & CS_RUNTIME)
    facts['get_task_allow'] = entitlements(blobs).get('com.apple.security.get-task-allow') is True
    cms = blobs.get(0x10000, b'')
    if len(cms) > 8 and not (d['flags'] & CS_ADHOC):
        ok, developer_id, timestamped, _ = cms_facts(cms[8:], blobs[0])
        facts['developer_id'] = ok and developer_id
        facts['timestamp'] = ok and timestamped
    return facts


# --- ad-hoc signing ---------------------------------------------------------------------------------------------------

def sign_thin(data, identifier, entitlements_file=None, runtime=False):
    data = bytearray(data)
    linkedit, text_size, sig_cmd, first_section = segments(data)
    if linkedit is None:
        raise ValueError('no __LINKEDIT segment')
    if sig_cmd is None:
        # No signature yet (darwin/amd64 Go output): add LC_CODE_SIGNATURE in the padding after the load commands.
        ncmds, sizeofcmds = struct.unpack_from('<II', data, 16)
        at = 32 + sizeofcmds
        if first_section is not None and at + 16 > first_section:
            raise ValueError('no room for LC_CODE_SIGNATURE')
        fileoff, filesize = struct.unpack_from('<QQ', data, linkedit + 40)
        end = fileoff + filesize
        data = data[:end] + b'\0' * ((-end) % 16)
        struct.pack_into('<IIII', data, at, LC_CODE_SIGNATURE, 16, len(data), 0)
        struct.pack_into('<II', data, 16, ncmds + 1, sizeofcmds + 16)
        sig_cmd = at
    dataoff = struct.unpack_from('<I', data, sig_cmd + 8)[0]
    blobs = {2: blob(0xFADE0C01, struct.pack('>I', 0))}  # an empty requirement set, as codesign -s - writes
    if entitlements_file:
        blobs[5] = blob(0xFADE7171, open(entitlements_file, 'rb').read())
        blobs[7] = blob(0xFADE7172, der_entitlements(entitlements_file))
    flags = CS_ADHOC | (CS_RUNTIME if runtime else 0)

    def build(content):
        cd = code_directory(content, dataoff, identifier, 'sha256', blobs, flags, text_size, max(blobs))
        return embedded_signature([(0, cd)] + sorted(blobs.items()) + [(0x10000, struct.pack('>II', CSMAGIC_BLOBWRAPPER, 8))])

    size = (len(build(bytes(data[:dataoff]))) + 15) // 16 * 16
    struct.pack_into('<I', data, sig_cmd + 12, size)
    fileoff = struct.unpack_from('<Q', data, linkedit + 40)[0]
    struct.pack_into('<Q', data, linkedit + 48, dataoff + size - fileoff)
    struct.pack_into('<Q', data, linkedit + 32, (dataoff + size - fileoff + 0x3FFF) // 0x4000 * 0x4000)
    signature = build(bytes(data[:dataoff]))
    return bytes(data[:dataoff]) + signature + b'\0' * (size - len(signature))


def sign(data, identifier, entitlements_file=None, runtime=False):
    """Every slice signed ad hoc; a fat file is laid out again with each slice at its alignment."""
    entries = fat_entries(data)
    if entries is None:
        return sign_thin(data, identifier, entitlements_file, runtime)
    if struct.unpack_from('>I', data, 0)[0] != FAT_MAGIC:
        raise ValueError('64-bit fat headers are not supported by the fake')
    signed = [(cpu, sign_thin(data[off:off + size], identifier, entitlements_file, runtime), align) for cpu, off, size, align in entries]
    header = struct.pack('>II', FAT_MAGIC, len(signed))
    at = 8 + 20 * len(signed)
    placed = []
    for cpu, s, align in signed:
        at += (-at) % (1 << align)
        placed.append((cpu, at, s, align))
        at += len(s)
    out = bytearray(at)
    for cpu, off, s, align in placed:
        subtype = struct.unpack_from('<i', s, 8)[0]
        header += struct.pack('>iiIII', cpu, subtype, off, len(s), align)
        out[off:off + len(s)] = s
    out[:len(header)] = header
    return bytes(out)
