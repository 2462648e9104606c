# Screen console tests (sourced by 95-screen-console-uefi.sh and 96-screen-console-bios.sh, after
# lib.sh): boot with exit=halt so the screen stays up, take a QEMU screendump through the
# monitor once uhv has halted, and check it with test/system/fbshot.c against the serial log.

# screen_boot NAME PLATFORM ISO: boots in the background with a monitor socket; after uhv's
# closing line: $LOGS/NAME.ppm (screendump), $LOGS/NAME.vgamem (0xB8000, 4000 bytes). Sets LOG.
screen_boot() {
	local name=$1 plat=$2 isofile=$3 sock
	sock=$(mktemp -u /tmp/uhv-mon.XXXXXX)
	LOG=$LOGS/$name.log
	rm -f "$LOG" "$LOGS/$name.ppm" "$LOGS/$name.vgamem"
	scripts/emu.sh "$plat" "$isofile" "$LOG" 120 -- -monitor "unix:$sock,server,nowait" &
	local pid=$! i
	for i in $(seq 120); do
		grep -aq "uhv: halted" "$LOG" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 1
	done
	sleep 1		# the screen is drawn after the serial line
	python3 - "$sock" "$(readlink -f "$LOGS")/$name" <<'PY' || echo "  monitor: no screendump"
import re, socket, sys, time
sock, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
def cmd(c, wait=1.0):
    s.sendall(c.encode() + b"\n")
    time.sleep(wait)
    data = b""
    s.settimeout(0.5)
    try:
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            data += d
    except socket.timeout:
        pass
    return data.decode(errors="replace")
cmd("", 0.5)
cmd("screendump %s.ppm" % out)
# the text screen's memory, as 16-bit words (character, attribute)
text = cmd("xp /2000hx 0xb8000", 2.0)
words = [int(w, 16) for w in re.findall(r"0x([0-9a-f]{4})\b", re.sub(r"^[0-9a-f]+:", "", text, flags=re.M))]
open(out + ".vgamem", "wb").write(b"".join(w.to_bytes(2, "little") for w in words[-2000:]))
cmd("quit", 0.5)
PY
	wait $pid
	rm -f "$sock"
	echo "[$name] $plat screendump $LOGS/$name.ppm, serial log $LOG"
}

# fbshot_build: the checker, with uhv's own grid and font code -> $FBSHOT
fbshot_build() {
	FBSHOT=build/test-tools/fbshot
	mkdir -p build/test-tools
	gcc -std=gnu11 -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -DUHV_HOST_TEST \
		-o "$FBSHOT" test/system/fbshot.c lib/fbtext.c lib/fbrender.c lib/font8x8.c ||
		{ echo "cannot build the screendump checker"; exit 1; }
}

# expect_screen pixels|text NAME: the screendump shows the serial log's tail
expect_screen() {
	local mode=$1 name=$2 ref
	[ "$mode" = pixels ] && ref=$LOGS/$name.expected.ppm || ref=$LOGS/$name.vgamem
	if [ -s "$LOGS/$name.ppm" ] && "$FBSHOT" "$mode" "$LOGS/$name.ppm" "$LOG" "$ref"; then
		echo "  ok: the screen shows uhv's log ($mode)"
	else
		echo "  WRONG: the screen does not show uhv's log ($mode; $LOGS/$name.ppm)"
		fails=$((fails + 1))
	fi
}
