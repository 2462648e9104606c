#!/usr/bin/env bash
# Build the test initramfs for the Linux guest: busybox-static, e1000.ko (and
# its dependencies) and an init that brings eth0 up, pings the gateway and
# powers off.
#   scripts/linux/mkinitramfs.sh [OUT] [--gzip]
# OUT defaults to build/linux/initramfs.cpio (build/linux/initramfs.cpio.gz
# with --gzip). The archive is cpio "newc", written by a few lines of Python
# so that no root rights (mknod for /dev/console) are needed and the archive is
# byte-for-byte reproducible (fixed owner and mtime). Uncompressed is the
# default: it boots faster in Bochs than gzip (docs/linux-guest.md has the
# measurements).
#
# What init prints on the serial console (the kernel's console=ttyS0):
#   LINUX-USERSPACE: uptime <s>      first thing init does
#   LINUX-ACPI: tables <list> pm1a_cnt=0x<port>
#   LINUX-PING: PASS | FAIL          ping -c 3 of the gateway
#   LINUX-NPROC: <n>
#   LINUX-END: uptime <s>
# Kernel command-line words it understands:
#   uhvnet=bochs (default)  192.168.10.15/24, gateway 192.168.10.1 (Bochs vnet)
#   uhvnet=qemu             10.0.2.15/24, gateway 10.0.2.2 (QEMU slirp)
#   uhvexit=userspace       power off right after the LINUX-USERSPACE line
#                           (measures the boot cost alone)
#   uhvexit=reboot          reboot -f instead of the power-off at the end
#                           (checks that the guest's reset ends the run)
#   uhvinit=shell           after the ping, an interactive shell on the console
#                           instead of the power-off (make run); leaving the
#                           shell powers off
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/build/linux
gzip=0
out=
for a in "$@"; do
	case $a in
	--gzip) gzip=1 ;;
	*) out=$a ;;
	esac
done
[ -n "$out" ] || { out=$src/initramfs.cpio; [ $gzip = 1 ] && out=$out.gz; }
for f in busybox modules/order; do
	[ -f "$src/$f" ] ||
		{ echo "mkinitramfs.sh: $src/$f missing; run scripts/linux/fetch.sh" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$src/busybox" "$stage/bin/busybox"
# one symlink per applet, so init starts without a "busybox --install" at boot
for app in $("$src/busybox" --list); do
	[ "$app" = busybox ] || ln -s busybox "$stage/bin/$app"
done
cp "$src/modules/order" "$stage/lib/modules/order"
while read -r m; do cp "$src/modules/$m.ko" "$stage/lib/modules/"; done < "$src/modules/order"

cat > "$stage/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
echo "LINUX-USERSPACE: uptime $(cut -d' ' -f1 /proc/uptime)"
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
cmdline=$(cat /proc/cmdline)
end() {
	echo "LINUX-END: uptime $(cut -d' ' -f1 /proc/uptime)"
	sleep 1		# let the UART drain before the power-off write
	case " $cmdline " in *" uhvexit=reboot "*) reboot -f ;; esac
	poweroff -f
}
case " $cmdline " in *" uhvexit=userspace "*) end ;; esac

# ACPI as the guest sees it: the table list (uhv must hide DMAR) and the PM1a
# control port the power-off writes (FADT offset 64)
pm1a=$(od -An -tx4 -j64 -N4 /sys/firmware/acpi/tables/FACP 2>/dev/null | tr -d ' ')
echo "LINUX-ACPI: tables $(ls /sys/firmware/acpi/tables | tr '\n' ' ')pm1a_cnt=0x${pm1a:-none}"

case " $cmdline " in
*" uhvnet=qemu "*) addr=10.0.2.15 gw=10.0.2.2 ;;
*) addr=192.168.10.15 gw=192.168.10.1 ;;
esac
for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m.ko || echo "LINUX-INFO: insmod $m failed"
done
result=FAIL
if ip link set eth0 up && ip addr add $addr/24 dev eth0 && ip route add default via $gw; then
	# the first echo may be lost while ARP resolves and the link settles
	ping -c 3 -W 2 $gw && result=PASS
else
	echo "LINUX-INFO: no eth0: $(ls /sys/class/net | tr '\n' ' ')"
fi
echo "LINUX-PING: $result"
echo "LINUX-NPROC: $(nproc)"
case " $cmdline " in
*" uhvinit=shell "*)
	echo "LINUX-SHELL: busybox sh on the console; 'exit' or 'poweroff -f' ends the run"
	# setsid + cttyhack: a shell with a controlling terminal, so Ctrl-C works
	setsid cttyhack sh -l
	;;
esac
end
INIT
chmod 755 "$stage/init"

mkdir -p "$(dirname "$out")"
python3 - "$stage" "$out.tmp" <<'PY'
import os, stat, sys
root, out = sys.argv[1], sys.argv[2]
ino = [1]
def hdr(name, mode, size, rdev=(0, 0), nlink=1):
    ino[0] += 1
    fields = [ino[0], mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    h = b"070701" + b"".join(b"%08x" % f for f in fields) + name.encode() + b"\0"
    return h + b"\0" * (-len(h) % 4)
def pad(data):
    return data + b"\0" * (-len(data) % 4)
with open(out, "wb") as f:
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(dirs) + sorted(files):
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(p).encode()
                f.write(hdr(rel, stat.S_IFLNK | 0o777, len(data)) + pad(data))
            elif stat.S_ISDIR(st.st_mode):
                f.write(hdr(rel, stat.S_IFDIR | 0o755, 0, nlink=2))
            else:
                data = open(p, "rb").read()
                mode = 0o755 if st.st_mode & 0o111 else 0o644
                f.write(hdr(rel, stat.S_IFREG | mode, len(data)) + pad(data))
    # after dev/ itself: the kernel opens /dev/console for init's stdio
    f.write(hdr("dev/console", stat.S_IFCHR | 0o600, 0, rdev=(5, 1)))
    f.write(hdr("TRAILER!!!", 0, 0))
PY
if [ $gzip = 1 ]; then
	gzip -9 -n -c "$out.tmp" > "$out"
	rm -f "$out.tmp"
else
	mv "$out.tmp" "$out"
fi
echo "initramfs: $out ($(stat -c %s "$out") bytes)"
