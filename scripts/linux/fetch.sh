#!/usr/bin/env bash
# Fetch the stock Debian kernel and busybox-static that the Linux guest tests
# boot, into build/linux/ (a cache: nothing here is committed, and a second run
# downloads nothing).
#   scripts/linux/fetch.sh
# Results:
#   build/linux/vmlinuz            the kernel (bzImage) of the linux-image-*-amd64
#                                  package that linux-image-amd64 depends on
#   build/linux/modules/*.ko       the NIC drivers (e1000.ko, e1000e.ko) and the
#                                  modules they depend on, in load order
#                                  (modules/order lists them)
#   build/linux/modules/needs      one line per NIC driver: "DRIVER MOD..." = what
#                                  to insmod for it, dependencies first
#   build/linux/modules/aliases    one line per PCI alias: "DRIVER PATTERN" (modinfo
#                                  -F alias), so the init loads only the driver
#                                  whose pattern matches a PCI device's modalias
#   build/linux/busybox            busybox from busybox-static
#   build/linux/versions           package versions, one "name version" a line
# Packages come only from Debian's registry, through apt-get; the helper tool
# (kmod's modinfo) is installed when missing and we are root.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/linux
mkdir -p "$out/deb"
# Tests may call this in parallel on a fresh machine: one unpacks, the others wait.
exec 8>"$out/.lock"
flock 8

need_tools=()
[ -x /usr/sbin/modinfo ] || [ -x /sbin/modinfo ] || need_tools+=(kmod)
export PATH=$PATH:/usr/sbin:/sbin
if [ ${#need_tools[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "fetch.sh needs: ${need_tools[*]};" \
			"run: sudo apt-get install -y ${need_tools[*]}" >&2
		exit 1
	fi
	echo "installing ${need_tools[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${need_tools[@]}" >/dev/null
fi

# The package lists are needed to resolve linux-image-amd64; refresh them once
# when apt knows nothing about it.
if ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
	echo "apt-get update"
	apt-get update -q >/dev/null
fi
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
if [ -z "$kpkg" ]; then
	echo "fetch.sh: cannot tell which linux-image-*-amd64 package linux-image-amd64 depends" \
		"on (apt-cache depends linux-image-amd64); run apt-get update" >&2
	exit 1
fi
kver_pkg=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
bb_ver=$(apt-cache policy busybox-static | sed -n 's/^ *Candidate: //p')

# as root, apt would drop to its _apt user, which cannot write into build/
apt_opts=(-q)
[ "$(id -u)" -eq 0 ] && apt_opts+=(-o APT::Sandbox::User=root)

# apt-get download names files PKG_VERSION_ARCH.deb with ':' escaped as %3a
deb_of() { echo "$out/deb/${1}_${2//:/%3a}_amd64.deb"; }
kdeb=$(deb_of "$kpkg" "$kver_pkg")
bdeb=$(deb_of busybox-static "$bb_ver")
download() { # package version
	echo "downloading $1 $2"
	(cd "$out/deb" && apt-get download "${apt_opts[@]}" "$1=$2")
}
[ -f "$kdeb" ] || download "$kpkg" "$kver_pkg"
[ -f "$bdeb" ] || download busybox-static "$bb_ver"
[ -f "$kdeb" ] && [ -f "$bdeb" ] || { echo "fetch.sh: download failed: $kdeb $bdeb" >&2; exit 1; }

# Unpack each package once per version (a stamp names what is unpacked).
unpack() { # deb dir
	local stamp=$2/.unpacked
	if [ "$(cat "$stamp" 2>/dev/null)" != "$(basename "$1")" ]; then
		rm -rf "$2"
		mkdir -p "$2"
		dpkg -x "$1" "$2"
		basename "$1" > "$stamp"
	fi
}
unpack "$kdeb" "$out/kernel-root"
unpack "$bdeb" "$out/busybox-root"

kver=${kpkg#linux-image-}	# e.g. 6.1.0-41-amd64
vmlinuz=$out/kernel-root/boot/vmlinuz-$kver
moddir=$out/kernel-root/lib/modules/$kver
[ -f "$vmlinuz" ] || { echo "fetch.sh: $vmlinuz missing from $kdeb" >&2; exit 1; }
cp -f "$vmlinuz" "$out/vmlinuz"
cp -f "$out/busybox-root/bin/busybox" "$out/busybox"

# The NIC drivers and their dependencies (the package ships no modules.dep;
# modinfo reads each module's own "depends=" field). Dependencies come first
# in modules/order and in each line of modules/needs.
# Built in modules.new and swapped in only when something changed, so a
# second run leaves build/linux/modules/ untouched (other tests read it).
nic_drivers=(e1000 e1000e)
mods=$out/modules.new
rm -rf "$mods"
mkdir -p "$mods"
declare -A done_mods=() deps_of=()
: > "$mods/order"
add_module() { # name
	local name=$1 f dep
	[ -n "${done_mods[$name]:-}" ] && return 0
	done_mods[$name]=1
	f=$(find "$moddir/kernel" \( -name "$name.ko" -o -name "$name.ko.xz" \
		-o -name "${name//_/-}.ko" -o -name "${name//_/-}.ko.xz" \) | head -n1)
	[ -n "$f" ] || { echo "fetch.sh: module $name not found under $moddir" >&2; exit 1; }
	deps_of[$name]=$(modinfo -F depends "$f" | tr ',' ' ')
	for dep in ${deps_of[$name]}; do
		add_module "$dep"
	done
	case $f in
	*.xz) xz -dc "$f" > "$mods/$name.ko" ;;
	*) cp -f "$f" "$mods/$name.ko" ;;
	esac
	echo "$name" >> "$mods/order"
}
# what one driver needs, dependencies first
declare -A seen_need=()
need_list() { # name
	local dep
	[ -n "${seen_need[$1]:-}" ] && return 0
	seen_need[$1]=1
	for dep in ${deps_of[$1]}; do need_list "$dep"; done
	printf ' %s' "$1"
}
: > "$mods/aliases"
: > "$mods/needs"
for drv in "${nic_drivers[@]}"; do
	add_module "$drv"
	seen_need=()
	echo "$drv$(need_list "$drv")" >> "$mods/needs"
	modinfo -F alias "$mods/$drv.ko" | sed -n "s/^pci:/$drv pci:/p" >> "$mods/aliases"
done
if diff -rq "$mods" "$out/modules" >/dev/null 2>&1; then
	rm -rf "$mods"
else
	rm -rf "$out/modules"
	mv "$mods" "$out/modules"
fi

{
	echo "$kpkg $kver_pkg"
	echo "busybox-static $bb_ver"
} > "$out/versions"
echo "kernel:  $kpkg $kver_pkg -> build/linux/vmlinuz ($(stat -c %s "$out/vmlinuz") bytes)"
echo "busybox: busybox-static $bb_ver -> build/linux/busybox"
echo "modules: $(tr '\n' ' ' < "$out/modules/order")-> build/linux/modules/"
