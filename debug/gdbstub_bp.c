/* GDB stub engine, breakpoints: int3s planted in guest memory (and hidden from GDB's reads),
 * DR0-DR3 slots for hardware breakpoints and watchpoints, and the Z/z packets (pure,
 * host-tested). */
#include <uhv/errno.h>
#include <uhv/string.h>
#include "gdbstub_priv.h"

#define INT3		0xcc

static struct gdb_sw_bp *sw_find(struct gdb_stub *s, u64 addr)
{
	for (size_t i = 0; i < GDB_SW_BP_MAX; i++)
		if (s->sw[i].used && s->sw[i].addr == addr)
			return &s->sw[i];
	return NULL;
}

bool gdb_is_breakpoint(const struct gdb_stub *s, u64 gva)
{
	return sw_find((struct gdb_stub *)s, gva) != NULL;
}

static int sw_insert(struct gdb_stub *s, u64 addr)
{
	struct gdb_sw_bp *bp = sw_find(s, addr);
	u8 orig, int3 = INT3;

	if (bp)
		return 0;	/* GDB may insert twice; one int3 serves both */
	for (size_t i = 0; i < GDB_SW_BP_MAX && !bp; i++)
		if (!s->sw[i].used)
			bp = &s->sw[i];
	if (!bp)
		return -ENOSPC;
	if (s->be->read_mem(s->be->ctx, addr, &orig, 1) != 1)
		return -EFAULT;
	if (s->be->write_mem(s->be->ctx, addr, &int3, 1) != 1)
		return -EFAULT;
	bp->addr = addr;
	bp->saved = orig;
	bp->used = true;
	return 0;
}

static int sw_remove(struct gdb_stub *s, u64 addr)
{
	struct gdb_sw_bp *bp = sw_find(s, addr);

	if (!bp)
		return 0;	/* already gone (e.g. removed at a detach) */
	bp->used = false;
	if (s->be->write_mem(s->be->ctx, addr, &bp->saved, 1) != 1)
		return -EFAULT;
	return 0;
}

/* GDB sees guest memory as if no int3 were planted. */
void gdb_bp_hide(struct gdb_stub *s, u64 addr, u8 *buf, size_t len)
{
	for (size_t i = 0; i < GDB_SW_BP_MAX; i++)
		if (s->sw[i].used && s->sw[i].addr - addr < len)
			buf[s->sw[i].addr - addr] = s->sw[i].saved;
}

/* A GDB write over a planted int3 changes the byte restored later instead. */
void gdb_bp_shadow_write(struct gdb_stub *s, u64 addr, u8 *buf, size_t len)
{
	for (size_t i = 0; i < GDB_SW_BP_MAX; i++) {
		if (s->sw[i].used && s->sw[i].addr - addr < len) {
			s->sw[i].saved = buf[s->sw[i].addr - addr];
			buf[s->sw[i].addr - addr] = INT3;
		}
	}
}

static u64 hw_dr7(const struct gdb_stub *s, u64 addr[GDB_HW_SLOTS])
{
	u64 dr7 = BIT(10);	/* reserved, reads as 1 */

	for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
		const struct gdb_hw_slot *h = &s->hw[i];
		addr[i] = h->used ? h->addr : 0;
		if (!h->used)
			continue;
		u64 rw = h->type == GDB_BP_HW ? 0 : h->type == GDB_WP_WRITE ? 1 : 3;
		u64 len = h->type == GDB_BP_HW ? 0 : h->len == 1 ? 0 : h->len == 2 ? 1 :
			  h->len == 8 ? 2 : 3;
		dr7 |= BIT(2 * i);				/* Ln */
		dr7 |= (rw | len << 2) << (16 + 4 * i);		/* R/Wn, LENn */
	}
	return dr7;
}

static int hw_load(struct gdb_stub *s)
{
	u64 addr[GDB_HW_SLOTS];
	u64 dr7 = hw_dr7(s, addr);
	return s->be->set_debugregs(s->be->ctx, addr, dr7);
}

/* Cover [addr, addr+len) with naturally aligned 1/2/4/8-byte debug register
 * ranges; fails without changing anything when the free slots do not suffice. */
static int hw_insert(struct gdb_stub *s, enum gdb_bp_type type, u64 addr, u64 len)
{
	struct gdb_hw_slot saved[GDB_HW_SLOTS];
	u64 a = addr, left = len;
	int err;

	if (type == GDB_BP_HW)
		left = 1;	/* an execute breakpoint is one instruction start */
	if (!left || left > 8 * GDB_HW_SLOTS || addr + left - 1 < addr)
		return -EINVAL;
	memcpy(saved, s->hw, sizeof(saved));
	while (left) {
		unsigned sz = 8, i;
		while (sz > 1 && (!IS_ALIGNED(a, sz) || sz > left))
			sz >>= 1;
		for (i = 0; i < GDB_HW_SLOTS && s->hw[i].used; i++)
			;
		if (i == GDB_HW_SLOTS) {
			memcpy(s->hw, saved, sizeof(saved));
			return -ENOSPC;
		}
		s->hw[i] = (struct gdb_hw_slot){ .used = true, .type = (u8)type, .len = (u8)sz,
						 .addr = a, .group_addr = addr, .group_len = len };
		a += sz;
		left -= sz;
	}
	err = hw_load(s);
	if (err) {
		memcpy(s->hw, saved, sizeof(saved));
		hw_load(s);
	}
	return err;
}

static int hw_remove(struct gdb_stub *s, enum gdb_bp_type type, u64 addr, u64 len)
{
	bool found = false;

	for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
		struct gdb_hw_slot *h = &s->hw[i];
		if (h->used && h->type == type && h->group_addr == addr &&
		    (type == GDB_BP_HW || h->group_len == len)) {
			h->used = false;
			found = true;
		}
	}
	return found ? hw_load(s) : 0;
}

void gdb_bp_remove_all(struct gdb_stub *s)
{
	bool any_hw = false;

	for (size_t i = 0; i < GDB_SW_BP_MAX; i++)
		if (s->sw[i].used)
			sw_remove(s, s->sw[i].addr);
	for (unsigned i = 0; i < GDB_HW_SLOTS; i++) {
		any_hw |= s->hw[i].used;
		s->hw[i].used = false;
	}
	if (any_hw)
		hw_load(s);
}

void gdb_pkt_z(struct gdb_stub *s, const u8 *p, const u8 *end, bool insert)
{
	u64 type, addr, kind;
	int err;

	p++;
	if (!gdb_parse_hex(&p, end, &type) || type > GDB_WP_ACCESS || !gdb_expect(&p, end, ',') ||
	    !gdb_parse_addr_len(&p, end, &addr, &kind) || (p != end && *p != ';')) {
		gdb_out_error(s, E_SYNTAX);
		return;
	}
	/* anything after ';' is a condition list, which we did not announce */
	if (type == GDB_BP_SW)
		err = insert ? sw_insert(s, addr) : sw_remove(s, addr);
	else
		err = insert ? hw_insert(s, (enum gdb_bp_type)type, addr, kind) :
			       hw_remove(s, (enum gdb_bp_type)type, addr, kind);
	if (err == -ENOSPC)
		gdb_out_error(s, E_NOSPACE);
	else if (err == -EINVAL)
		gdb_out_error(s, E_SYNTAX);
	else if (err)
		gdb_out_error(s, E_FAULT);
	else
		gdb_out_str(s, "OK");
}

