/* The guest's I/O ports: one table of rules (vmx/io_policy.c), each a port range, what the
 * guest gets there and why. A port no rule names is unassigned: reads give all-ones, writes are
 * dropped, both counted (vm->denied.io_unassigned), as bare metal answers for ports nothing
 * decodes.
 *
 *  native    - the VMX I/O bitmap bit is clear: the guest reaches the hardware, no exit;
 *  emulated  - intercepted: a trap handler (<uhv/vmx_trap.h>) answers for a device uhv owns or
 *              virtualizes (PCI config space, uhv's UARTs, the reset register);
 *  filtered  - intercepted: a trap handler passes what is safe to the hardware and drops or
 *              changes the rest (RTC NMI mask, sleep states, SMI commands, reset bits).
 *
 * Some rules take their ports from facts (the FADT's blocks, uhv's UARTs, the NIC's I/O BARs):
 * io_policy_build() turns the table and the facts into the vm's rule list, sorted by port.
 * Pure: no hardware access; the host unit test (test/unit/test_io_policy.c) checks the
 * bitmaps against the rules port by port. vmx/io_setup.c applies it to the vm. */
#ifndef UHV_IO_POLICY_H
#define UHV_IO_POLICY_H

#include <uhv/types.h>

enum io_treatment {
	IO_NATIVE,
	IO_EMULATED,
	IO_FILTERED,
};

/* Where a rule's ports come from: IO_FIXED rules name them, the others take them from the
 * facts (struct io_facts, same order). */
enum io_where {
	IO_FIXED,
	IO_PM1A_EVT,
	IO_PM1B_EVT,
	IO_PM1A_CNT,
	IO_PM1B_CNT,
	IO_PM_TMR,
	IO_GPE0,
	IO_GPE1,
	IO_SMI_CMD,
	IO_RESET_REG,
	IO_CONSOLE,	/* uhv's console UART (the guest gets the vuart) */
	IO_GDB,		/* the GDB stub's own UART */
	IO_NIC_BAR,	/* every I/O BAR of the NIC passed through */
	IO_NR_WHERE,
};

#define IO_NIC_MAX_BARS	6
/* The most rules a vm can have: the fixed ones, one per fact, the NIC's BARs. A build that needs
 * more fails (-ENOSPC) and uhv does not start the guest. */
#define IO_POLICY_MAX	40

/* A range from the platform: len 0 = absent. */
struct io_range {
	u16 port;
	u16 len;
};

struct io_facts {
	struct io_range at[IO_NR_WHERE];	/* IO_NIC_BAR unused: see nic[] */
	struct io_range nic[IO_NIC_MAX_BARS];
	unsigned nr_nic;
};

struct io_rule {
	u16 first, last;
	enum io_treatment t;
	enum io_where where;
	const char *reason;
};

struct io_policy {
	struct io_rule r[IO_POLICY_MAX];	/* sorted by first, no two overlap */
	unsigned n;
	/* unassigned ranges (gap i lies before r[i], gap n after the last) already reported on
	 * the console: set with an atomic or, by any vCPU */
	u64 noted[(IO_POLICY_MAX + 1 + 63) / 64];
};

/* The table and the facts -> p. 0, or -ENOSPC (more rules than IO_POLICY_MAX) or -EEXIST (two
 * rules overlap, e.g. a firmware block on a fixed port); both said on the console, naming the
 * rules. */
int io_policy_build(struct io_policy *p, const struct io_facts *f);
/* The rule for port, or NULL (unassigned). */
const struct io_rule *io_policy_find(const struct io_policy *p, u16 port);
/* The rule of each byte of an access of size bytes at port (NULL: unassigned). An access past
 * 0xffff goes on at port 0 (the SDM: such an access, to "ports FFFFH and 0000H", always exits,
 * so uhv decides). */
void io_policy_bytes(const struct io_policy *p, u16 port, unsigned size,
		     const struct io_rule *out[4]);
/* A rule other than except (may be NULL) with a port in [first, last], or NULL. */
const struct io_rule *io_policy_overlap(const struct io_policy *p, u16 first, u32 last,
					const struct io_rule *except);
/* The unassigned range around port (not in any rule): its bounds and index for p->noted. */
unsigned io_policy_gap(const struct io_policy *p, u16 port, u16 *first, u16 *last);
/* Move the NIC BAR rule starting at old_first to new_first (same length). 0, -ENOENT (no such
 * rule) or -EEXIST (the new range hits another rule: p unchanged). */
int io_policy_move_nic_bar(struct io_policy *p, u16 old_first, u16 new_first);

/* Who handles trapped ports (the vm's I/O trap table, <uhv/vmx_trap.h>). */
struct io_claim {
	u16 first, last;
	const char *name;
};
/* Fail closed: 0 when every claim lies on ports p traps (emulated or filtered) and every such
 * port has a claim; else said, naming the claim or rule, and < 0. overflowed: the trap table had
 * no room for a claim (said when it happened): always refused. */
int io_policy_check_claims(const struct io_policy *p, const struct io_claim *c, unsigned n,
			   bool overflowed);

/* The VMX I/O bitmaps A (ports 0-0x7fff) and B (0x8000-0xffff) for p: every bit set but those of
 * native rules. */
void io_policy_bitmaps(const struct io_policy *p, u8 *a, u8 *b);
const char *io_treatment_name(enum io_treatment t);

#endif
