#!/usr/bin/env python3
"""An independent writer of a flat package's Payload for tests, from the formats' public descriptions: a cpio archive
in the portable "odc" format (POSIX.1 cpio: magic 070707, octal fields, the name with its NUL, the data, a
"TRAILER!!!" entry), compressed with gzip as pkgbuild writes it. Directories are listed before their files.

usage: make_pkg_payload.py OUT ARCHIVE_PATH=LOCAL_FILE... [--pbzx]
With --pbzx, OUT only begins with the "pbzx" magic (what newer pkgbuild writes with LZMA), for the "not read" case.
"""
import gzip
import os
import sys


def entry(name, mode, data=b'', ino=1):
    name_bytes = name.encode() + b'\0'
    header = '070707' + '%06o' % 0 + '%06o' % ino + '%06o' % mode + '%06o' % 0 + '%06o' % 0 + '%06o' % 1 + \
        '%06o' % 0 + '%011o' % 0 + '%06o' % len(name_bytes) + '%011o' % len(data)
    assert len(header) == 76
    return header.encode() + name_bytes + data


def main():
    args = sys.argv[1:]
    out = args.pop(0)
    if '--pbzx' in args:
        open(out, 'wb').write(b'pbzx' + bytes(60))
        return
    archive, dirs, ino = b'', set(), 1
    archive += entry('.', 0o40755, ino=ino)
    for spec in args:
        path, local = spec.split('=', 1)
        parts = path.split('/')
        for i in range(1, len(parts)):
            d = './' + '/'.join(parts[:i])
            if d not in dirs:
                dirs.add(d)
                ino += 1
                archive += entry(d, 0o40755, ino=ino)
        ino += 1
        archive += entry('./' + path, 0o100755, open(local, 'rb').read(), ino=ino)
    archive += entry('TRAILER!!!', 0, ino=0)
    open(out, 'wb').write(gzip.compress(archive))


main()
