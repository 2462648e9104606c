#!/usr/bin/env python3
"""Extract ACPI tables from a raw guest-physical memory dump.

usage: acpi-extract.py DUMP OUTDIR [--base ADDR]

DUMP is a byte-for-byte copy of guest-physical memory starting at --base
(default 0). The RSDP is looked for on 16-byte boundaries in the BIOS area
0xE0000-0xFFFFF first and then, for UEFI firmware, in the whole dump. The
tables reached from it (XSDT/RSDT entries, plus the DSDT and FACS named by the
FADT) are written to OUTDIR as <SIG>.bin (<SIG>.1.bin, ... for repeated
signatures), the RSDP as rsdp.bin, and OUTDIR/index.txt lists
"<physical address> <length> <file>" so that tests can serve each table at the
address the firmware gave it.
"""
import os
import struct
import sys


def csum_ok(b):
    return sum(b) & 0xFF == 0


class Mem:
    def __init__(self, data, base):
        self.data = data
        self.base = base

    def get(self, pa, n):
        off = pa - self.base
        if off < 0 or off + n > len(self.data):
            raise ValueError("address 0x%x+%d is outside the dump" % (pa, n))
        return self.data[off:off + n]


def rsdp_valid(mem, pa):
    try:
        b = mem.get(pa, 20)
    except ValueError:
        return False
    if not csum_ok(b):
        return False
    if b[15] >= 2:
        try:
            length = struct.unpack_from("<I", mem.get(pa, 24), 20)[0]
            return 36 <= length <= 4096 and csum_ok(mem.get(pa, length))
        except ValueError:
            return False
    return True


def find_rsdps(mem):
    """All valid RSDPs. BIOS firmware keeps one on a 16-byte boundary in 0xE0000-0xFFFFF; UEFI
    firmware hands it over through the system table, and OVMF keeps a rev-0 and a rev-2 RSDP
    side by side, the second one not 16-byte aligned, so the fallback scan checks every byte."""
    found = []
    for lo, hi, step in ((0xE0000, 0x100000, 16), (0, 1 << 64, 1)):
        lo = max(lo, mem.base)
        hi = min(hi, mem.base + len(mem.data))
        off = lo - mem.base
        while True:
            idx = mem.data.find(b"RSD PTR ", off, hi - mem.base)
            if idx < 0:
                break
            pa = mem.base + idx
            if pa % step == 0 and rsdp_valid(mem, pa):
                found.append(pa)
            off = idx + 1
        if found:
            break
    return found


def main():
    args = sys.argv[1:]
    base = 0
    if "--base" in args:
        i = args.index("--base")
        base = int(args[i + 1], 0)
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    dump, outdir = args
    with open(dump, "rb") as f:
        mem = Mem(f.read(), base)
    os.makedirs(outdir, exist_ok=True)

    rsdps = find_rsdps(mem)
    if not rsdps:
        sys.exit("error: no RSDP with a valid checksum in %s; did the firmware finish?" % dump)
    # rsdp.bin is the newest revision (what a loader passes in multiboot2 tag 15 if rev >= 2);
    # an older one next to it becomes rsdp-v1.bin (tag 14).
    rsdps.sort(key=lambda pa: -mem.get(pa, 20)[15])
    index = []
    counts = {}

    def save(name, pa, blob):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(blob)
        index.append((pa, len(blob), name))

    seen = set()

    def table(pa, what):
        if pa == 0 or pa in seen:
            return None
        seen.add(pa)
        sig = mem.get(pa, 4)
        if sig == b"FACS":
            length = struct.unpack_from("<I", mem.get(pa, 8), 4)[0]
        else:
            length = struct.unpack_from("<I", mem.get(pa, 8), 4)[0]
        blob = mem.get(pa, length)
        s = sig.decode("ascii", "replace")
        n = counts.get(s, 0)
        counts[s] = n + 1
        name = "%s.bin" % s if n == 0 else "%s.%d.bin" % (s, n)
        save(name, pa, blob)
        ok = sig == b"FACS" or csum_ok(blob)
        status = "ok" if ok else "BAD CHECKSUM"
        print("  %s @ 0x%08x len %5d %s (%s)" % (s, pa, length, status, what))
        return blob

    roots = []
    for i, rsdp_pa in enumerate(rsdps):
        rev = mem.get(rsdp_pa, 20)[15]
        rlen = 20
        if rev >= 2:
            rlen = struct.unpack_from("<I", mem.get(rsdp_pa, 24), 20)[0]
        rsdp = mem.get(rsdp_pa, rlen)
        name = "rsdp.bin" if i == 0 else "rsdp-v1.bin" if i == 1 and rev < 2 else "rsdp.%d.bin" % i
        save(name, rsdp_pa, rsdp)
        print("RSDP @ 0x%x rev %d -> %s" % (rsdp_pa, rev, name))
        roots.append((struct.unpack_from("<I", rsdp, 16)[0], 4))
        if rev >= 2:
            roots.append((struct.unpack_from("<Q", rsdp, 24)[0], 8))
    for root_pa, esz in roots:
        blob = table(root_pa, "root")
        if blob is None:
            continue
        for off in range(36, len(blob) - esz + 1, esz):
            pa = struct.unpack_from("<I" if esz == 4 else "<Q", blob, off)[0]
            t = table(pa, "entry")
            if t is not None and t[:4] == b"FACP":
                facs, dsdt = struct.unpack_from("<II", t, 36)
                xfacs = xdsdt = 0
                if len(t) >= 148:
                    xfacs, xdsdt = struct.unpack_from("<QQ", t, 132)
                for p in (facs, xfacs):
                    table(p, "FADT.FACS")
                for p in (dsdt, xdsdt):
                    table(p, "FADT.DSDT")

    with open(os.path.join(outdir, "index.txt"), "w") as f:
        f.write("# physical-address length file (scripts/acpi-extract.py)\n")
        for pa, length, name in index:
            f.write("0x%08x %d %s\n" % (pa, length, name))


if __name__ == "__main__":
    main()
