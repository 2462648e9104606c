#!/usr/bin/env bash
# Build the nested tier's L1 Linux pieces (a cache in build/nested/, rebuilt
# only when an input changes):
#   build/nested/vmlinuz            Debian's stock kernel (scripts/linux/fetch.sh)
#   build/nested/l1-initramfs.cpio  uncompressed newc cpio: busybox-static, /init
#                                   (scripts/nested/init), irqbypass/kvm/kvm-intel
#                                   from the same kernel package, qemu-system-x86_64
#                                   with every library ldd lists and the dynamic
#                                   loader, the firmware QEMU opens, and
#                                   /bin/bochs-shutdown (bochs-shutdown.c, gcc -static)
#   build/nested/l1-cmdline         the L1 kernel command line
#   build/nested/pvhboot.elf        a small multiboot2 loader (pvhboot.c) that starts
#   build/nested/l1-kernel.pvh      the kernel already decompressed (mkpvh.py) through
#                                   its PVH entry: saves the ~50 s of XZ decompression
#                                   in Bochs (if it cannot be built, run.sh boots
#                                   the bzImage with GRUB's `linux` instead)
# The L2 ISOs and the case list are not in here: scripts/nested/run.sh appends
# them as a second small cpio, so one L1 image serves every case.
#   scripts/nested/build-l1.sh      (prints the paths; -q: quiet)
set -euo pipefail
quiet=0; [ "${1:-}" = -q ] && quiet=1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/nested
lin=$top/build/linux
mkdir -p "$out"
export PATH=$PATH:/usr/sbin:/sbin
say() { [ $quiet = 1 ] || echo "$@"; }

# --- inputs -----------------------------------------------------------------------
# The kernel and busybox come from scripts/linux/fetch.sh (its cache is
# build/linux/); run it only when its results are missing, because it rewrites
# build/linux/modules/ which other tests read.
if ! [ -f "$lin/vmlinuz" ] || ! [ -x "$lin/busybox" ] || ! ls -d "$lin"/kernel-root/lib/modules/*/ >/dev/null 2>&1; then
	[ -x "$top/scripts/linux/fetch.sh" ] || { echo "build-l1.sh: scripts/linux/fetch.sh missing" >&2; exit 1; }
	"$top/scripts/linux/fetch.sh" >&2
fi
moddir=$(ls -d "$lin"/kernel-root/lib/modules/*/ | head -n1)
moddir=${moddir%/}
qemu=$(command -v qemu-system-x86_64) || { echo "build-l1.sh: qemu-system-x86_64 not installed" >&2; exit 1; }
qemu=$(readlink -f "$qemu")
command -v cpio >/dev/null || { echo "build-l1.sh: cpio not installed" >&2; exit 1; }
command -v modinfo >/dev/null || { echo "build-l1.sh: modinfo (kmod) not installed" >&2; exit 1; }

# kvm-intel and what it depends on, dependencies first (modinfo -F depends)
mods=() modfiles=()
declare -A seen=()
add_mod() {
	local name=${1//_/-} f dep
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	f=$(find "$moddir/kernel" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "${name//-/_}.ko" \
		-o -name "${name//-/_}.ko.xz" \) | head -n1)
	[ -n "$f" ] || { echo "build-l1.sh: module $name not found in $moddir" >&2; exit 1; }
	for dep in $(modinfo -F depends "$f" | tr ',' ' '); do add_mod "$dep"; done
	mods+=("$name"); modfiles+=("$f")
}
add_mod kvm-intel

# QEMU's libraries and loader, as ldd names them
libs=()
while read -r lib; do libs+=("$lib"); done < <(ldd "$qemu" | awk '/=> \//{print $3} /^\t\//{print $1}')
# firmware QEMU opens for -M q35 -accel kvm with -nodefaults -vga none and
# e1000/e1000e with romfile= (the NIC option ROMs are avoided that way)
firmware=(/usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin
	/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/multiboot_dma.bin)
for f in "${firmware[@]}"; do [ -e "$f" ] || { echo "build-l1.sh: $f missing (qemu-system-x86/seabios)" >&2; exit 1; }; done

cmdline="console=ttyS0,115200 quiet tsc_early_khz=200000 cryptomgr.notests mitigations=off init_on_alloc=0 nokaslr"

# --- cache check ----------------------------------------------------------------------
stamp=$( {
	sha256sum "$here/build-l1.sh" "$here/init" "$here/bochs-shutdown.c" "$here/pvhboot.c" \
		"$here/pvhboot.S" "$here/pvhboot.ld" "$here/mkpvh.py"
	stat -L -c '%n %s %Y' "$lin/vmlinuz" "$lin/busybox" "$qemu" "${libs[@]}" "${firmware[@]}" "${modfiles[@]}"
	gcc --version | head -n1
	echo "$cmdline"
} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/l1.stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$out/l1-initramfs.cpio" ] && [ -f "$out/vmlinuz" ]; then
	say "build-l1.sh: up to date: $out/vmlinuz $out/l1-initramfs.cpio"
	exit 0
fi

# --- build -----------------------------------------------------------------------------
say "build-l1.sh: building the L1 initramfs"
root=$out/l1-root
rm -rf "$root" "$out/l1.stamp"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,nested,l2,lib/modules,usr/bin,usr/share/qemu,usr/share/seabios}

cp "$lin/busybox" "$root/bin/busybox"
for a in $("$lin/busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
install -m 755 "$here/init" "$root/init"

gcc -static -Os -s -Wall -o "$root/bin/bochs-shutdown" "$here/bochs-shutdown.c"

: > "$root/lib/modules/order"
for i in "${!mods[@]}"; do
	case ${modfiles[$i]} in
	*.xz) xz -dc "${modfiles[$i]}" > "$root/lib/modules/${mods[$i]}.ko" ;;
	*) cp "${modfiles[$i]}" "$root/lib/modules/${mods[$i]}.ko" ;;
	esac
	echo "${mods[$i]}" >> "$root/lib/modules/order"
done

cp "$qemu" "$root/usr/bin/qemu-system-x86_64"
for f in "${libs[@]}" "${firmware[@]}"; do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done
# the loader also under its canonical multiarch path
ld=$(printf '%s\n' "${libs[@]}" | grep '/ld-linux' | head -n1)
mkdir -p "$root/lib/x86_64-linux-gnu"
[ -e "$root/lib/x86_64-linux-gnu/$(basename "$ld")" ] || cp -L "$ld" "$root/lib/x86_64-linux-gnu/"

(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio -o -0 -H newc -R 0:0 --reproducible --quiet) > "$out/l1-initramfs.cpio.tmp"
mv "$out/l1-initramfs.cpio.tmp" "$out/l1-initramfs.cpio"
cp "$lin/vmlinuz" "$out/vmlinuz"
# the PVH path (optional: run.sh falls back to the bzImage without it)
rm -f "$out/pvhboot.elf" "$out/l1-kernel.pvh"
if gcc -m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -O2 -Wall -Wextra -nostdlib -static \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-T,"$here/pvhboot.ld" \
	-o "$out/pvhboot.elf" "$here/pvhboot.S" "$here/pvhboot.c" &&
   grub-file --is-x86-multiboot2 "$out/pvhboot.elf" &&
   python3 "$here/mkpvh.py" "$out/vmlinuz" "$out/l1-kernel.pvh" >/dev/null; then
	:
else
	echo "build-l1.sh: warning: no PVH loader (gcc -m32 or python3 failed); L1 boots the bzImage (~50 s slower)" >&2
	rm -f "$out/pvhboot.elf" "$out/l1-kernel.pvh"
fi
echo "$cmdline" > "$out/l1-cmdline"
cat "$lin/versions" > "$out/l1-versions" 2>/dev/null || true
echo "qemu $(dpkg-query -W -f '${Version}' qemu-system-x86 2>/dev/null || echo '?')" >> "$out/l1-versions"
echo "$stamp" > "$out/l1.stamp"
say "build-l1.sh: $out/l1-initramfs.cpio ($(( $(stat -c %s "$out/l1-initramfs.cpio") / 1048576 )) MiB," \
	"$(find "$root" -type f | wc -l) files; modules: ${mods[*]})"
