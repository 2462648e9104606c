#!/usr/bin/env bash
# Install the Debian packages uhv's build, tests and emulators need.
# As root it runs apt-get; otherwise it prints the exact command.
set -euo pipefail
pkgs=(gcc make nasm binutils grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools
	qemu-system-x86 ovmf bochs bochsbios vgabios libcmocka-dev gnu-efi python3 gdb kmod cpio busybox-static libc6-dev)
# guests from outside the project that system tests boot: a test whose package is missing
# skips (exit 77), so these may fail to install (no network) without stopping the build
optional=(memtest86+)	# test/system/63-memtest.sh
missing=() missing_opt=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
for p in "${pkgs[@]}"; do installed "$p" || missing+=("$p"); done
for p in "${optional[@]}"; do installed "$p" || missing_opt+=("$p"); done
[ ${#missing[@]} -eq 0 ] && [ ${#missing_opt[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	if [ ${#missing[@]} -ne 0 ]; then
		echo "uhv needs these Debian packages: ${missing[*]}"
		echo "run:  sudo apt-get install -y ${missing[*]} ${missing_opt[*]}"
		exit 1
	fi
	echo "optional (the tests that boot them skip without): sudo apt-get install -y ${missing_opt[*]}"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
if [ ${#missing[@]} -ne 0 ]; then
	echo "installing: ${missing[*]}"
	apt-get update -q >/dev/null
	apt_install "${missing[@]}"
fi
if [ ${#missing_opt[@]} -ne 0 ]; then
	echo "installing (optional): ${missing_opt[*]}"
	{ apt_install "${missing_opt[@]}" 2>/dev/null ||
		{ apt-get update -q >/dev/null 2>&1 && apt_install "${missing_opt[@]}"; }; } ||
		echo "warning: could not install ${missing_opt[*]}; the tests that boot them will skip"
fi
