#!/usr/bin/env python3
"""An independent xar (flat .pkg) writer for tests, from the xar format's public description: a 28-byte big-endian
header (or longer, naming the checksum), the zlib-compressed XML TOC, then the heap: the TOC checksum first, then an
optional RSA signature over it, then the files' data (stored, not compressed).

usage: make_xar.py OUT [--checksum sha1|sha256] [--cert CERT.der --key KEY.pem]... FILE...
The signature (with --key) is `openssl pkeyutl -sign` over the checksum taken as a digest, as xar signs, and the
certificates listed in <KeyInfo>. Prints JSON: the checksum (hex) and the files.
"""
import argparse
import base64
import hashlib
import json
import os
import struct
import subprocess
import zlib


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out')
    p.add_argument('files', nargs='*')
    p.add_argument('--checksum', default='sha1', choices=['sha1', 'sha256'])
    p.add_argument('--cert', action='append', default=[])
    p.add_argument('--key')
    a = p.parse_intermixed_args()

    size = hashlib.new(a.checksum).digest_size
    heap_after = size + (256 if a.key else 0)
    entries, data = [], b''
    for i, path in enumerate(a.files, 1):
        content = open(path, 'rb').read()
        digest = hashlib.sha1(content).hexdigest()
        entries.append(f'<file id="{i}"><data><length>{len(content)}</length><offset>{heap_after + len(data)}</offset>'
                       f'<size>{len(content)}</size><encoding style="application/octet-stream"/>'
                       f'<extracted-checksum style="sha1">{digest}</extracted-checksum>'
                       f'<archived-checksum style="sha1">{digest}</archived-checksum></data>'
                       f'<type>file</type><name>{os.path.basename(path)}</name></file>')
        data += content
    signature = ''
    if a.key:
        certs = ''.join('<X509Certificate>' + base64.b64encode(open(c, 'rb').read()).decode() + '</X509Certificate>'
                        for c in a.cert)
        signature = (f'<signature style="RSA"><offset>{size}</offset><size>256</size>'
                     f'<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>{certs}</X509Data></KeyInfo>'
                     '</signature>')
    toc = ('<?xml version="1.0" encoding="UTF-8"?>\n<xar>\n <toc>\n'
           '  <creation-time>2026-01-01T00:00:00</creation-time>\n'
           f'  <checksum style="{a.checksum}"><offset>0</offset><size>{size}</size></checksum>\n'
           f'  {signature}{"".join(entries)}\n </toc>\n</xar>\n').encode()
    compressed = zlib.compress(toc)
    checksum = hashlib.new(a.checksum, compressed).digest()
    sig = b''
    if a.key:
        sig = subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', a.key, '-pkeyopt', f'digest:{a.checksum}'],
                             input=checksum, capture_output=True, check=True).stdout
        assert len(sig) == 256
    if a.checksum == 'sha1':
        header = struct.pack('>IHHQQI', 0x78617221, 28, 1, len(compressed), len(toc), 1)
    else:
        header = struct.pack('>IHHQQI', 0x78617221, 64, 1, len(compressed), len(toc), 3) + b'sha256'.ljust(36, b'\0')
    with open(a.out, 'wb') as f:
        f.write(header + compressed + checksum + sig + data)
    print(json.dumps({'checksum': checksum.hex(), 'tocLength': len(toc), 'files': [os.path.basename(x) for x in a.files]}))


main()
