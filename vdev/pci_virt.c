/* The guest's view of PCI configuration space, the engine: which functions it sees, applying the
 * write policy of the passed-through NIC (the rule tables are in pci_virt_rules.c), BAR sizing
 * and moving, capability filtering, and the decoding of the 0xCF8/0xCFC ports and the ECAM
 * window. Pure: real config space through struct pci_cfg_ops, the hypervisor through struct
 * pci_virt_ops. Design: docs/nic-passthrough.md. */
#define LOG_MODULE "pci-virt"
#include <uhv/pci_virt.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/format.h>
#include "pci_virt_priv.h"

static u32 ones(unsigned size)
{
	return size >= 4 ? 0xffffffff : (u32)((1u << (8 * size)) - 1);
}

/* --- setup ----------------------------------------------------------------------------------- */

void pci_virt_init(struct pci_virt *pv, const struct pci_cfg_ops *cfg,
		   const struct pci_virt_ops *ops)
{
	memset(pv, 0, sizeof(*pv));
	pv->cfg = cfg;
	pv->ops = ops;
}

struct pci_virt_fn *pci_virt_find(struct pci_virt *pv, u16 seg, u8 bus, u8 dev, u8 fn)
{
	for (unsigned i = 0; i < pv->nfn; i++) {
		struct pci_virt_fn *f = &pv->fn[i];
		if (f->seg == seg && f->bus == bus && f->dev == dev && f->fn == fn)
			return f;
	}
	return NULL;
}

u32 pci_virt_real_read(const struct pci_virt *pv, const struct pci_virt_fn *f, u16 doff)
{
	if (doff >= pv->cfg->cfg_size)
		return 0xffffffff;
	return pv->cfg->read32(pv->cfg->ctx, f->seg, f->bus, f->dev, f->fn, doff);
}

void pci_virt_real_write(const struct pci_virt *pv, const struct pci_virt_fn *f, u16 doff, u32 v)
{
	if (doff < pv->cfg->cfg_size)
		pv->cfg->write32(pv->cfg->ctx, f->seg, f->bus, f->dev, f->fn, doff, v);
}

#define real_read pci_virt_real_read
#define real_write pci_virt_real_write

/* The policy and length of the capability at off with ID id, or NULL (hidden). */
static const struct pci_virt_cap_policy *cap_policy(const struct pci_virt *pv,
						    const struct pci_virt_fn *f, u8 off, u8 id,
						    u8 *len)
{
	u32 hdr = real_read(pv, f, off);

	return pci_virt_cap_layout(off, id, (u16)(hdr >> 16), len);
}

/* Same bound as drivers/pci.c: a looping list must not hang uhv. */
#define CAP_WALK_MAX 48

static void walk_caps(struct pci_virt *pv, struct pci_virt_fn *f)
{
	if (!((real_read(pv, f, PCI_COMMAND) >> 16) & PCI_STATUS_CAP_LIST))
		return;
	u8 ptr = (u8)(real_read(pv, f, PCI_CAP_PTR));
	for (int i = 0; i < CAP_WALK_MAX; i++) {
		ptr &= 0xfc;
		if (ptr < 0x40)
			return;
		u32 hdr = real_read(pv, f, ptr);
		u8 id = (u8)hdr, len = 0;
		const struct pci_virt_cap_policy *p = cap_policy(pv, f, ptr, id, &len);

		if (!p) {
			pr_info("%02x:%02x.%u: capability %#x at %#x hidden from the guest\n",
				f->bus, f->dev, f->fn, id, ptr);
		} else if (f->ncaps == PCI_VIRT_MAX_CAPS) {
			pr_warn("%02x:%02x.%u: more than %d capabilities; hiding %#x at %#x\n",
				f->bus, f->dev, f->fn, PCI_VIRT_MAX_CAPS, id, ptr);
		} else {
			f->caps[f->ncaps++] = (struct pci_virt_cap){
				.off = ptr, .len = len, .id = id, .policy = p };
		}
		ptr = (u8)(hdr >> 8);
	}
}

static void init_bars(struct pci_virt *pv, struct pci_virt_fn *f, const struct pci_dev *d)
{
	f->nbars = d->nbars;
	for (unsigned i = 0; i < d->nbars && i < PCI_MAX_BARS; i++) {
		const struct pci_bar *src = &d->bar[i];
		struct pci_virt_bar *b = &f->bar[i];

		b->type = src->type;
		if (b->type == PCI_BAR_NONE)
			continue;
		u32 lo = real_read(pv, f, PCI_BAR0 + 4 * i);
		b->flags = lo & (b->type == PCI_BAR_IO ? 0x3 : 0xf);
		b->size = src->size;
		b->base = src->base;
		b->shadow = src->base;
	}
}

int pci_virt_add(struct pci_virt *pv, const struct pci_dev *d, enum pci_virt_role role)
{
	if (role != PCI_VIRT_RO_FN && role != PCI_VIRT_PASSTHROUGH)
		return -EINVAL;
	if (role == PCI_VIRT_PASSTHROUGH && d->header_type != PCI_HEADER_NORMAL) {
		pr_err("%02x:%02x.%u: only type-0 (endpoint) headers can be passed through, this "
		       "one has type %u\n", d->bus, d->dev, d->fn, d->header_type);
		return -EINVAL;
	}
	if (pci_virt_find(pv, d->seg, d->bus, d->dev, d->fn))
		return -EEXIST;
	if (pv->nfn == PCI_VIRT_MAX_FNS)
		return -ENOSPC;
	struct pci_virt_fn *f = &pv->fn[pv->nfn++];
	memset(f, 0, sizeof(*f));
	f->seg = d->seg;
	f->bus = d->bus;
	f->dev = d->dev;
	f->fn = d->fn;
	f->role = (u8)role;
	f->command = (u16)real_read(pv, f, PCI_COMMAND);
	if (role == PCI_VIRT_PASSTHROUGH) {
		init_bars(pv, f, d);
		walk_caps(pv, f);
		/* MSI as after a reset (off, masked): firmware's message is not the guest's */
		const struct pci_virt_cap *msi = pci_virt_cap_find(f, PCI_CAP_ID_MSI);
		if (msi)
			pci_virt_msi_write(pv, f, msi, 0x02, 0);
	}
	if (d->fn != 0 && !pci_virt_find(pv, d->seg, d->bus, d->dev, 0))
		pr_warn("%02x:%02x.%u is visible but function 0 of the device is not: a guest that "
			"scans function 0 first will not find it\n", d->bus, d->dev, d->fn);
	return 0;
}

int pci_virt_setup_nic(struct pci_virt *pv, const struct pci *p, const struct pci_dev *nic)
{
	const struct pci_dev *hb = pci_find_bdf(p, nic->seg, 0, 0, 0);
	int ret;

	if (hb && hb != nic) {
		ret = pci_virt_add(pv, hb, PCI_VIRT_RO_FN);
		if (ret < 0)
			return ret;
	}
	/* the bridges from the NIC's bus up to bus 0, so a guest scanning through bridges finds it */
	u8 bus = nic->bus;
	for (int depth = 0; bus != 0 && depth < 256; depth++) {
		const struct pci_dev *br = NULL;
		for (unsigned i = 0; i < p->count && !br; i++) {
			const struct pci_dev *d = &p->devs[i];
			if (d->seg == nic->seg && d->header_type == PCI_HEADER_BRIDGE &&
			    d->secondary_bus == bus)
				br = d;
		}
		if (!br) {
			pr_warn("no bridge leads to bus %02x of the NIC %02x:%02x.%u: the guest can "
				"only find it by scanning every bus\n", bus, nic->bus, nic->dev,
				nic->fn);
			break;
		}
		ret = pci_virt_add(pv, br, PCI_VIRT_RO_FN);
		if (ret < 0 && ret != -EEXIST)
			return ret;
		bus = br->bus;
	}
	return pci_virt_add(pv, nic, PCI_VIRT_PASSTHROUGH);
}


/* --- BARs ------------------------------------------------------------------------------------ */

/* The address bits of the BAR that the guest can set. I/O space is 16 bits on x86. */
static u64 bar_addr_mask(const struct pci_virt_bar *b)
{
	u64 m = ~(b->size - 1);

	switch (b->type) {
	case PCI_BAR_IO: return m & 0xfffc;
	case PCI_BAR_MEM32: return m & 0xfffffff0;
	default: return m & ~0xfull;
	}
}

/* The lower slot of the BAR that slot belongs to (a 64-bit BAR's upper half belongs to the one
 * below), or -1 if the slot is not implemented. *hi says whether slot is the upper half. */
static int bar_slot(const struct pci_virt_fn *f, unsigned slot, bool *hi)
{
	*hi = false;
	if (slot >= f->nbars)
		return -1;
	if (f->bar[slot].type != PCI_BAR_NONE)
		return (int)slot;
	if (slot > 0 && f->bar[slot - 1].type == PCI_BAR_MEM64) {
		*hi = true;
		return (int)slot - 1;
	}
	return -1;
}

static u32 bar_read(const struct pci_virt_fn *f, unsigned slot)
{
	bool hi;
	int i = bar_slot(f, slot, &hi);

	if (i < 0)
		return 0;
	const struct pci_virt_bar *b = &f->bar[i];
	u64 v = b->shadow & bar_addr_mask(b);
	return hi ? (u32)(v >> 32) : (u32)v | b->flags;
}

static bool decode_on(u16 command, const struct pci_virt_bar *b)
{
	return command & (b->type == PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
}

static const char *bar_type_name(u8 type)
{
	static const char *const names[] = { "none", "io", "mem32", "mem64" };
	return type < ARRAY_SIZE(names) ? names[type] : "?";
}

/* Make the guest's address of BAR i effective, if the hypervisor agrees: reprogram the device
 * (GPA = HPA for device memory too, and I/O ports cannot be translated) and tell the caller so
 * it moves the EPT mapping or I/O-bitmap window. The all-ones sizing pattern is never an
 * address: it stays pending until the guest writes a real one. */
static void bar_commit(struct pci_virt *pv, struct pci_virt_fn *f, unsigned i)
{
	struct pci_virt_bar *b = &f->bar[i];
	u64 amask = bar_addr_mask(b);
	u64 cand = b->shadow & amask;
	const struct pci_virt_ops *ops = pv->ops;

	if (cand == b->base || cand == amask)
		return;
	if (!ops || !ops->bar_ok || !ops->bar_ok(ops->ctx, f, i, b->type, cand, b->size)) {
		pv->stats.bar_refused++;
		pr_warn("%02x:%02x.%u: guest moved BAR%u (%s, size %#llx) from %#llx to %#llx, "
			"which it may not use; the BAR stays at %#llx\n", f->bus, f->dev, f->fn, i,
			bar_type_name(b->type), b->size,
			b->base, cand,
			b->base);
		b->shadow = b->base;
		return;
	}
	u16 doff = PCI_BAR0 + 4 * i;
	bool off64 = b->type == PCI_BAR_MEM64 && (f->command & PCI_COMMAND_MEMORY);
	/* the two halves of a 64-bit BAR are written one after the other: no decode in between */
	if (off64)
		real_write(pv, f, PCI_COMMAND, f->command & ~PCI_COMMAND_MEMORY);
	real_write(pv, f, doff, (u32)cand | b->flags);
	if (b->type == PCI_BAR_MEM64)
		real_write(pv, f, doff + 4, (u32)(cand >> 32));
	if (off64)
		real_write(pv, f, PCI_COMMAND, f->command);
	u64 old = b->base;
	b->base = cand;
	pv->stats.bar_moves++;
	pr_info("%02x:%02x.%u: guest moved BAR%u (%s, size %#llx) from %#llx to %#llx\n", f->bus,
		f->dev, f->fn, i, bar_type_name(b->type), b->size,
		old, cand);
	if (ops->bar_moved)
		ops->bar_moved(ops->ctx, f, i, b->type, old, cand, b->size);
}

/* A 32-bit BAR or the upper half of a 64-bit one written while decode is on takes effect at
 * once (that is how an OS reprograms a live BAR); a lower half waits for its upper half. */
static void bar_write(struct pci_virt *pv, struct pci_virt_fn *f, unsigned slot, u32 v)
{
	bool hi;
	int i = bar_slot(f, slot, &hi);

	if (i < 0)
		return;
	struct pci_virt_bar *b = &f->bar[i];
	if (hi)
		b->shadow = (b->shadow & 0xffffffffull) | ((u64)v << 32);
	else if (b->type == PCI_BAR_MEM64)
		b->shadow = (b->shadow & ~0xffffffffull) | v;
	else
		b->shadow = v;
	if (decode_on(f->command, b) && (b->type != PCI_BAR_MEM64 || hi))
		bar_commit(pv, f, (unsigned)i);
}

/* The guest turns decode on (or leaves it on): its BAR addresses take effect now. */
static void command_write(struct pci_virt *pv, struct pci_virt_fn *f, u16 cmd)
{
	for (unsigned i = 0; i < f->nbars; i++) {
		struct pci_virt_bar *b = &f->bar[i];
		if (b->type != PCI_BAR_NONE && decode_on(cmd, b))
			bar_commit(pv, f, i);
	}
}

/* --- access ---------------------------------------------------------------------------------- */

/* The visible capability holding config byte off, or NULL. */
static const struct pci_virt_cap *cap_at(const struct pci_virt_fn *f, u16 off)
{
	for (unsigned i = 0; i < f->ncaps; i++)
		if (off >= f->caps[i].off && off < f->caps[i].off + f->caps[i].len)
			return &f->caps[i];
	return NULL;
}

#define MSIX_CTRL_TABLE_SIZE	0x7ffu	/* N - 1 */

/* The guest's value of the emulated register at roff (real: the device's value of it). */
static u32 emu_read(const struct pci_virt_fn *f, const struct pci_virt_rule *r, u16 roff,
		    u32 real)
{
	const struct pci_virt_cap *c;

	switch (r->emu) {
	case PCI_VIRT_EMU_MSI:
		c = cap_at(f, roff);
		return c ? pci_virt_msi_read(f, c, roff - c->off, real) : 0;
	case PCI_VIRT_EMU_MSIX_CTRL:
		if (!f->msix_nvec)
			return real;
		return (real & ~MSIX_CTRL_TABLE_SIZE) | ((f->msix_nvec - 1u) & MSIX_CTRL_TABLE_SIZE);
	case PCI_VIRT_EMU_STATUS:
		return (real & ~PCI_STATUS_CAP_LIST) | (f->ncaps ? PCI_STATUS_CAP_LIST : 0);
	case PCI_VIRT_EMU_BAR:
		return bar_read(f, (roff - PCI_BAR0) / 4);
	case PCI_VIRT_EMU_CAP_PTR:
		return f->ncaps ? f->caps[0].off : 0;
	case PCI_VIRT_EMU_CAP_NEXT:
		for (unsigned i = 0; i < f->ncaps; i++)
			if (f->caps[i].off + 1 == roff)
				return i + 1 < f->ncaps ? f->caps[i + 1].off : 0;
		return 0;
	case PCI_VIRT_EMU_COMMAND:
	default:
		return real;
	}
}

static u32 read_dword(struct pci_virt *pv, const struct pci_virt_fn *f, u16 doff)
{
	u32 real = real_read(pv, f, doff), v = 0;

	if (f->role == PCI_VIRT_RO_FN)
		return real;
	for (unsigned b = 0; b < 4; b++) {
		u16 base, o = doff + b;
		const struct pci_virt_rule *r = pci_virt_rule_at(f, o, &base);
		u32 byte = 0;

		if (r && r->action == PCI_VIRT_EMULATE) {
			u16 roff = base + r->off;
			u32 reg = emu_read(f, r, roff, real >> (8 * (roff & 3)));
			byte = (reg >> (8 * (o - roff))) & 0xff;
		} else if (r && r->action != PCI_VIRT_DENY) {
			byte = (real >> (8 * b)) & 0xff;
		}
		v |= byte << (8 * b);
	}
	return v;
}

/* v with the bytes of g selected by bytes (bit b = byte b) in place of its own. */
static u32 merge_bytes(u32 v, u32 g, u8 bytes)
{
	for (unsigned b = 0; b < 4; b++)
		if (bytes & (1u << b))
			v = (v & ~(0xffu << (8 * b))) | (g & (0xffu << (8 * b)));
	return v;
}

/* A PCI_VIRT_RO_FN function: only the bytes pci_virt_allow_writes opened reach the device. */
static void ro_fn_write(struct pci_virt *pv, struct pci_virt_fn *f, u16 doff, u32 g, u8 bytes)
{
	u8 ok = 0;
	for (unsigned b = 0; b < 4; b++)
		if (doff + b >= 0x40 && doff + b < 0x80 && (f->ro_writable & BIT(doff + b - 0x40)))
			ok |= 1 << b;
	if (bytes & ~ok)
		pv->stats.denied_writes++;
	bytes &= ok;
	if (bytes)
		real_write(pv, f, doff, merge_bytes(real_read(pv, f, doff), g, bytes));
}

/* A guest write of the bytes of g (the dword holding roff) to the MSI register r at roff. */
static void msi_reg_write(struct pci_virt *pv, struct pci_virt_fn *f, u16 roff,
			  const struct pci_virt_rule *r, u32 g, u8 bytes)
{
	const struct pci_virt_cap *c = cap_at(f, roff);
	unsigned sh = 8 * (roff & 3);

	if (!c)
		return;
	u32 cur = pci_virt_msi_read(f, c, roff - c->off, 0) << sh;
	u32 v = (merge_bytes(cur, g, bytes) >> sh) & ones(r->size);
	pci_virt_msi_write(pv, f, c, roff - c->off, v);
}

/* Write the bytes of g selected by bytes (bit b = byte b) into the dword at doff. */
static void write_dword(struct pci_virt *pv, struct pci_virt_fn *f, u16 doff, u32 g, u8 bytes)
{
	if (f->role == PCI_VIRT_RO_FN) {
		ro_fn_write(pv, f, doff, g, bytes);
		return;
	}
	u32 real = real_read(pv, f, doff), out = real, w1c = 0;
	const struct pci_virt_rule *rule[4];
	u16 roff[4];
	bool through = false, emulated = false;

	for (unsigned b = 0; b < 4; b++) {
		u16 base;
		rule[b] = pci_virt_rule_at(f, doff + b, &base);
		roff[b] = rule[b] ? base + rule[b]->off : 0;
		if (rule[b])
			w1c |= ((rule[b]->w1c >> (8 * (doff + b - roff[b]))) & 0xff) << (8 * b);
	}
	/* bits written back as read would clear RW1C status bits the guest did not ask to clear */
	out &= ~w1c;
	for (unsigned b = 0; b < 4; b++) {
		const struct pci_virt_rule *r = rule[b];
		if (!(bytes & (1u << b)) || !r)
			continue;
		if (r->action != PCI_VIRT_ALLOW && r->action != PCI_VIRT_EMULATE)
			continue;
		u32 m = (r->mask >> (8 * (doff + b - roff[b]))) & 0xff;
		if (!m)
			continue;
		through = true;
		out = (out & ~(m << (8 * b))) | (((g >> (8 * b)) & m) << (8 * b));
	}
	/* emulated registers touched by this write, each once, before the device sees it */
	for (unsigned b = 0; b < 4; b++) {
		const struct pci_virt_rule *r = rule[b];
		if (!(bytes & (1u << b)) || !r || r->action != PCI_VIRT_EMULATE)
			continue;
		if (b > 0 && rule[b - 1] == r && roff[b - 1] == roff[b] && (bytes & (1u << (b - 1))))
			continue;
		unsigned sh = 8 * (roff[b] & 3);
		u32 rmask = ones(r->size);
		if (r->emu == PCI_VIRT_EMU_BAR) {
			u32 v = merge_bytes(bar_read(f, (roff[b] - PCI_BAR0) / 4), g, bytes);
			bar_write(pv, f, (roff[b] - PCI_BAR0) / 4, v);
			emulated = true;
		} else if (r->emu == PCI_VIRT_EMU_COMMAND) {
			command_write(pv, f, (u16)((out >> sh) & rmask));
			emulated = true;
		} else if (r->emu == PCI_VIRT_EMU_MSI) {
			msi_reg_write(pv, f, roff[b], r, g, bytes);
			emulated = true;
		}
	}
	if (through) {
		real_write(pv, f, doff, out);
		if (doff == (PCI_COMMAND & ~3))
			f->command = (u16)out;
	} else if (!emulated) {
		pv->stats.denied_writes++;
	}
}

static int access(struct pci_virt *pv, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, unsigned size,
		  bool write, u32 *val)
{
	struct pci_virt_fn *f = pci_virt_find(pv, seg, bus, dev, fn);

	if (write)
		pv->stats.writes++;
	else
		pv->stats.reads++;
	if (!f || f->role == PCI_VIRT_HIDDEN) {
		if (write) {
			pv->stats.hidden_writes++;
		} else {
			pv->stats.hidden_reads++;
			*val = ones(size);
		}
		return 0;
	}
	u16 first = off & ~3, last = (off + size - 1) & ~3;
	if (!write) {
		u32 dw[2] = { read_dword(pv, f, first), 0 };
		u32 v = 0;
		if (last != first)
			dw[1] = read_dword(pv, f, last);
		for (unsigned i = 0; i < size; i++) {
			unsigned o = off + i - first;
			v |= ((dw[o / 4] >> (8 * (o % 4))) & 0xff) << (8 * i);
		}
		*val = v;
		return 0;
	}
	for (u16 d = first; d <= last; d += 4) {
		u32 g = 0;
		u8 bytes = 0;
		for (unsigned i = 0; i < size; i++) {
			unsigned o = off + i;
			if ((o & ~3u) != d)
				continue;
			bytes |= (u8)(1u << (o & 3));
			g |= ((*val >> (8 * i)) & 0xff) << (8 * (o & 3));
		}
		write_dword(pv, f, d, g, bytes);
	}
	return 0;
}

int pci_virt_access(struct pci_virt *pv, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, unsigned size,
		    bool write, u32 *val)
{
	if ((size != 1 && size != 2 && size != 4) || off + size > 4096) {
		if (!write)
			*val = 0xffffffff;
		return -EINVAL;
	}
	return access(pv, seg, bus, dev, fn, off, size, write, val);
}

#define CFG_ADDR_PORT	0xcf8
#define CFG_RESET_PORT	0xcf9
#define CFG_DATA_PORT	0xcfc
#define CFG_ADDR_ENABLE	BIT(31)
/* enable, bus, device, function, register (dword); bits 30:24 and 1:0 are reserved, read as 0 */
#define CFG_ADDR_MASK	0x80fffffcu

int pci_virt_port(struct pci_virt *pv, u16 port, unsigned size, bool write, u32 *val)
{
	if (port < CFG_ADDR_PORT || port > CFG_DATA_PORT + 3 || (size != 1 && size != 2 &&
								   size != 4)) {
		if (!write)
			*val = 0xffffffff;
		return -EINVAL;
	}
	if (port < CFG_DATA_PORT) {
		if (port == CFG_ADDR_PORT && size == 4) {
			if (write)
				pv->cf8 = *val & CFG_ADDR_MASK;
			else
				*val = pv->cf8;
		} else if (port == CFG_RESET_PORT && size == 1) {
			if (!write) {
				*val = pv->cf9;
				return 0;
			}
			pv->cf9 = (u8)(*val & 0x0e);
			if (*val & PCI_VIRT_CF9_RST_CPU)
				return PCI_VIRT_RESET;
		} else if (!write) {
			/* not the config mechanism: nothing decodes it */
			*val = ones(size);
		}
		return 0;
	}
	unsigned start = port - CFG_DATA_PORT;
	unsigned n = MIN(size, 4 - start);	/* bytes past 0xCFF are not config data */
	if (!(pv->cf8 & CFG_ADDR_ENABLE)) {
		if (!write)
			*val = ones(size);
		return 0;
	}
	u8 bus = (u8)(pv->cf8 >> 16), dev = (pv->cf8 >> 11) & 0x1f, fn = (pv->cf8 >> 8) & 7;
	u16 reg = (u16)((pv->cf8 & 0xfc) + start);
	if (write) {
		u32 v = *val & ones(n);
		return access(pv, 0, bus, dev, fn, reg, n, true, &v);
	}
	u32 v = 0;
	access(pv, 0, bus, dev, fn, reg, n, false, &v);
	*val = (ones(size) & ~ones(n)) | v;
	return 0;
}

int pci_virt_ecam(struct pci_virt *pv, u16 seg, u8 bus_start, u64 off, unsigned size, bool write,
		  u32 *val)
{
	u64 bus = bus_start + (off >> 20);
	u16 reg = off & 0xfff;

	if (bus > 255 || (size != 1 && size != 2 && size != 4) || reg + size > 4096) {
		if (!write)
			*val = 0xffffffff;
		return -EINVAL;
	}
	return access(pv, seg, (u8)bus, (off >> 15) & 0x1f, (off >> 12) & 7, reg, size, write, val);
}

const char *pci_virt_access_text(const struct pci_virt_fn *f, char *buf, size_t cap)
{
	size_t len;

	if (f->role == PCI_VIRT_PASSTHROUGH)
		return ksnprintf(buf, cap, "passed through"), buf;
	len = (size_t)ksnprintf(buf, cap, "read-only");
	/* each run of writable bytes in the device-specific area as first-last */
	for (unsigned b = 0, runs = 0; b < 64 && len < cap; b++) {
		if (!(f->ro_writable & BIT(b)) || (b && (f->ro_writable & BIT(b - 1))))
			continue;
		unsigned e = b;
		while (e + 1 < 64 && (f->ro_writable & BIT(e + 1)))
			e++;
		len += (size_t)ksnprintf(buf + len, cap - len, "%s0x%02x-0x%02x",
					 runs++ ? ", " : " but for config bytes ", 0x40 + b,
					 0x40 + e);
	}
	return buf;
}

const struct pci_virt_cap *pci_virt_cap_find(const struct pci_virt_fn *f, u8 id)
{
	for (unsigned i = 0; i < f->ncaps; i++)
		if (f->caps[i].id == id)
			return &f->caps[i];
	return NULL;
}

int pci_virt_cap_hide(struct pci_virt_fn *f, u8 id)
{
	for (unsigned i = 0; i < f->ncaps; i++) {
		if (f->caps[i].id != id)
			continue;
		memmove(&f->caps[i], &f->caps[i + 1], (f->ncaps - i - 1) * sizeof(f->caps[0]));
		f->ncaps--;
		return 0;
	}
	return -ENOENT;
}

int pci_virt_allow_writes(struct pci_virt *pv, u16 seg, u8 bus, u8 dev, u8 fn, u16 off, u16 len)
{
	struct pci_virt_fn *f = pci_virt_find(pv, seg, bus, dev, fn);

	if (!f || f->role != PCI_VIRT_RO_FN || off < 0x40 || off + len > 0x80)
		return -EINVAL;
	for (u16 o = off; o < off + len; o++)
		f->ro_writable |= BIT(o - 0x40);
	return 0;
}
