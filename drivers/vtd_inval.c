/* VT-d invalidation: emptying a unit's context cache and IOTLB after uhv changes the tables.
 * Through the invalidation queue when the unit has one (ECAP.QI), else through the CCMD and
 * IOTLB registers; and the write-buffer flush that units with CAP.RWBF need first.
 * Invalidations are global at attach time (rare) and domain-selective after map/unmap. */
#define LOG_MODULE "vtd"
#include <uhv/errno.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/cpu.h>
#include <uhv/timer.h>
#include "vtd_priv.h"

#define IQ_PAGES_ORDER		0	/* QS: one page, 256 descriptors */
#define IQ_ENTRIES		(PAGE_SIZE / VTD_IQ_DESC_SIZE)

/* Units with CAP.RWBF (or chipsets with the quirk) see updated tables only after their write
 * buffer is flushed: before every invalidation, so after every table update that matters. */
static int flush_write_buffer(struct vtd_unit *u)
{
	struct vtd_regio io = vtd_unit_regio(u);
	return vtd_write_buffer_flush(&io, u->wbf);
}

struct wait_seq { volatile u32 *p; u32 want; };

static bool seq_done(void *ctx)
{
	struct wait_seq *w = ctx;
	return *w->p == w->want;
}

/* Queue descriptors followed by a wait descriptor and wait for its status write. */
static int qi_submit_locked(struct vtd_unit *u, const struct vtd_entry128 *d, unsigned n)
{
	u32 seq = ++u->wait_seq;

	for (unsigned i = 0; i <= n; i++) {
		struct vtd_entry128 e = i < n ? d[i] : vtd_qi_wait(u->wait_pa, seq);
		u->iq[u->iq_tail].lo = e.lo;
		u->iq[u->iq_tail].hi = e.hi;
		if (!vtd_ecap_c(u->ecap))
			clflush(&u->iq[u->iq_tail]);
		u->iq_tail = (u->iq_tail + 1) % IQ_ENTRIES;
	}
	mfence();
	wr64(u, VTD_IQT, (u64)u->iq_tail << VTD_IQT_SHIFT);

	struct wait_seq w = { u->wait_status, seq };
	int err = wait_until(seq_done, &w, VTD_TIMEOUT_US);
	u32 fsts = rd32(u, VTD_FSTS);
	if (fsts & (VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)) {
		char buf[128];
		vtd_fsts_format(fsts, buf, sizeof(buf));
		pr_err("%s: invalidation queue error, FSTS %s\n", u->name, buf);
		vtd_dump_regs(u, "queued invalidation");
		wr32(u, VTD_FSTS, fsts & (VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE));
		return -EIO;
	}
	if (err) {
		pr_err("%s: invalidation wait descriptor not completed after %u ms (status %#x, "
		       "want %#x)\n", u->name, VTD_TIMEOUT_US / 1000, *u->wait_status, seq);
		vtd_dump_regs(u, "queued invalidation");
		return -ETIMEDOUT;
	}
	return 0;
}

int vtd_qi_submit(struct vtd_unit *u, const struct vtd_entry128 *d, unsigned n)
{
	spin_lock(&u->qi_lock);
	int err = qi_submit_locked(u, d, n);
	spin_unlock(&u->qi_lock);
	return err;
}

static int reg_context_global(struct vtd_unit *u)
{
	wr64(u, VTD_CCMD, VTD_CCMD_ICC | VTD_CCMD_CIRG_GLOBAL);
	int err = vtd_wait_reg(u, VTD_CCMD, true, VTD_CCMD_ICC, 0, "context-cache invalidation");
	if (!err && VTD_CCMD_CAIG(rd64(u, VTD_CCMD)) == 0) {
		pr_err("%s: context-cache invalidation refused\n", u->name);
		return -EIO;
	}
	return err;
}

static int reg_iotlb(struct vtd_unit *u, u64 gran_did)
{
	unsigned off = vtd_ecap_iro(u->ecap) + VTD_IOTLB;
	u64 drain = (vtd_cap_drd(u->cap) ? VTD_IOTLB_DR : 0) |
		    (vtd_cap_dwd(u->cap) ? VTD_IOTLB_DW : 0);
	wr64(u, off, VTD_IOTLB_IVT | gran_did | drain);
	int err = vtd_wait_reg(u, off, true, VTD_IOTLB_IVT, 0, "IOTLB invalidation");
	if (!err && VTD_IOTLB_IAIG(rd64(u, off)) == 0) {
		pr_err("%s: IOTLB invalidation refused\n", u->name);
		return -EIO;
	}
	return err;
}

/* Everything cached about contexts and translations, on one unit. */
int vtd_flush_all(struct vtd_unit *u)
{
	int err = flush_write_buffer(u);
	if (err)
		return err;
	if (u->qi) {
		struct vtd_entry128 d[2] = {
			vtd_qi_context_global(),
			vtd_qi_iotlb_global(vtd_cap_drd(u->cap), vtd_cap_dwd(u->cap)),
		};
		return vtd_qi_submit(u, d, 2);
	}
	err = reg_context_global(u);
	return err ? err : reg_iotlb(u, VTD_IOTLB_IIRG_GLOBAL);
}

int vtd_flush_domain(struct vtd_unit *u, u16 did)
{
	int err = flush_write_buffer(u);
	if (err)
		return err;
	if (u->qi) {
		struct vtd_entry128 d = vtd_qi_iotlb_domain(did, vtd_cap_drd(u->cap),
							    vtd_cap_dwd(u->cap));
		return vtd_qi_submit(u, &d, 1);
	}
	return reg_iotlb(u, VTD_IOTLB_IIRG_DOMAIN | VTD_IOTLB_DID(did));
}

/* The queue is one page of descriptors plus a page the wait descriptors write their sequence
 * number to; without ECAP.QI, or with vtd-inval=reg, the unit is invalidated through its
 * registers (which the unit ignores while a queue is enabled: firmware's is stopped either way). */
int vtd_unit_setup_qi(struct vtd_unit *u)
{
	bool use_qi = vtd_inval_use_qi(u->ecap, vtd.inval);
	if (vtd.inval == UHV_VTD_INVAL_QI && !use_qi)
		pr_warn("%s: vtd-inval=qi, but the unit has no invalidation queue (ECAP.QI 0); "
			"using its CCMD/IOTLB registers\n", u->name);
	if (vtd_ecap_qi(u->ecap) && (rd32(u, VTD_GSTS) & VTD_GSTS_QIES)) {
		/* firmware's queue: stop it so the head resets */
		if (vtd_gcmd(u, VTD_GCMD_QIE, false, "queued invalidation disable"))
			return -ETIMEDOUT;
	}
	if (!use_qi)
		return 0;
	u->iq_pa = kmem_alloc_for(KMEM_VTD, 1, PAGE_SIZE);
	u->wait_pa = kmem_alloc_for(KMEM_VTD, 1, PAGE_SIZE);
	if (!u->iq_pa || !u->wait_pa)
		return -ENOMEM;
	u->iq = phys_to_virt(u->iq_pa);
	u->wait_status = phys_to_virt(u->wait_pa);
	u->iq_tail = 0;
	wr64(u, VTD_IQT, 0);
	wr64(u, VTD_IQA, u->iq_pa | VTD_IQA_QS(IQ_PAGES_ORDER));
	if (vtd_gcmd(u, VTD_GCMD_QIE, true, "queued invalidation enable"))
		return -ETIMEDOUT;
	u->qi = true;
	return 0;
}
