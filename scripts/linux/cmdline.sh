#!/usr/bin/env bash
# The Linux guest's kernel command line, one place for the native baseline
# (native-boot.sh), the system test, make run and the benchmark:
#   scripts/linux/cmdline.sh PLATFORM [WORD...]
# PLATFORM bochs*, qemu* (TCG), kvm (QEMU/KVM on a real host) or nested (QEMU/KVM
# inside Bochs, docs/nested.md: slirp addresses, and the TSC is still Bochs'
# 200 MHz instruction count) picks uhvnet= (the init script's network setup) and
# tsc_early_khz=; further words are appended. docs/emulators.md §5: these options make a stock
# kernel boot in reasonable time in Bochs (tsc_early_khz must equal Bochs'
# ips / 1000).
set -euo pipefail
plat=${1:-bochs}; shift || true
# kvm: QEMU with KVM, whose TSC is the host's: no tsc_early_khz there
cmd="console=ttyS0,115200 quiet"
[ "$plat" = kvm ] || cmd+=" tsc_early_khz=200000"
# nested: the vCPU threads share L1's one CPU, so the boot-time TSC sync test between CPUs (two
# CPUs spinning in lockstep) crawls; the TSC is one counter for all of them anyway
[ "$plat" = nested ] && cmd+=" tsc=reliable"
cmd+=" cryptomgr.notests mitigations=off init_on_alloc=0"
case $plat in
qemu* | kvm | nested) cmd+=" uhvnet=qemu" ;;
*) cmd+=" uhvnet=bochs" ;;
esac
[ $# -gt 0 ] && cmd+=" $*"
echo "$cmd"
