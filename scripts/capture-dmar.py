#!/usr/bin/env python3
"""Capture the ACPI DMAR table that QEMU builds for q35 + intel-iommu, as test data for
test/unit/test_dmar.c.

For each configuration QEMU boots with nothing bootable, SeaBIOS installs the ACPI tables,
the monitor dumps guest RAM (pmemsave) and the dump is scanned for a "DMAR" header whose
length is sane and whose checksum is zero. The table is written to
test/data/dmar/<name>.bin.

usage: scripts/capture-dmar.py [name...]      (default: all configurations)
"""
import os
import subprocess
import sys
import tempfile
import time

MEGS = 256
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "data", "dmar")

CONFIGS = {
    # the default: e1000 at 00:02.0, VGA at 00:01.0
    "q35-iommu": ["-device", "intel-iommu", "-netdev", "user,id=n0",
                  "-device", "e1000,netdev=n0,romfile="],
    # an e1000e behind a PCIe root port: the port is a type-2 (bridge) scope
    "q35-iommu-rp": ["-device", "intel-iommu", "-netdev", "user,id=n0",
                     "-device", "pcie-root-port,id=rp1,bus=pcie.0,addr=1c.0,chassis=1",
                     "-device", "e1000e,bus=rp1,netdev=n0,romfile="],
    # 48-bit address width
    "q35-iommu-aw48": ["-device", "intel-iommu,aw-bits=48", "-netdev", "user,id=n0",
                       "-device", "e1000,netdev=n0,romfile="],
}


def find_dmar(mem):
    """Offsets of every checksummed DMAR table in mem."""
    found = []
    pos = mem.find(b"DMAR")
    while pos >= 0:
        if pos + 48 <= len(mem):
            length = int.from_bytes(mem[pos + 4:pos + 8], "little")
            if 48 <= length <= 65536 and pos + length <= len(mem):
                table = mem[pos:pos + length]
                if sum(table) & 0xff == 0:
                    found.append(table)
        pos = mem.find(b"DMAR", pos + 1)
    return found


def capture(name, args):
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "mem.bin")
        cmd = ["qemu-system-x86_64", "-M", "q35", "-m", str(MEGS), "-display", "none",
               "-serial", "none", "-monitor", "stdio", "-no-reboot"] + args
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        time.sleep(2)  # SeaBIOS builds the tables well within this
        proc.stdin.write(f"pmemsave 0 {MEGS << 20} \"{dump}\"\n".encode())
        proc.stdin.flush()
        time.sleep(2)
        out, _ = proc.communicate(b"quit\n", timeout=60)
        if not os.path.exists(dump):
            sys.exit(f"error: no memory dump for {name}; QEMU said:\n{out.decode(errors='replace')}")
        with open(dump, "rb") as f:
            mem = f.read()
    tables = find_dmar(mem)
    if not tables:
        sys.exit(f"error: no DMAR table found for {name}")
    # Firmware may leave copies; they must agree.
    if any(t != tables[0] for t in tables):
        sys.exit(f"error: {name}: several different DMAR tables in memory")
    path = os.path.join(OUT, name + ".bin")
    with open(path, "wb") as f:
        f.write(tables[0])
    print(f"{name}: {len(tables[0])} bytes -> {os.path.normpath(path)}")


def main():
    names = sys.argv[1:] or list(CONFIGS)
    os.makedirs(OUT, exist_ok=True)
    for n in names:
        if n not in CONFIGS:
            sys.exit(f"error: unknown configuration {n}; known: {' '.join(CONFIGS)}")
        capture(n, CONFIGS[n])


if __name__ == "__main__":
    main()
