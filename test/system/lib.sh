# Helpers for system tests (sourced). Each test/system/NN-name.sh boots one or
# more emulator configurations and checks the serial log; exit 0 = pass.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
LOGS=build/test-logs
ISODIR=build/test-iso
mkdir -p "$LOGS" "$ISODIR"
fails=0

# The system tests boot the test variant build/uhv-test.elf (it has the test
# hooks the test guests use, include/uhv/test_hooks.h); UHV_IMAGE names it for
# checks on the image itself (addr2line). iso_production boots the production
# image build/uhv.elf, which has none.
UHV_IMAGE=build/uhv-test.elf

# iso NAME "UHV CMDLINE" [MODULE "ARGS"]... -> prints the ISO path (test variant)
iso() {
	local name=$1; shift
	# prefixed with the test's name: tests run in parallel and must not share files
	local out=$ISODIR/$(basename "$0" .sh)-$name.iso
	scripts/mkiso.sh --test "$out" "$@" >&2 || { echo "cannot build $out" >&2; exit 1; }
	echo "$out"
}

# iso_production NAME "UHV CMDLINE" [MODULE "ARGS"]... -> the ISO path (production image)
iso_production() {
	local name=$1; shift
	local out=$ISODIR/$(basename "$0" .sh)-$name.iso
	scripts/mkiso.sh "$out" "$@" >&2 || { echo "cannot build $out" >&2; exit 1; }
	echo "$out"
}

# esp NAME "UHV CMDLINE" [MODULE "ARGS"]... -> prints the path of an ESP folder for
# uhv.efi (scripts/mkesp.sh, test variant), for the platforms qemu-ovmf-esp*
esp() {
	local name=$1; shift
	local out=$ISODIR/$(basename "$0" .sh)-$name.esp
	scripts/mkesp.sh --test "$out" "$@" >&2 || { echo "cannot build $out" >&2; exit 1; }
	echo "$out"
}

# boot NAME PLATFORM ISO [TIMEOUT] [-- extra args] ; sets LOG and RC
boot() {
	local name=$1 plat=$2 isofile=$3 tmo=${4:-120}
	shift 3; [ $# -gt 0 ] && shift
	LOG=$LOGS/$name.log
	rm -f "$LOG"
	local t0=$(date +%s)
	scripts/emu.sh "$plat" "$isofile" "$LOG" "$tmo" "$@"
	RC=$?
	echo "[$name] $plat exit status $RC after $(( $(date +%s) - t0 ))s, serial log $LOG"
}

# boot_nested NAME ISO [QEMU-OPTS...]: uhv (the ISO) as L2 under nested KVM with QEMU q35 +
# intel-iommu + e1000 (scripts/nested/run.sh); sets LOG and RC (the inner
# QEMU's exit status, so expect_rc qemu pass|fail applies)
boot_nested() {
	local name=$1 isofile=$2
	shift 2
	LOG=$LOGS/$name.log
	rm -f "$LOG"
	local t0=$(date +%s)
	scripts/nested/run.sh "$isofile" "$LOG" "$@"
	RC=$?
	echo "[$name] nested run exit status $RC after $(( $(date +%s) - t0 ))s, serial log $LOG"
}

# gdb_attach TIMEOUT ELF PORT [-ex CMD]...: GDB in batch mode with ELF's symbols (x86-64),
# attached to the GDB stub at 127.0.0.1:PORT, then the commands; its output on stdout
gdb_attach() {
	local tmo=$1 elf=$2 port=$3
	shift 3
	timeout "$tmo" gdb -nx -batch -ex 'set pagination off' -ex 'set confirm off' \
		-ex 'set remotetimeout 120' -ex 'set tcp connect-timeout 60' -ex "file $elf" \
		-ex 'set architecture i386:x86-64' -ex "target remote 127.0.0.1:$port" "$@"
}

# expect PATTERN [DESCRIPTION]: extended regex must occur in $LOG
expect() {
	if grep -Eq -- "$1" "$LOG"; then
		echo "  ok: ${2:-$1}"
	else
		echo "  MISSING: ${2:-$1}   (pattern: $1)"; fails=$((fails + 1))
	fi
}

# reject PATTERN [DESCRIPTION]: must not occur
reject() {
	if grep -Eq -- "$1" "$LOG"; then
		echo "  UNEXPECTED: ${2:-$1}"; grep -E -- "$1" "$LOG" | head -3 | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "  ok: no ${2:-$1}"
	fi
}

# expect_rc KIND pass|fail : the exit status matches the verdict. KIND qemu or
# bochs: the emulator's status $RC (QEMU isa-debug-exit 0x10/0x11 -> 33/35;
# Bochs 0 after the magic break, 1 after the shutdown port). KIND nested: the
# inner QEMU's status, the last "NESTED-QEMU-EXIT: N" line of $LOG ($RC, the
# status of scripts/nested/run.sh, is left alone).
expect_rc() {
	local kind=$1 want=$2 code got=$RC what="exit status"
	case $kind:$want in
	qemu:pass | nested:pass) code=33 ;; qemu:fail | nested:fail) code=35 ;;
	bochs:pass) code=0 ;; bochs:fail) code=1 ;;
	*) echo "  BAD TEST: expect_rc $kind $want"; fails=$((fails + 1)); return ;;
	esac
	if [ "$kind" = nested ]; then
		got=$(grep -aoE "^NESTED-QEMU-EXIT: [0-9]+" "$LOG" | grep -oE "[0-9]+$" | tail -1)
		what="inner QEMU exit status"
	fi
	if [ "$got" = "$code" ]; then echo "  ok: $what $got ($want)"
	else echo "  WRONG $what ${got:-none}, expected $code ($want)"; fails=$((fails + 1)); fi
}

# expect_end KIND pass|fail [REASON] [DESCRIPTION]: how the run ended, in one
# line: uhv's last word "uhv: run ended: PASS|FAIL - REASON" in $LOG (REASON an
# extended regex; empty or left out: any reason) and, unless KIND is log, the
# exit status that goes with the verdict (expect_rc KIND).
expect_end() {
	local kind=$1 want=$2 reason=${3:-} verdict
	verdict=${want^^}
	expect "uhv: run ended: $verdict${reason:+ - $reason}" "${4:-run ended: $verdict${reason:+ - $reason}}"
	[ "$kind" = log ] || expect_rc "$kind" "$want"
}

finish() {
	if [ $fails -ne 0 ]; then
		echo "--- last lines of $LOG:"; tail -40 "$LOG" 2>/dev/null
		exit 1
	fi
	exit 0
}
