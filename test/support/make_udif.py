#!/usr/bin/env python3
"""An independent UDIF (.dmg) writer for tests, from the format's public descriptions (Apple's UDIFResourceFile,
the "mish" BLKXTable) and, for the signature, the layout rcodesign's dmg.rs documents.

Writes: a raw data fork of N sectors, the XML resource plist with one blkx entry (one raw chunk and the terminator),
and the 512-byte koly trailer with CRC32 checksums. With --sign IDENT the image is ad-hoc signed the way codesign
and rcodesign sign disk images: a CodeDirectory 0x20100 with page size 1 (stored as 0) and one code slot hashing every
byte before the signature, the rep-specific special slot (6) hashing the trailer with the signature size 0 and its
offset at the plist's end, an empty requirement set (slot 2) and an empty CMS BlobWrapper. Prints JSON: the cdhash
(first 20 bytes, hex) and digest type, the offsets written.

usage: make_udif.py OUT [--sectors N] [--sign IDENT] [--hash sha256|sha1]
"""
import argparse
import hashlib
import json
import plistlib
import struct
import zlib

KOLY = 512


def mish(sectors):
    header = struct.pack('>4sIQQQII', b'mish', 1, 0, sectors, 0, 0x208, 0) + b'\0' * 24
    checksum = struct.pack('>II', 2, 32) + b'\0' * 128
    chunks = struct.pack('>IIQQQQ', 1, 0, 0, sectors, 0, sectors * 512)
    chunks += struct.pack('>IIQQQQ', 0xFFFFFFFF, 0, sectors, 0, sectors * 512, 0)
    return header + checksum + struct.pack('>I', 2) + chunks


def koly(data_len, sectors, crc, plist_off, plist_len, sig_off, sig_len):
    out = struct.pack('>4sIIIQQQQQII', b'koly', 4, KOLY, 1, 0, 0, data_len, 0, 0, 1, 1)
    out += bytes(range(16))  # segment id
    out += struct.pack('>II', 2, 32) + struct.pack('>I', crc) + b'\0' * 124
    out += struct.pack('>QQ', plist_off, plist_len) + b'\0' * 64
    out += struct.pack('>QQ', sig_off, sig_len) + b'\0' * 40
    out += struct.pack('>II', 2, 32) + struct.pack('>I', crc) + b'\0' * 124
    out += struct.pack('>IQ', 1, sectors) + b'\0' * 12
    assert len(out) == KOLY, len(out)
    return out


def blob(magic, payload):
    return struct.pack('>II', magic, 8 + len(payload)) + payload


def superblob(entries):
    offset = 12 + 8 * len(entries)
    index, body = b'', b''
    for slot, b in entries:
        index += struct.pack('>II', slot, offset + len(body))
        body += b
    return struct.pack('>III', 0xFADE0CC0, 12 + len(index) + len(body), len(entries)) + index + body


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out')
    p.add_argument('--sectors', type=int, default=8)
    p.add_argument('--sign')
    p.add_argument('--hash', default='sha256', choices=['sha256', 'sha1'])
    a = p.parse_args()

    data = bytes((i * 7 + 3) % 251 for i in range(a.sectors * 512))
    plist = plistlib.dumps({'resource-fork': {'blkx': [
        {'Attributes': '0x0050', 'CFName': 'whole disk (Apple_HFS : 0)', 'Data': mish(a.sectors), 'ID': '-1',
         'Name': 'whole disk (Apple_HFS : 0)'}]}}, fmt=plistlib.FMT_XML)
    crc = zlib.crc32(data)
    plist_off = len(data)
    image = data + plist
    result = {'plistOffset': plist_off, 'plistLength': len(plist)}
    sig = b''
    if a.sign:
        hash_type, size = {'sha256': (2, 32), 'sha1': (1, 20)}[a.hash]
        end = plist_off + len(plist)
        requirements = blob(0xFADE0C01, struct.pack('>I', 0))
        unsigned_koly = koly(len(data), a.sectors, crc, plist_off, len(plist), end, 0)
        special = {2: requirements, 6: unsigned_koly}
        ident = a.sign.encode() + b'\0'
        n_special = 6
        hash_offset = 0x30 + len(ident) + n_special * size
        slots = b''.join(hashlib.new(a.hash, special[k]).digest() if k in special else b'\0' * size
                         for k in range(n_special, 0, -1))
        slots += hashlib.new(a.hash, image[:end]).digest()
        length = hash_offset + size
        cd = struct.pack('>IIIIIIIIIBBBBII', 0xFADE0C02, length, 0x20100, 0x2, hash_offset, 0x30, n_special, 1, end,
                         size, hash_type, 0, 0, 0, 0) + ident + slots
        assert len(cd) == length
        sig = superblob([(0, cd), (2, requirements), (0x10000, blob(0xFADE0B01, b''))])
        result.update(cdhash=hashlib.new(a.hash, cd).digest()[:20].hex(), digestType=hash_type,
                      signatureOffset=end, signatureSize=len(sig))
    trailer = koly(len(data), a.sectors, crc, plist_off, len(plist), plist_off + len(plist) if sig else 0, len(sig))
    with open(a.out, 'wb') as f:
        f.write(image + sig + trailer)
    print(json.dumps(result))


main()
