#!/usr/bin/env python3
"""Script a serial console exported on TCP (Bochs `comN: mode=socket-server`,
QEMU `-serial tcp:...,server=on`): connect, log everything received, and run
a small script of expectations and keystrokes.

  scripts/serial-session.py HOST:PORT LOG [TIMEOUT] < SCRIPT

SCRIPT, one command a line ('#' comments):
  expect REGEX        wait (up to TIMEOUT s) until REGEX matches the output
                      received after the previous match; fail otherwise
  send TEXT           send TEXT; escapes: \\r \\n \\t \\\\ \\xHH (\\x1d is Ctrl-])
  line TEXT           send TEXT then a carriage return, one byte at a time
  sleep SECONDS
  garbage N SEED      send N pseudo-random bytes without 0x1d (Ctrl-]), in small
                      chunks, so a console sees line noise but no escape key
  eof                 wait until the other side closes the connection
Exit status: 0 when every command succeeded, 1 otherwise (the reason is
printed). The connection is retried for TIMEOUT seconds, so the emulator may
start after this script."""
import random
import re
import socket
import sys
import threading
import time


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n == 'x' and i + 3 < len(s) + 1:
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out += {'r': b'\r', 'n': b'\n', 't': b'\t', '\\': b'\\'}.get(n, n.encode())
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)


class Session:
    def __init__(self, addr, log, timeout):
        self.timeout = timeout
        self.buf = b''
        self.pos = 0          # output before pos was consumed by earlier expects
        self.closed = False
        self.lock = threading.Condition()
        self.log = open(log, 'wb')
        host, port = addr.rsplit(':', 1)
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, int(port)), timeout=5)
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit(f'serial-session: cannot connect to {addr}')
                time.sleep(0.2)
        self.sock.settimeout(None)
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b''
            with self.lock:
                if not data:
                    self.closed = True
                    self.lock.notify_all()
                    return
                self.buf += data
                self.log.write(data)
                self.log.flush()
                self.lock.notify_all()

    def expect(self, pattern):
        rx = re.compile(pattern.encode(), re.M)
        deadline = time.time() + self.timeout
        with self.lock:
            while True:
                m = rx.search(self.buf, self.pos)
                if m:
                    self.pos = m.end()
                    return True
                left = deadline - time.time()
                if left <= 0 or self.closed:
                    return False
                self.lock.wait(min(left, 0.5))

    def send(self, data, per_byte=False):
        if per_byte:
            for b in data:
                self.sock.sendall(bytes([b]))
                time.sleep(0.01)
        else:
            self.sock.sendall(data)

    def eof(self):
        deadline = time.time() + self.timeout
        with self.lock:
            while not self.closed and time.time() < deadline:
                self.lock.wait(0.5)
            return self.closed


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 60
    s = Session(sys.argv[1], sys.argv[2], timeout)
    for n, raw in enumerate(sys.stdin, 1):
        line = raw.rstrip('\n')
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        cmd, _, arg = line.strip().partition(' ')
        ok = True
        if cmd == 'expect':
            ok = s.expect(arg)
        elif cmd == 'send':
            s.send(unescape(arg), per_byte=True)
        elif cmd == 'line':
            s.send(unescape(arg) + b'\r', per_byte=True)
        elif cmd == 'sleep':
            time.sleep(float(arg))
        elif cmd == 'garbage':
            count, seed = (int(x) for x in arg.split())
            rnd = random.Random(seed)
            data = bytes(b if b != 0x1d else 0x1c for b in (rnd.randrange(256) for _ in range(count)))
            sent = 0
            for i in range(0, len(data), 16):
                try:
                    s.send(data[i:i + 16])
                except (BrokenPipeError, ConnectionResetError):
                    # the emulator finished while noise was still going out: the
                    # expects that follow judge what it printed before it closed
                    break
                sent = i + 16
                time.sleep(0.02)
            if sent < len(data):
                print(f'serial-session: note: peer closed after {sent} of {len(data)} garbage bytes')
        elif cmd == 'eof':
            ok = s.eof()
        else:
            print(f'serial-session: line {n}: unknown command {cmd!r}')
            return 2
        if not ok:
            print(f'serial-session: line {n}: {line.strip()!r} failed'
                  f'{" (connection closed)" if s.closed else ""}')
            tail = s.buf[s.pos:][-600:].decode('latin-1')
            print('--- unmatched output:\n' + tail)
            return 1
        print(f'serial-session: ok: {line.strip()}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
