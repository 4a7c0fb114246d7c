#!/usr/bin/env python3
"""Checks the embedded code signature of every slice of a Mach-O file, independently of go-macos-sign's TypeScript.

Written from Apple's published format (cs_blobs.h, loader.h, fat.h) with python's struct and hashlib only: for each
slice it finds LC_CODE_SIGNATURE and __LINKEDIT, reads the SuperBlob, and for every CodeDirectory (slot 0 and the
alternates 0x1000+) recomputes each code-page digest from the file and each blob-backed special slot (requirements 2,
entitlements 5, DER entitlements 7) from the SuperBlob, and compares them with the CodeDirectory.

usage: sigcheck.py FILE [--dump DIR]
--dump DIR writes each slice's primary CodeDirectory (sliceN-cd.bin) and CMS (sliceN-cms.der, the 0x10000 blob's
payload) so that openssl can check the signature over exactly the bytes the file holds.
Prints JSON {"slices": [{"offset", "cputype", "dataoff", "datasize", "linkedit_end", "slice_size", "identifier",
"team", "flags", "version", "n_special", "cdhashes": {hash: full hex}, "problems": [...]}]} and exits 1 if any
slice has a problem.
"""
import hashlib
import json
import struct
import sys

LC_SEGMENT, LC_SEGMENT_64, LC_CODE_SIGNATURE = 0x1, 0x19, 0x1D
HASH_TYPES = {1: ('sha1', 20), 2: ('sha256', 32)}
BLOB_SLOTS = (2, 5, 7)


def slices(data):
    magic = struct.unpack_from('>I', data, 0)[0]
    if magic in (0xCAFEBABE, 0xCAFEBABF):
        wide = magic == 0xCAFEBABF
        count = struct.unpack_from('>I', data, 4)[0]
        for i in range(count):
            if wide:
                _, _, off, size, _, _ = struct.unpack_from('>iIQQII', data, 8 + 32 * i)
            else:
                _, _, off, size, _ = struct.unpack_from('>iIIII', data, 8 + 20 * i)
            yield off, data[off:off + size]
    else:
        yield 0, data


def check_slice(offset, s, dump=None, index=0):
    problems = []
    magic = struct.unpack_from('<I', s, 0)[0]
    if magic not in (0xFEEDFACF, 0xFEEDFACE):
        return {'offset': offset, 'problems': ['not a little-endian Mach-O']}
    wide = magic == 0xFEEDFACF
    _, cputype, _, _, ncmds, sizeofcmds, _ = struct.unpack_from('<IiiIIII', s, 0)
    at = 32 if wide else 28
    sig = linkedit = None
    for _ in range(ncmds):
        cmd, size = struct.unpack_from('<II', s, at)
        if cmd == LC_CODE_SIGNATURE:
            sig = struct.unpack_from('<II', s, at + 8)
        if cmd in (LC_SEGMENT, LC_SEGMENT_64) and s[at + 8:at + 24].rstrip(b'\0') == b'__LINKEDIT':
            if cmd == LC_SEGMENT_64:
                fileoff, filesize = struct.unpack_from('<QQ', s, at + 40)
            else:
                fileoff, filesize = struct.unpack_from('<II', s, at + 32)
            linkedit = fileoff + filesize
        at += size
    out = {'offset': offset, 'cputype': cputype, 'slice_size': len(s), 'linkedit_end': linkedit, 'problems': problems}
    if sig is None:
        problems.append('no LC_CODE_SIGNATURE')
        return out
    dataoff, datasize = sig
    out.update(dataoff=dataoff, datasize=datasize)
    sb = s[dataoff:dataoff + datasize]
    magic, length, count = struct.unpack_from('>III', sb, 0)
    if magic != 0xFADE0CC0:
        problems.append('no embedded-signature SuperBlob')
        return out
    blobs = {}
    for i in range(count):
        slot, off = struct.unpack_from('>II', sb, 12 + 8 * i)
        blen = struct.unpack_from('>I', sb, off + 4)[0]
        blobs[slot] = sb[off:off + blen]
    cds = [(slot, b) for slot, b in sorted(blobs.items()) if slot == 0 or 0x1000 <= slot < 0x1005]
    if dump is not None and 0 in blobs:
        open(f'{dump}/slice{index}-cd.bin', 'wb').write(blobs[0])
        if 0x10000 in blobs:
            open(f'{dump}/slice{index}-cms.der', 'wb').write(blobs[0x10000][8:])
    if not cds:
        problems.append('no CodeDirectory')
    out['cdhashes'] = {}
    for slot, cd in cds:
        (_, length, version, flags, hash_offset, ident_offset, n_special, n_code, code_limit, hash_size, hash_type,
         _, page_shift) = struct.unpack_from('>IIIIIIIIIBBBB', cd, 0)
        name, size = HASH_TYPES[hash_type]
        if size != hash_size:
            problems.append(f'CD {slot:#x}: hash size {hash_size} for {name}')
        out['cdhashes'][name] = hashlib.new(name, cd).hexdigest()
        if slot == 0:
            out['identifier'] = cd[ident_offset:cd.index(b'\0', ident_offset)].decode()
            team = struct.unpack_from('>I', cd, 0x30)[0] if version >= 0x20200 else 0
            out['team'] = cd[team:cd.index(b'\0', team)].decode() if team else None
            out.update(flags=flags, version=version, n_special=n_special)
        if code_limit != dataoff:
            problems.append(f'CD {slot:#x}: code limit {code_limit} is not the signature offset {dataoff}')
        page = 1 << page_shift
        if n_code != (code_limit + page - 1) // page:
            problems.append(f'CD {slot:#x}: {n_code} code slots for limit {code_limit}')
        for i in range(n_code):
            want = cd[hash_offset + i * size:hash_offset + (i + 1) * size]
            if hashlib.new(name, s[i * page:min((i + 1) * page, code_limit)]).digest() != want:
                problems.append(f'CD {slot:#x}: page {i} does not match')
        for k in range(1, n_special + 1):
            want = cd[hash_offset - k * size:hash_offset - (k - 1) * size]
            if k in BLOB_SLOTS:
                got = hashlib.new(name, blobs[k]).digest() if k in blobs else bytes(size)
                if got != want:
                    problems.append(f'CD {slot:#x}: special slot {k} does not match')
        for k in BLOB_SLOTS:
            if k in blobs and k > n_special:
                problems.append(f'CD {slot:#x}: blob {k} is not sealed')
    if linkedit != dataoff + datasize or linkedit != len(s):
        problems.append(f'__LINKEDIT ends at {linkedit}, the signature at {dataoff + datasize}, the slice at {len(s)}')
    return out


def main():
    data = open(sys.argv[1], 'rb').read()
    dump = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == '--dump' else None
    result = {'slices': [check_slice(off, s, dump, i) for i, (off, s) in enumerate(slices(data))]}
    print(json.dumps(result))
    sys.exit(1 if any(r['problems'] for r in result['slices']) else 0)


if __name__ == '__main__':
    main()
