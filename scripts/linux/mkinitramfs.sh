#!/usr/bin/env bash
# Build the test initramfs for the Linux guest: busybox-static, the NIC drivers
# e1000.ko and e1000e.ko (and their dependencies; scripts/linux/fetch.sh) and an
# init that loads the driver matching the NIC it finds, brings eth0 up, pings
# the gateway and powers off.
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
#   LINUX-CPUS: <n>                  online CPUs (nproc), right after
#   LINUX-ACPI: tables <list> pm1a_cnt=0x<port>
#   LINUX-SMBIOS: <sys_vendor> | none   what Linux's DMI scan found (without EFI it scans
#                                    0xF0000-0xFFFFF, where uhv copies a UEFI machine's entry point)
#   LINUX-FB: <first line of /proc/fb> | none   the framebuffer Linux took from boot_params
#                                    screen_info ("0 EFI VGA": efifb on the GOP screen uhv
#                                    handed over; none under BIOS, where vgacon has text mode)
#   LINUX-NIC: <driver> for <BDF> <vendor>:<device>   per PCI device a driver
#                                    claims (by the module's PCI aliases), or
#   LINUX-NIC: none (no PCI device for e1000 e1000e)  when no device matches
#                                    (e.g. uhv kept the NIC from the guest)
#   LINUX-LINK: eth0 carrier <0|1> after <s> s   waiting for the link (<= 10 s)
#   LINUX-PING: PASS | FAIL          ping -c 3 of the gateway (FAIL without NIC)
#   LINUX-IRQ: <line of /proc/interrupts>   per interrupt source of the NIC (MSI-X vectors...)
#   LINUX-NPROC: <n>
#   LINUX-END: uptime <s>
# Kernel command-line words it understands:
#   uhvnet=bochs (default)  192.168.10.15/24, gateway 192.168.10.1 (Bochs vnet)
#   uhvnet=qemu             10.0.2.15/24, gateway 10.0.2.2 (QEMU slirp)
#   uhvexit=userspace       power off right after the LINUX-USERSPACE line
#                           (measures the boot cost alone)
#   uhvexit=reboot          reboot -f instead of the power-off at the end
#                           (checks that the guest's reset ends the run)
#   uhvpings=N              ping N times instead of 3
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
# fetch.sh rewrites build/linux/modules/ under this lock
exec 8>"$src/.lock"
flock 8
for f in busybox modules/order modules/needs modules/aliases; do
	[ -f "$src/$f" ] ||
		{ echo "mkinitramfs.sh: $src/$f missing; run scripts/linux/fetch.sh" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage" ${tmp:+"$tmp"}' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$src/busybox" "$stage/bin/busybox"
# one symlink per applet, so init starts without a "busybox --install" at boot
for app in $("$src/busybox" --list); do
	[ "$app" = busybox ] || ln -s busybox "$stage/bin/$app"
done
cp "$src/modules/order" "$src/modules/needs" "$src/modules/aliases" "$stage/lib/modules/"
while read -r m; do cp "$src/modules/$m.ko" "$stage/lib/modules/"; done < "$src/modules/order"

cat > "$stage/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
echo "LINUX-USERSPACE: uptime $(cut -d' ' -f1 /proc/uptime)"
echo "LINUX-CPUS: $(nproc)"
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
# SMBIOS as the guest found it (acpi/smbios.c, platform_guest_smbios)
dmi=$(cat /sys/class/dmi/id/sys_vendor 2>/dev/null)
[ -e /sys/firmware/dmi/tables/smbios_entry_point ] || dmi=
echo "LINUX-SMBIOS: ${dmi:-none}"
# the screen uhv handed over (loader/linux_screen.c)
fb=$(head -n 1 /proc/fb 2>/dev/null)
echo "LINUX-FB: ${fb:-none}"

case " $cmdline " in
*" uhvnet=qemu "*) addr=10.0.2.15 gw=10.0.2.2 ;;
*) addr=192.168.10.15 gw=192.168.10.1 ;;
esac
# the NIC driver(s) whose PCI aliases match a device's modalias (fetch.sh's
# modules/aliases: "DRIVER PATTERN"), each with what it needs (modules/needs)
drivers=
for d in /sys/bus/pci/devices/*; do
	[ -f "$d/modalias" ] || continue
	alias=$(cat "$d/modalias")
	while read -r drv pat; do
		case $alias in
		$pat)
			echo "LINUX-NIC: $drv for ${d##*/} $(cat "$d/vendor"):$(cat "$d/device")"
			case " $drivers " in *" $drv "*) ;; *) drivers="$drivers $drv" ;; esac
			break ;;
		esac
	done < /lib/modules/aliases
done
[ -n "$drivers" ] ||
	echo "LINUX-NIC: none (no PCI device for $(cut -d' ' -f1 /lib/modules/needs | tr '\n' ' ' | sed 's/ $//'))"
loaded=
for drv in $drivers; do
	for m in $(sed -n "s/^$drv //p" /lib/modules/needs); do
		case " $loaded " in *" $m "*) continue ;; esac
		# module options from the kernel command line (MOD.PARAM=VALUE, as modprobe
		# passes them; insmod does not), e.g. e1000e.IntMode=1 for MSI instead of MSI-X
		opts=
		for w in $cmdline; do
			case $w in "$m".*=*) opts="$opts ${w#"$m".}" ;; esac
		done
		insmod /lib/modules/$m.ko $opts || echo "LINUX-INFO: insmod $m$opts failed"
		loaded="$loaded $m"
	done
done
result=FAIL
if [ -z "$drivers" ]; then
	:
elif ip link set eth0 up && ip addr add $addr/24 dev eth0 && ip route add default via $gw; then
	# wait for the link (e1000e autonegotiates for a few seconds; echoes
	# sent before that are lost), at most 10 s
	i=0
	while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	echo "LINUX-LINK: eth0 carrier $(cat /sys/class/net/eth0/carrier 2>/dev/null) after $((i / 10)).$((i % 10)) s"
	# the first echo may be lost while ARP resolves
	# uhvpings=N: N echoes instead of 3 (a longer packet loop for measurements)
	pings=3
	for w in $cmdline; do case $w in uhvpings=*) pings=${w#uhvpings=} ;; esac; done
	ping -c $pings -W 2 $gw && result=PASS
else
	echo "LINUX-INFO: no eth0: $(ls /sys/class/net | tr '\n' ' ')"
fi
echo "LINUX-PING: $result"
# the NIC's interrupt sources and how often each fired (INTx, MSI or MSI-X vectors; an "IR-"
# prefix when Linux's interrupts go through remapping), and what the driver said of them
grep -E 'eth[0-9]|e1000' /proc/interrupts | tr -s ' ' | sed 's/^/LINUX-IRQ: /'
dmesg | grep -iE 'e1000e?.*(msi|interrupt)' | sed 's/^/LINUX-INFO: /'
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
tmp=$out.tmp.$$
python3 - "$stage" "$tmp" <<'PY'
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
	gzip -9 -n -c "$tmp" > "$out"
	rm -f "$tmp"
else
	mv "$tmp" "$out"
fi
echo "initramfs: $out ($(stat -c %s "$out") bytes)"
