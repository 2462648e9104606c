/* What the VT-d driver files share and nothing else needs: the per-unit state, the one driver
 * instance, register access and the helpers one file calls in another. vtd.c brings the units
 * up, vtd_inval.c invalidates their caches, vtd_domain.c builds domains and attaches devices,
 * vtd_fault_poll.c reads the fault records. Not part of <uhv/vtd.h>: the rest of uhv uses the
 * driver only through that header's API. */
#ifndef UHV_VTD_PRIV_H
#define UHV_VTD_PRIV_H

#include <uhv/vtd.h>
#include <uhv/dmar.h>
#include <uhv/mmio.h>
#include <uhv/pci.h>
#include <uhv/options.h>
#include <uhv/spinlock.h>
#include "vtd_quirks.h"

/* Emulated IOMMUs answer in microseconds to milliseconds; real ones faster.
 * A generous bound still turns a dead unit into an error, not a hang. */
#define VTD_TIMEOUT_US		1000000

#define VTD_MAX_DOMAINS		256	/* ids uhv hands out; a few are ever used */
#define VTD_FAULT_KINDS		64
/* uhv's interrupt-remapping table per unit: 1024 IRTEs (16 KiB) cover a few MSI-X devices */
#define VTD_IRT_LOG2		10
#define VTD_IRT_ENTRIES		(1u << VTD_IRT_LOG2)	/* = VTD_IR_TABLE_ENTRIES (vtd_ir.h) */

struct vtd_unit {
	unsigned index;
	paddr_t base;
	volatile u8 *regs;
	u16 segment;
	u32 ver;
	u64 cap, ecap;
	struct vtd_root_table rt;
	bool qi;
	volatile struct vtd_entry128 *iq;
	paddr_t iq_pa;
	unsigned iq_tail;
	volatile u32 *wait_status;	/* written by the unit's wait descriptors */
	paddr_t wait_pa;
	u32 wait_seq;
	bool enabled;
	bool wbf;			/* needs write-buffer flushes (vtd_need_wbf) */
	bool took_over;			/* firmware left TE on: uhv's root table is in (take_over) */
	struct spinlock qi_lock;	/* the queue: IRTE updates come from any CPU (vtd_ir.c) */
	/* interrupt remapping (vtd_ir.c) */
	bool ir;			/* uhv's table is in, IRE on, CFI off */
	bool eim;			/* IRTA.EIME: 32-bit x2APIC destinations */
	volatile struct vtd_entry128 *irt;
	paddr_t irt_pa;
	u64 ir_used[VTD_IRT_ENTRIES / 64];	/* indices handed out (irq_remap_alloc) */
	char name[32];
};

/* The IOMMUs are machine-global hardware; this is the one driver instance (vtd.c). */
struct vtd_driver {
	bool active;
	struct dmar_table dmar;
	struct vtd_unit *units;
	unsigned nr_units;
	unsigned levels, max_leaf;
	bool coherent;			/* every unit walks tables coherently */
	enum uhv_vtd_inval inval;	/* vtd-inval= */
	bool ir_compat;			/* vtd-ir-compat=allow: CFI set under IR */
	u16 hb_vendor, hb_device;	/* host bridge 00:00.0, for chipset quirks */
	const struct pci_cfg_ops *cfg;
	const struct pci *devs;		/* the enumerated functions (vtd_use_pci), for aliases */
	struct dmar_pci_ops pci;
	struct ptab_mem mem;
	struct vtd_did_alloc dids;
	u64 did_bits[VTD_DID_WORDS(VTD_MAX_DOMAINS)];
	struct vtd_fault_log flog;
	struct vtd_fault_seen fseen[VTD_FAULT_KINDS];
	struct vtd_domain *rmrr_doms;	/* one per device an RMRR names (a page of them) */
	unsigned nr_rmrr_doms, max_rmrr_doms;
};
extern struct vtd_driver vtd;

/* ---- register access ------------------------------------------------------------------------- */

static inline u32 rd32(const struct vtd_unit *u, unsigned off)
{
	return mmio_read32(u->regs + off);
}
static inline void wr32(struct vtd_unit *u, unsigned off, u32 v)
{
	mmio_write32(u->regs + off, v);
}
/* 64-bit registers as two 32-bit halves, low first: every unit accepts that */
static inline u64 rd64(const struct vtd_unit *u, unsigned off)
{
	u32 lo = rd32(u, off), hi = rd32(u, off + 4);
	return ((u64)hi << 32) | lo;
}
static inline void wr64(struct vtd_unit *u, unsigned off, u64 v)
{
	wr32(u, off, (u32)v);
	wr32(u, off + 4, (u32)(v >> 32));
}

/* vtd.c: print the status registers after a failure; wait for a register to read want under
 * mask (prints and returns -ETIMEDOUT if it never does); set or clear a GCMD state bit. */
void vtd_dump_regs(const struct vtd_unit *u, const char *what);
int vtd_wait_reg(const struct vtd_unit *u, unsigned off, bool is64, u64 mask, u64 want,
		 const char *what);
int vtd_gcmd(struct vtd_unit *u, u32 bit, bool on, const char *what);
/* The unit's registers as a struct vtd_regio (for vtd_quirks.c, vtd_pmr.c, vtd_takeover.c). */
struct vtd_regio vtd_unit_regio(struct vtd_unit *u);

/* vtd_inval.c: the invalidation queue (when ECAP.QI), and flushing the caches of one unit. */
int vtd_unit_setup_qi(struct vtd_unit *u);
int vtd_flush_all(struct vtd_unit *u);
int vtd_flush_domain(struct vtd_unit *u, u16 did);
/* Queue n descriptors and a wait descriptor, wait for it (under u->qi_lock). Needs u->qi. */
int vtd_qi_submit(struct vtd_unit *u, const struct vtd_entry128 *d, unsigned n);

/* vtd_ir.c: interrupt remapping on a unit with ECAP.IR, after its queue is set up: uhv's
 * table in (taking over from firmware if it left IRE on), IRE on, CFI off. Failures are said
 * and leave the unit without (uhv's) remapping; DMA remapping goes on either way. */
void vtd_ir_unit_enable(struct vtd_unit *u);

/* vtd_fault_poll.c: read and clear the unit's fault records (report_leftovers: they predate
 * uhv, warn instead of counting them as the guest's). */
void vtd_clear_faults(struct vtd_unit *u, bool report_leftovers);

/* vtd_domain.c: give the devices named in RMRR structures a domain of their own. */
int vtd_attach_rmrr_devices(void);

#endif
