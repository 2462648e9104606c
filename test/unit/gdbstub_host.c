/* Host check of the GDB stub against a real GDB (not a cmocka test).
 *
 * Serves the stub engine (debug/gdbstub*.c) over TCP on 127.0.0.1 with a fake in-memory guest:
 * a register file and 64 KiB of memory (guest-virtual = guest-physical).
 * The fake "CPU" does not execute instructions; resuming it models what the
 * VMX side reports:
 *   step:      rip += 1, GDB_STOP_STEP;
 *   continue:  an armed write/access watchpoint fires first (the fake guest
 *              increments the watched u32 and reports #DB with DR6.Bn);
 *              otherwise the guest "runs" to the nearest int3 byte or DR
 *              execute breakpoint at or after rip (GDB_STOP_INT3 with rip at
 *              the int3, or GDB_STOP_DEBUG with DR6.Bn); with neither, it runs
 *              until GDB sends Ctrl-C.
 *
 * Build and run: test/unit/gdbstub_host.sh (builds this file with gcc and
 * drives `gdb -batch` against it). Usage: gdbstub_host PORTFILE
 * (listens on an ephemeral port and writes its number to PORTFILE). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uhv/gdbstub.h>

#define MEM_SIZE	0x10000

static struct {
	struct gdb_regs regs;
	u8 mem[MEM_SIZE];
	u64 dr[4], dr7;
	int fd;
	bool run_pending, step_pending, running, detached;
} G;

static struct gdb_stub stub;

static void h_put(void *ctx, const void *buf, size_t len)
{
	const u8 *b = buf;
	while (len) {
		ssize_t n = write(G.fd, b, len);
		if (n <= 0) {
			perror("gdbstub_host: write");
			exit(2);
		}
		b += n;
		len -= (size_t)n;
	}
}

static int h_read_regs(void *ctx, struct gdb_regs *r)
{
	*r = G.regs;
	return 0;
}

static int h_write_regs(void *ctx, const struct gdb_regs *r)
{
	G.regs = *r;
	return 0;
}

static int h_read_mem(void *ctx, u64 gva, void *buf, size_t len)
{
	if (gva >= MEM_SIZE)
		return -14;
	len = len < MEM_SIZE - gva ? len : MEM_SIZE - gva;
	memcpy(buf, G.mem + gva, len);
	return (int)len;
}

static int h_write_mem(void *ctx, u64 gva, const void *buf, size_t len)
{
	if (gva >= MEM_SIZE)
		return -14;
	len = len < MEM_SIZE - gva ? len : MEM_SIZE - gva;
	memcpy(G.mem + gva, buf, len);
	return (int)len;
}

static int h_set_debugregs(void *ctx, const u64 addr[GDB_HW_SLOTS], u64 dr7)
{
	memcpy(G.dr, addr, sizeof(G.dr));
	G.dr7 = dr7;
	fprintf(stderr, "gdbstub_host: dr7=%#llx dr0=%#llx\n", dr7,
		addr[0]);
	return 0;
}

static void h_resume(void *ctx, bool step)
{
	/* like the VMX side: the guest runs after the packet is handled */
	G.run_pending = true;
	G.step_pending = step;
}

static void h_interrupt(void *ctx)
{
	if (G.running) {
		G.running = false;
		struct gdb_stop why = { .reason = GDB_STOP_INTERRUPT };
		gdb_notify_stop(&stub, &why);
	}
}

static void h_detach(void *ctx)
{
	G.detached = true;
}

static const struct gdb_backend backend = {
	.put = h_put,
	.read_regs = h_read_regs,
	.write_regs = h_write_regs,
	.read_mem = h_read_mem,
	.write_mem = h_write_mem,
	.set_debugregs = h_set_debugregs,
	.resume = h_resume,
	.interrupt = h_interrupt,
	.detach = h_detach,
};

static unsigned dr_rw(unsigned i)
{
	return (unsigned)(G.dr7 >> (16 + 4 * i)) & 3;
}

static bool dr_on(unsigned i)
{
	return G.dr7 & (1ull << (2 * i));
}

static void run_guest(void)
{
	struct gdb_stop why = { 0 };
	u64 best = ~0ull;
	int best_dr = -1;

	if (G.step_pending) {
		G.regs.rip++;
		why.reason = GDB_STOP_STEP;
		gdb_notify_stop(&stub, &why);
		return;
	}
	for (unsigned i = 0; i < 4; i++) {
		if (dr_on(i) && dr_rw(i) != 0 && G.dr[i] + 4 <= MEM_SIZE) {
			u32 v;
			memcpy(&v, G.mem + G.dr[i], 4);
			v++;
			memcpy(G.mem + G.dr[i], &v, 4);
			G.regs.rip++;	/* "the instruction that wrote" retired */
			why.reason = GDB_STOP_DEBUG;
			why.dr6 = 1ull << i;
			gdb_notify_stop(&stub, &why);
			return;
		}
	}
	for (unsigned i = 0; i < 4; i++)
		if (dr_on(i) && dr_rw(i) == 0 && G.dr[i] > G.regs.rip && G.dr[i] < best) {
			best = G.dr[i];
			best_dr = (int)i;
		}
	for (u64 a = G.regs.rip; a < MEM_SIZE && a < best; a++)
		if (G.mem[a] == 0xcc) {
			best = a;
			best_dr = -1;
			break;
		}
	if (best == ~0ull) {
		G.running = true;	/* until Ctrl-C */
		fprintf(stderr, "gdbstub_host: guest running until Ctrl-C\n");
		return;
	}
	G.regs.rip = best;
	if (best_dr >= 0) {
		why.reason = GDB_STOP_DEBUG;
		why.dr6 = 1ull << best_dr;
	} else {
		why.reason = GDB_STOP_INT3;
		why.rip = best;
	}
	gdb_notify_stop(&stub, &why);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int one = 1, ls;
	FILE *pf;

	if (argc != 2) {
		fprintf(stderr, "usage: gdbstub_host PORTFILE\n");
		return 2;
	}
	/* a recognisable guest: nops with a few marked words */
	memset(G.mem, 0x90, sizeof(G.mem));
	memcpy(G.mem + 0x1000, "\xef\xbe\xad\xde\x78\x56\x34\x12", 8);
	memset(G.mem + 0x2000, 0, 16);
	G.regs.rip = 0x1000;
	G.regs.gpr[GDB_REG_RSP] = 0x8000;
	G.regs.gpr[GDB_REG_RAX] = 0x1234;
	G.regs.eflags = 0x202;
	G.regs.seg[0] = 0x10;
	G.regs.cr0 = 0x80050033;
	G.regs.mxcsr = 0x1f80;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl)) {
		perror("gdbstub_host: socket");
		return 2;
	}
	pf = fopen(argv[1], "w");
	if (!pf)
		return 2;
	fprintf(pf, "%u\n", ntohs(sa.sin_port));
	fclose(pf);

	G.fd = accept(ls, NULL, NULL);
	if (G.fd < 0) {
		perror("gdbstub_host: accept");
		return 2;
	}
	setsockopt(G.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	gdb_attach(&stub, &backend, false);
	while (!G.detached) {
		u8 buf[512];
		ssize_t n = read(G.fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			gdb_rx_byte(&stub, buf[i]);
			if (G.run_pending) {
				G.run_pending = false;
				run_guest();
			}
		}
	}
	fprintf(stderr, "gdbstub_host: %s; rip=%#llx bad checksums %u\n",
		G.detached ? "GDB detached" : "connection closed",
		G.regs.rip, stub.bad_checksums);
	close(G.fd);
	return G.detached ? 0 : 1;
}
