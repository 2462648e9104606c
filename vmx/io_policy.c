/* The guest's port policy: the one table of what it may reach (see <uhv/io_policy.h>,
 * docs/security.md "I/O ports"). Pure: no hardware access. */
#define LOG_MODULE "vmx"
#include <uhv/io_policy.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/vmx_policy.h>

struct io_rule_def {
	enum io_where where;
	u16 port, len;		/* IO_FIXED; for the others len 0 = the length from the facts */
	enum io_treatment t;
	const char *reason;
};

/* Everything a port not listed here gets is "unassigned": all-ones, writes dropped, counted. */
static const struct io_rule_def io_table[] = {
	/* the legacy platform a kernel drives itself; none of it can reach memory */
	{ IO_FIXED, 0x20, 2, IO_NATIVE, "8259A master PIC: the guest owns its interrupts" },
	{ IO_FIXED, 0xa0, 2, IO_NATIVE, "8259A slave PIC" },
	{ IO_FIXED, 0x4d0, 2, IO_NATIVE, "ELCR: edge/level mode of the PICs' ISA IRQs" },
	{ IO_FIXED, 0x40, 4, IO_NATIVE, "8254 PIT: the guest's timer (uhv times with TSC/LAPIC)" },
	{ IO_FIXED, 0x61, 1, IO_NATIVE, "port B: PIT channel 2 gate (timer calibration), speaker" },
	{ IO_FIXED, 0x80, 1, IO_NATIVE, "POST code: kernels write it as an I/O delay" },
	{ IO_FIXED, 0x60, 1, IO_NATIVE, "8042 data: the guest's keyboard and mouse" },
	{ IO_FIXED, 0x3b0, 0x30, IO_NATIVE, "legacy VGA registers: a text console, no DMA" },
	/* filtered: what is safe reaches the hardware, the rest does not */
	{ IO_FIXED, 0x64, 1, IO_FILTERED, "8042 command: reset pulses end the run, output-port "
	  "writes (reset line) are dropped" },
	{ IO_FIXED, 0x70, 2, IO_FILTERED, "RTC: index < 0x0e to the clock without the NMI-mask "
	  "bit; CMOS bytes from 0x0e a private copy" },
	{ IO_FIXED, 0x92, 1, IO_FILTERED, "System Control Port A: fast reset ends the run, A20 "
	  "stays on" },
	{ IO_PM1A_CNT, 0, 0, IO_FILTERED, "ACPI PM1a control: S5 ends the run, other sleep "
	  "states are dropped" },
	{ IO_PM1B_CNT, 0, 0, IO_FILTERED, "ACPI PM1b control: as PM1a" },
	{ IO_SMI_CMD, 0, 1, IO_FILTERED, "SMI command: only the FADT's ACPI_ENABLE/ACPI_DISABLE "
	  "reach SMM" },
	/* the ACPI fixed hardware a kernel reads and acknowledges */
	{ IO_PM1A_EVT, 0, 0, IO_NATIVE, "ACPI PM1a event block: the SCI's status and enables" },
	{ IO_PM1B_EVT, 0, 0, IO_NATIVE, "ACPI PM1b event block" },
	{ IO_PM_TMR, 0, 4, IO_NATIVE, "ACPI PM timer: a read-only counter" },
	{ IO_GPE0, 0, 0, IO_NATIVE, "ACPI GPE0 block: general-purpose event status and enables" },
	{ IO_GPE1, 0, 0, IO_NATIVE, "ACPI GPE1 block" },
	/* emulated by uhv */
	{ IO_FIXED, 0xcf8, 8, IO_EMULATED, "PCI configuration mechanism #1 and reset control "
	  "0xcf9: the virtual config space" },
	{ IO_RESET_REG, 0, 1, IO_EMULATED, "ACPI reset register: the guest's reset ends the run" },
	{ IO_CONSOLE, 0, 8, IO_EMULATED, "uhv's console UART: the guest gets a virtual 16550" },
	{ IO_GDB, 0, 8, IO_EMULATED, "the GDB stub's UART: hidden (reads all-ones)" },
	/* the device given to the guest */
	{ IO_NIC_BAR, 0, 0, IO_NATIVE, "an I/O BAR of the NIC passed through" },
};

/* every rule of the table once, a NIC with all its BARs: must fit */
_Static_assert(sizeof(io_table) / sizeof(io_table[0]) - 1 + IO_NIC_MAX_BARS <= IO_POLICY_MAX,
	       "IO_POLICY_MAX too small for the port table");

const char *io_treatment_name(enum io_treatment t)
{
	return t == IO_NATIVE ? "native" : t == IO_EMULATED ? "emulated" : "filtered";
}

static int add_rule(struct io_policy *p, const struct io_rule_def *d, struct io_range r)
{
	u32 last = (u32)r.port + r.len - 1;

	if (!r.len)
		return 0;
	if (last > 0xffff) {
		pr_err("port table: %s at %#x-%#x runs past port 0xffff: refusing to start the "
		       "guest\n", d->reason, r.port, last);
		return -EINVAL;
	}
	const struct io_rule *o = io_policy_overlap(p, r.port, last, NULL);
	if (o) {
		pr_err("port table: %s (%#x-%#x) overlaps %s (%#x-%#x): refusing to start the "
		       "guest\n", d->reason, r.port, last, o->reason, o->first, o->last);
		return -EEXIST;
	}
	if (p->n == IO_POLICY_MAX) {
		pr_err("port table full (IO_POLICY_MAX %d rules): no room for %s at %#x: refusing "
		       "to start the guest\n", IO_POLICY_MAX, d->reason, r.port);
		return -ENOSPC;
	}
	unsigned i = p->n;
	while (i > 0 && p->r[i - 1].first > r.port) {
		p->r[i] = p->r[i - 1];
		i--;
	}
	p->r[i] = (struct io_rule){ r.port, (u16)last, d->t, d->where, d->reason };
	p->n++;
	return 0;
}

int io_policy_build(struct io_policy *p, const struct io_facts *f)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < sizeof(io_table) / sizeof(io_table[0]); i++) {
		const struct io_rule_def *d = &io_table[i];
		int ret = 0;

		if (d->where == IO_FIXED) {
			ret = add_rule(p, d, (struct io_range){ d->port, d->len });
		} else if (d->where == IO_NIC_BAR) {
			for (unsigned b = 0; b < f->nr_nic && b < IO_NIC_MAX_BARS && !ret; b++)
				ret = add_rule(p, d, f->nic[b]);
		} else {
			struct io_range r = f->at[d->where];
			if (r.port && r.len && d->len)
				r.len = d->len;	/* the table knows the register's width */
			ret = r.port ? add_rule(p, d, r) : 0;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

const struct io_rule *io_policy_find(const struct io_policy *p, u16 port)
{
	unsigned lo = 0, hi = p->n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (port < p->r[mid].first)
			hi = mid;
		else if (port > p->r[mid].last)
			lo = mid + 1;
		else
			return &p->r[mid];
	}
	return NULL;
}

void io_policy_bytes(const struct io_policy *p, u16 port, unsigned size,
		     const struct io_rule *out[4])
{
	for (unsigned i = 0; i < size && i < 4; i++)
		out[i] = io_policy_find(p, (u16)(port + i));
}

const struct io_rule *io_policy_overlap(const struct io_policy *p, u16 first, u32 last,
					const struct io_rule *except)
{
	for (unsigned i = 0; i < p->n; i++)
		if (&p->r[i] != except && first <= p->r[i].last && last >= p->r[i].first)
			return &p->r[i];
	return NULL;
}

unsigned io_policy_gap(const struct io_policy *p, u16 port, u16 *first, u16 *last)
{
	unsigned i = 0;

	while (i < p->n && p->r[i].first <= port)
		i++;
	*first = i ? p->r[i - 1].last + 1 : 0;
	*last = i < p->n ? p->r[i].first - 1 : 0xffff;
	return i;
}

int io_policy_move_nic_bar(struct io_policy *p, u16 old_first, u16 new_first)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct io_rule r = p->r[i];

		if (r.where != IO_NIC_BAR || r.first != old_first)
			continue;
		u32 last = (u32)new_first + (r.last - r.first);
		if (last > 0xffff || io_policy_overlap(p, new_first, last, &p->r[i]))
			return -EEXIST;
		memmove(&p->r[i], &p->r[i + 1], (p->n - i - 1) * sizeof(r));
		p->n--;
		struct io_rule_def d = { IO_NIC_BAR, 0, 0, r.t, r.reason };
		return add_rule(p, &d, (struct io_range){ new_first, (u16)(last - new_first + 1) });
	}
	return -ENOENT;
}

void io_policy_bitmaps(const struct io_policy *p, u8 *a, u8 *b)
{
	memset(a, 0xff, VMX_IO_BITMAP_SIZE);
	memset(b, 0xff, VMX_IO_BITMAP_SIZE);
	for (unsigned i = 0; i < p->n; i++) {
		if (p->r[i].t != IO_NATIVE)
			continue;
		for (u32 port = p->r[i].first; port <= p->r[i].last; port++) {
			u8 *bm = port < 0x8000 ? a : b;
			unsigned bit = port & 0x7fff;

			bm[bit / 8] &= (u8)~(1U << (bit % 8));
		}
	}
}

static const struct io_claim *claim_at(const struct io_claim *c, unsigned n, u16 port)
{
	for (unsigned i = 0; i < n; i++)
		if (port >= c[i].first && port <= c[i].last)
			return &c[i];
	return NULL;
}

int io_policy_check_claims(const struct io_policy *p, const struct io_claim *c, unsigned n,
			   bool overflowed)
{
	if (overflowed) {
		pr_err("the I/O trap table overflowed (said above): refusing to start the guest\n");
		return -ENOSPC;
	}
	for (unsigned i = 0; i < n; i++) {
		for (u32 port = c[i].first; port <= c[i].last; port++) {
			const struct io_rule *r = io_policy_find(p, (u16)port);
			if (r && r->t != IO_NATIVE)
				continue;
			pr_err("%s traps port %#x, which the port table %s: refusing to start the "
			       "guest\n", c[i].name, port, r ? "passes natively" : "does not name");
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < p->n; i++) {
		const struct io_rule *r = &p->r[i];
		for (u32 port = r->first; r->t != IO_NATIVE && port <= r->last; port++) {
			if (claim_at(c, n, (u16)port))
				continue;
			pr_err("port table: %s (%#x-%#x) has no handler at port %#x: refusing to "
			       "start the guest\n", r->reason, r->first, r->last, port);
			return -EINVAL;
		}
	}
	return 0;
}
