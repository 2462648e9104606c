#!/usr/bin/env bash
# Install the Debian packages uhv's build, tests and emulators need.
# As root it runs apt-get; otherwise it prints the exact command.
set -euo pipefail
pkgs=(gcc make nasm binutils grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools
	qemu-system-x86 ovmf bochs bochsbios vgabios libcmocka-dev gnu-efi python3 gdb kmod cpio busybox-static libc6-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "uhv needs these Debian packages: ${missing[*]}"
	echo "run:  sudo apt-get install -y ${missing[*]}"
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
