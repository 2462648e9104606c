/* GDB remote serial protocol engine (debug/gdbstub*.c, pure, host-tested).
 *
 * The engine knows the protocol and nothing about VMX: it is fed the bytes
 * received on the debug serial port one at a time (gdb_rx_byte), answers
 * through the backend's put(), and reaches the guest only through the
 * backend callbacks below. One stub debugs the single guest vCPU, presented to
 * GDB as thread 1 of an all-stop target.
 *
 * What the VMX side has to do:
 *   - poll the debug UART (on every VM exit, and in a loop while the guest is
 *     stopped) and hand each byte to gdb_rx_byte();
 *   - implement struct gdb_backend;
 *   - when the guest stops for a debug reason, call gdb_notify_stop():
 *       #BP (int3) exit:  GDB_STOP_INT3 with rip = address of the int3 itself
 *                         (guest RIP as saved on the exception exit). If
 *                         gdb_is_breakpoint() says the int3 is not one of the
 *                         stub's, reinject #BP into the guest instead;
 *       #DB exit:         GDB_STOP_DEBUG with the exit qualification's DR6 bits
 *                         (B0-B3, BS); the engine decodes hw breakpoint,
 *                         watchpoint or single step;
 *       MTF exit after resume(step=true): GDB_STOP_STEP;
 *       after interrupt(): GDB_STOP_INTERRUPT once the guest is out;
 *       guest triple fault / shutdown: GDB_STOP_SIGNAL (e.g. 11) or GDB_STOP_EXITED.
 *
 * Registers use GDB's amd64 layout (the target description served by
 * qXfer:features:read names them): rax rbx rcx rdx rsi rdi rbp rsp r8..r15
 * (NOT the instruction-encoding order), rip, eflags (32 bits), cs ss ds es fs
 * gs (32 bits each), st0..st7 (80 bits), fctrl fstat ftag fiseg fioff foseg
 * fooff fop (32 bits), xmm0..xmm15, mxcsr, then fs_base, gs_base and the
 * system registers cr0 cr2 cr3 cr4 cr8 efer. All little endian. */
#ifndef UHV_GDBSTUB_H
#define UHV_GDBSTUB_H

#include <uhv/types.h>

/* Largest packet payload the stub accepts (announced as PacketSize). */
#define GDB_PKT_MAX	4096
#define GDB_SW_BP_MAX	32	/* software breakpoints at once */
#define GDB_HW_SLOTS	4	/* DR0-DR3 */
#define GDB_THREAD_ID	1

/* GDB register numbers ('p'/'P' packets; order of the 'g' packet). */
enum gdb_regno {
	GDB_REG_RAX, GDB_REG_RBX, GDB_REG_RCX, GDB_REG_RDX,
	GDB_REG_RSI, GDB_REG_RDI, GDB_REG_RBP, GDB_REG_RSP,
	GDB_REG_R8, GDB_REG_R9, GDB_REG_R10, GDB_REG_R11,
	GDB_REG_R12, GDB_REG_R13, GDB_REG_R14, GDB_REG_R15,
	GDB_REG_RIP = 16,
	GDB_REG_EFLAGS = 17,
	GDB_REG_CS = 18,	/* then ss ds es fs gs */
	GDB_REG_ST0 = 24,	/* st0..st7 */
	GDB_REG_FCTRL = 32,	/* then fstat ftag fiseg fioff foseg fooff fop */
	GDB_REG_XMM0 = 40,	/* xmm0..xmm15 */
	GDB_REG_MXCSR = 56,
	GDB_REG_FS_BASE = 57,
	GDB_REG_GS_BASE = 58,
	GDB_REG_CR0 = 59,	/* then cr2 cr3 cr4 cr8 efer */
	GDB_REG_EFER = 64,
	GDB_NUM_REGS = 65,
};

struct gdb_regs {
	u64 gpr[16];		/* GDB order, see above: gpr[1] is rbx, gpr[2] rcx */
	u64 rip;
	u32 eflags;
	u32 seg[6];		/* selectors: cs ss ds es fs gs */
	u8 st[8][10];		/* x87 stack, 80-bit */
	u32 x87[8];		/* fctrl fstat ftag fiseg fioff foseg fooff fop */
	u8 xmm[16][16];
	u32 mxcsr;
	u64 fs_base, gs_base;
	u64 cr0, cr2, cr3, cr4, cr8, efer;
};

/* Z/z packet types */
enum gdb_bp_type {
	GDB_BP_SW = 0,		/* int3 written into guest memory */
	GDB_BP_HW = 1,		/* DRn execute */
	GDB_WP_WRITE = 2,	/* DRn write */
	GDB_WP_READ = 3,	/* DRn read/write (x86 has no read-only watchpoints) */
	GDB_WP_ACCESS = 4,	/* DRn read/write */
};

enum gdb_stop_reason {
	GDB_STOP_INTERRUPT,	/* after backend interrupt() (Ctrl-C, '?'), or the monitor: SIGINT */
	GDB_STOP_STEP,		/* single step done (MTF): SIGTRAP */
	GDB_STOP_INT3,		/* #BP at rip: SIGTRAP, swbreak if it is one of ours */
	GDB_STOP_DEBUG,		/* #DB with dr6: hwbreak, watch or step */
	GDB_STOP_SIGNAL,	/* something else stopped the guest: signal */
	GDB_STOP_EXITED,	/* the guest is gone: exit code */
};

struct gdb_stop {
	enum gdb_stop_reason reason;
	u64 rip;		/* GDB_STOP_INT3 */
	u64 dr6;		/* GDB_STOP_DEBUG */
	u8 signal;		/* GDB_STOP_SIGNAL (GDB numbering: 11 SIGSEGV, ...) */
	u8 code;		/* GDB_STOP_EXITED */
};

struct gdb_backend {
	void *ctx;
	/* Send bytes to GDB (the debug UART). */
	void (*put)(void *ctx, const void *buf, size_t len);
	/* Whole register file; registers the backend does not track read as 0
	 * and writes to them are ignored. 0 or -errno. */
	int (*read_regs)(void *ctx, struct gdb_regs *r);
	int (*write_regs)(void *ctx, const struct gdb_regs *r);
	/* Guest-virtual memory through the guest's current page tables (and EPT).
	 * Bytes copied, possibly short at an unmapped page, or -errno. Writes must
	 * work on read-only guest mappings (breakpoints go into code). */
	int (*read_mem)(void *ctx, u64 gva, void *buf, size_t len);
	int (*write_mem)(void *ctx, u64 gva, const void *buf, size_t len);
	/* Load the guest's DR0-DR3 and DR7 as given; while any enable bit of dr7
	 * is set, #DB must cause a VM exit (exception bitmap bit 1). 0 or -errno. */
	int (*set_debugregs)(void *ctx, const u64 addr[GDB_HW_SLOTS], u64 dr7);
	/* Let the guest run; step: execute exactly one instruction, then stop
	 * with GDB_STOP_STEP (or GDB_STOP_DEBUG with DR6.BS). */
	void (*resume)(void *ctx, bool step);
	/* Stop the running guest soon, then call gdb_notify_stop(INTERRUPT). */
	void (*interrupt)(void *ctx);
	/* GDB detached (D, k): breakpoints are already removed; resume the guest
	 * normally and give the port back (to the console, if it was shared). */
	void (*detach)(void *ctx);
};

enum gdb_state {
	GDB_STATE_STOPPED,	/* guest stopped, packets served */
	GDB_STATE_RUNNING,	/* guest running, a stop reply is owed */
	GDB_STATE_DETACHED,	/* GDB said D or k; gdb_attach() to start again */
};

struct gdb_sw_bp {
	u64 addr;
	u8 saved;		/* the guest's byte under the int3 */
	bool used;
};

struct gdb_hw_slot {
	bool used;
	u8 type;		/* enum gdb_bp_type */
	u8 len;			/* 1, 2, 4 or 8 */
	u64 addr;
	u64 group_addr;		/* the Z request this chunk belongs to */
	u64 group_len;
};

/* All state is inside: no allocation, no globals. About 22 KiB. */
struct gdb_stub {
	const struct gdb_backend *be;
	enum gdb_state state;
	bool no_ack;		/* QStartNoAckMode accepted */

	/* what GDB said it understands in qSupported */
	bool gdb_swbreak, gdb_hwbreak;

	/* receiver */
	u8 rx_state;
	u8 rx_sum;		/* running checksum of the payload */
	u8 rx_cs;		/* first checksum digit */
	bool rx_bad_cs;		/* a checksum character was not hex */
	bool rx_overflow;	/* payload longer than GDB_PKT_MAX */
	size_t rx_len;
	u8 rx[GDB_PKT_MAX + 64];	/* a little slack over what we announce */

	/* reply under construction (unescaped) */
	size_t out_len;
	bool out_overflow;
	u8 out[GDB_PKT_MAX];

	/* last framed packet sent, kept for a '-' retransmission */
	size_t tx_len;
	bool tx_unacked;
	u8 tx[2 * GDB_PKT_MAX + 8];

	char stop_reply[64];	/* last stop reply, for '?' */

	/* scratch for packet handlers, kept here instead of on a small stack */
	struct gdb_regs regs;
	u8 data[GDB_PKT_MAX];

	struct gdb_sw_bp sw[GDB_SW_BP_MAX];
	struct gdb_hw_slot hw[GDB_HW_SLOTS];

	/* counters, for the monitor and tests */
	u32 bad_checksums, overflows, retransmits;
};

/* Start a session. running: the guest is running now (gdb= at boot); else it
 * is stopped (the monitor handed over) and '?' answers at once. */
void gdb_attach(struct gdb_stub *s, const struct gdb_backend *be, bool running);
/* Feed one byte received from GDB. */
void gdb_rx_byte(struct gdb_stub *s, u8 byte);
/* The guest stopped (see the list at the top of this file). */
void gdb_notify_stop(struct gdb_stub *s, const struct gdb_stop *why);
/* true if the stub has an int3 planted at gva (else a #BP is the guest's own). */
bool gdb_is_breakpoint(const struct gdb_stub *s, u64 gva);
static inline enum gdb_state gdb_get_state(const struct gdb_stub *s)
{
	return s->state;
}

/* Protocol helpers, exported for tests and the host test server. */
u8 gdb_checksum(const void *buf, size_t len);
/* Expand run-length encoding ("0* " = "0000") in src; bytes written to dst
 * or -EINVAL for a malformed or oversized input. */
int gdb_rle_decode(const u8 *src, size_t len, u8 *dst, size_t cap);
/* The target description served as target.xml. */
const char *gdb_target_xml(void);
/* Register n's size in bytes and place in struct gdb_regs, or -EINVAL. */
int gdb_reg_info(unsigned n, size_t *offset, size_t *size);

#endif
