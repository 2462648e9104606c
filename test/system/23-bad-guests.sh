#!/usr/bin/env bash
# A bad guest gets a clear message and a clean stop: no module, not an ELF,
# a multiboot header with no entry, a 64-bit entry, an old bzImage (boot protocol 2.03, said
# with its version string and the entry modes uhv has). The
# loader runs before VMX is switched on, so QEMU (no VMX) is enough.
. "$(dirname "$0")/lib.sh"
make -s guests >/dev/null || { echo "cannot build the test guests"; exit 1; }
case_() {	# NAME PATTERN [MODULE]
	local name=$1 pat=$2; shift 2
	boot "bad-$name" qemu "$(iso "$name" "" "$@")" 60
	expect "$pat" "$name: clear message"
	expect_end qemu fail "(loading the guest failed|no guest)" "$name: run ends with FAIL"
	reject "PANIC" "$name: no crash"
}
case_ none "no guest kernel: give the guest as the first multiboot2 module"
case_ text "not an ELF executable and no multiboot2 or multiboot header" build/guest/bad-text.elf ""
case_ aout-entry0 "multiboot header entry_addr is 0" build/guest/bad-aout-entry0.elf ""
case_ elf64-entry "32-bit" build/guest/bad-elf64-entry.elf ""
case_ bzimage "an image with a Linux boot header \(\"HdrS\"\), boot protocol 2\.03, version \"uhv-bad-bzimage 2\.4\.0\"; uhv starts such images only from protocol 2\.12" build/guest/bad-bzimage.elf ""
expect "guest kernel: uhv gives a guest no BIOS and enters it in 32-bit protected mode .* never in real mode" \
	"bzimage: the entry modes uhv has"
reject "boot a newer kernel" "bzimage: advice that does not fit a non-Linux image"
# A good guest on a machine without VMX: loaded, its DMA domain built, then
# the clear no-VMX message.
boot good-no-vmx qemu-iommu "$(iso good "" build/guest/selftest.elf "")" 60
expect "uhv vtd: guest DMA domain [0-9]+: [0-9]+ MiB of guest RAM mapped" "guest DMA domain mirrors guest RAM"
expect "VMX is not available on this CPU" "no-VMX message"
expect_rc qemu fail
finish
