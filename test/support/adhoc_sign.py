#!/usr/bin/env python3
"""Re-signs a thin 64-bit little-endian Mach-O ad hoc, the way `codesign -s - --entitlements` lays a signature out.

A test-only, independent producer of code signatures (python's hashlib and struct, written from Apple's published
format, not from go-macos-sign's TypeScript), so tests can exercise what no redistributable binary carries:
alternate CodeDirectories (SHA-1 in slot 0, SHA-256 in slot 0x1000), requirements, XML and DER entitlements, and the
runtime flag. The signature replaces the existing one at the same offset; LC_CODE_SIGNATURE and __LINKEDIT are
resized and every page is hashed after that.

usage: adhoc_sign.py IN OUT --identifier ID [--entitlements PLIST] [--der-entitlements PLIST] [--runtime]
                     [--hashes sha1,sha256] [--special-slots N] [--info-plist FILE]
--info-plist seals FILE's bytes in special slot 1, as codesign does for a bundle's Contents/Info.plist.
Prints {"cdhashes": {hash name: full cdhash hex}} as JSON.
"""
import argparse
import hashlib
import json
import plistlib
import struct

CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_REQUIREMENTS = 0xFADE0C01
CSMAGIC_ENTITLEMENTS = 0xFADE7171
CSMAGIC_DER_ENTITLEMENTS = 0xFADE7172
HASHES = {'sha1': (1, 20), 'sha256': (2, 32)}


LC_SEGMENT_64, LC_CODE_SIGNATURE = 0x19, 0x1D


def load_commands(data):
    magic, _, _, _, ncmds, _, _, _ = struct.unpack_from('<IiiIIIII', data, 0)
    if magic != 0xFEEDFACF:
        raise ValueError('not a 64-bit little-endian Mach-O')
    at = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from('<II', data, at)
        yield cmd, at, size
        at += size


def segments(data):
    """What a signer needs: the offsets of __LINKEDIT's and LC_CODE_SIGNATURE's load commands, __TEXT's size and the
    file offset of the first section (the end of the room for new load commands)."""
    linkedit = text_size = sig_cmd = first_section = None
    for cmd, at, _ in load_commands(data):
        if cmd == LC_CODE_SIGNATURE:
            sig_cmd = at
        if cmd == LC_SEGMENT_64:
            name = data[at + 8:at + 24].rstrip(b'\0')
            if name == b'__LINKEDIT':
                linkedit = at
            if name == b'__TEXT':
                text_size = struct.unpack_from('<Q', data, at + 48)[0]
            nsects = struct.unpack_from('<I', data, at + 64)[0]
            for k in range(nsects):
                offset = struct.unpack_from('<I', data, at + 72 + 80 * k + 48)[0]
                if offset and (first_section is None or offset < first_section):
                    first_section = offset
    return linkedit, text_size, sig_cmd, first_section


def embedded_signature(entries):
    """The embedded-signature SuperBlob: a count, an index of (slot, offset) and the blobs, in the order given."""
    offset = 12 + 8 * len(entries)
    index, body = b'', b''
    for slot, b in entries:
        index += struct.pack('>II', slot, offset + len(body))
        body += b
    return struct.pack('>III', CSMAGIC_EMBEDDED_SIGNATURE, 12 + len(index) + len(body), len(entries)) + index + body


def der(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(size)]) + size + content


def der_value(v):
    """CoreEntitlements' DER form: booleans, integers, UTF8 strings, arrays, and [CONTEXT 16] dictionaries."""
    if isinstance(v, bool):
        return der(0x01, b'\xff' if v else b'\x00')
    if isinstance(v, int):
        return der(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), 'big', signed=True))
    if isinstance(v, str):
        return der(0x0C, v.encode())
    if isinstance(v, list):
        return der(0x30, b''.join(der_value(x) for x in v))
    if isinstance(v, dict):
        return der(0xB0, b''.join(der(0x30, der_value(k) + der_value(v[k])) for k in sorted(v)))
    raise ValueError(f'no DER form for {v!r}')


def der_entitlements(plist_file):
    return der(0x70, der(0x02, b'\x01') + der_value(plistlib.load(open(plist_file, 'rb'))))


def blob(magic, payload):
    return struct.pack('>II', magic, 8 + len(payload)) + payload


def code_directory(data, limit, ident, hash_name, special, flags, text_size, n_special):
    hash_type, size = HASHES[hash_name]
    n_code = (limit + 4095) // 4096
    ident_bytes = ident.encode() + b'\0'
    hash_offset = 88 + len(ident_bytes) + n_special * size
    slots = []
    for k in range(n_special, 0, -1):
        content = special.get(k)
        slots.append(hashlib.new(hash_name, content).digest() if content is not None else b'\0' * size)
    for i in range(n_code):
        slots.append(hashlib.new(hash_name, data[i * 4096:min((i + 1) * 4096, limit)]).digest())
    length = hash_offset + n_code * size
    header = struct.pack('>IIIIIIIIIBBBBIIIIQQQQ', CSMAGIC_CODEDIRECTORY, length, 0x20400, flags, hash_offset, 88,
                         n_special, n_code, limit, size, hash_type, 0, 12, 0, 0, 0, 0, 0, 0, text_size, 1)
    return header + ident_bytes + b''.join(slots)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('input')
    p.add_argument('output')
    p.add_argument('--identifier', required=True)
    p.add_argument('--entitlements')
    p.add_argument('--der-entitlements')
    p.add_argument('--runtime', action='store_true')
    p.add_argument('--hashes', default='sha256')
    p.add_argument('--special-slots', type=int, help='seal fewer special slots than there are blobs')
    p.add_argument('--info-plist', help='seal this file in special slot 1 (Info.plist)')
    a = p.parse_args()
    data = bytearray(open(a.input, 'rb').read())
    linkedit, text_size, sig_cmd, _ = segments(data)
    dataoff = struct.unpack_from('<I', data, sig_cmd + 8)[0]

    blobs = {2: blob(CSMAGIC_REQUIREMENTS, struct.pack('>I', 0))}  # an empty requirement set, as codesign -s - writes
    if a.entitlements:
        blobs[5] = blob(CSMAGIC_ENTITLEMENTS, open(a.entitlements, 'rb').read())
    if a.der_entitlements:
        blobs[7] = blob(CSMAGIC_DER_ENTITLEMENTS, der_entitlements(a.der_entitlements))
    sealed = dict(blobs)  # what the special slots hash: the blobs, and files outside the signature
    if a.info_plist:
        sealed[1] = open(a.info_plist, 'rb').read()
    n_special = a.special_slots if a.special_slots is not None else max(sealed)
    flags = 0x2 | (0x10000 if a.runtime else 0)
    hashes = a.hashes.split(',')

    # Size the signature first (CD sizes do not depend on the hash values), then patch the load commands it depends on.
    def build(content):
        cds = [code_directory(content, dataoff, a.identifier, h, sealed, flags, text_size, n_special) for h in hashes]
        build.cdhashes = {h: hashlib.new(h, cd).hexdigest() for h, cd in zip(hashes, cds)}
        entries = [(0, cds[0])] + [(0x1000 + i, cd) for i, cd in enumerate(cds[1:])] + sorted(blobs.items())
        # Apple puts the CMS wrapper last; an empty wrapper means "no CMS" for an ad-hoc signature.
        entries.append((0x10000, struct.pack('>II', 0xFADE0B01, 8)))
        return embedded_signature(entries)

    size = (len(build(data[:dataoff])) + 15) // 16 * 16
    struct.pack_into('<I', data, sig_cmd + 12, size)
    fileoff = struct.unpack_from('<Q', data, linkedit + 40)[0]
    struct.pack_into('<Q', data, linkedit + 48, dataoff + size - fileoff)  # filesize
    struct.pack_into('<Q', data, linkedit + 32, (dataoff + size - fileoff + 0x3FFF) // 0x4000 * 0x4000)  # vmsize
    signature = build(bytes(data[:dataoff]))
    open(a.output, 'wb').write(bytes(data[:dataoff]) + signature + b'\0' * (size - len(signature)))
    print(json.dumps({'cdhashes': build.cdhashes}))


if __name__ == '__main__':
    main()
