#!/usr/bin/env python3
"""Pack a Linux bzImage for pvhboot (the nested tier's L1 loader, pvhboot.c).

    mkpvh.py BZIMAGE OUT

Decompresses the bzImage's XZ payload (vmlinux, an ELF), finds its PVH entry
(ELF note Xen type 18, XEN_ELFNOTE_PHYS32_ENTRY) and writes the non-zero pages
of its PT_LOAD segments at their physical addresses:
    header  u32 magic "L1PK", entry, kmin, kmax, nchunks
    chunks  nchunks x (u32 paddr, len, file offset)
    data
pvhboot zeroes [kmin, kmax) and copies the chunks in.
"""
import lzma
import struct
import sys

PAGE = 4096


def main():
    src, out = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    at = data.find(b"\xfd7zXZ\x00")
    if at < 0:
        sys.exit("mkpvh.py: no XZ payload in %s" % src)
    elf = lzma.LZMADecompressor().decompress(data[at:])
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        sys.exit("mkpvh.py: the payload is not a 64-bit ELF")
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    entry = None
    segs = []
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", elf, phoff + i * phentsize)
        if p_type == 1:
            segs.append((paddr, elf[off:off + filesz], memsz))
        elif p_type == 4:
            n = off
            while n < off + filesz:
                namesz, descsz, ntype = struct.unpack_from("<III", elf, n)
                name = elf[n + 12:n + 12 + namesz].rstrip(b"\0")
                desc = n + 12 + ((namesz + 3) & ~3)
                if name == b"Xen" and ntype == 18:
                    entry, = struct.unpack_from("<I", elf, desc)
                n = desc + ((descsz + 3) & ~3)
    if entry is None:
        sys.exit("mkpvh.py: no PVH entry note (kernel without CONFIG_PVH)")
    kmin = min(s[0] for s in segs)
    kmax = max(s[0] + s[2] for s in segs)
    if kmax >= 1 << 32:
        sys.exit("mkpvh.py: kernel above 4 GiB")
    chunks = []  # (paddr, bytes), runs of non-zero pages
    for paddr, body, _ in segs:
        run_start = None
        for p in range(0, len(body), PAGE):
            page = body[p:p + PAGE]
            if page.count(0) != len(page):
                if run_start is None:
                    run_start = p
            elif run_start is not None:
                chunks.append((paddr + run_start, body[run_start:p]))
                run_start = None
        if run_start is not None:
            chunks.append((paddr + run_start, body[run_start:].rstrip(b"\0")))
    hdr = struct.pack("<5I", 0x4B50314C, entry, kmin, (kmax + PAGE - 1) & ~(PAGE - 1), len(chunks))
    offset = len(hdr) + 12 * len(chunks)
    table = b""
    for paddr, body in chunks:
        table += struct.pack("<III", paddr, len(body), offset)
        offset += len(body)
    with open(out, "wb") as f:
        f.write(hdr + table)
        for _, body in chunks:
            f.write(body)
    print("mkpvh.py: %s: PVH entry 0x%x, kernel 0x%x-0x%x, %d chunks, %d bytes"
          % (out, entry, kmin, kmax, len(chunks), offset))


if __name__ == "__main__":
    main()
