/* VT-d fault records, pure: decoding a fault recording register, the texts
 * for fault reasons (VT-d spec appendix "Non-Recoverable Fault Reason
 * Encodings") and the print-once bookkeeping. The driver reads the
 * registers and clears them (drivers/vtd_fault_poll.c). */
#include <uhv/vtd.h>
#include <uhv/format.h>
#include <uhv/string.h>

/* FRCD high half (bits 127:64 of the record) */
#define FRCD_HI_F		BIT(63)
#define FRCD_HI_T1		BIT(62)	/* 1: read (or AtomicOp), 0: write */
#define FRCD_HI_AT(hi)		(((hi) >> 60) & 3)
#define FRCD_HI_PV(hi)		(((hi) >> 40) & 0xfffff)
#define FRCD_HI_FR(hi)		(((hi) >> 32) & 0xff)
#define FRCD_HI_PP		BIT(31)
#define FRCD_HI_EXE		BIT(30)
#define FRCD_HI_PRIV		BIT(29)
#define FRCD_HI_T2		BIT(28)	/* newer spec: with T1, page request / AtomicOp */
#define FRCD_HI_SID(hi)		((u16)(hi))

void vtd_fault_decode(u64 lo, u64 hi, struct vtd_fault *f)
{
	bool t1 = hi & FRCD_HI_T1, t2 = hi & FRCD_HI_T2;

	memset(f, 0, sizeof(*f));
	f->valid = hi & FRCD_HI_F;
	f->sid = FRCD_HI_SID(hi);
	f->reason = (u8)FRCD_HI_FR(hi);
	f->at = (u8)FRCD_HI_AT(hi);
	f->pasid_present = hi & FRCD_HI_PP;
	/* QEMU fills PV even without PP; only report it when PP says it is real */
	f->pasid = f->pasid_present ? (u32)FRCD_HI_PV(hi) : 0;
	f->exe = hi & FRCD_HI_EXE;
	f->priv = hi & FRCD_HI_PRIV;
	f->addr = lo & ~(PAGE_SIZE - 1);
	/* interrupt faults: FI bits 63:48 hold the interrupt index, 47:12 are clear (VT-d spec
	 * 11.4.14); an interrupt request is a write */
	f->ir = f->reason >= 0x20 && f->reason <= 0x2f;
	f->ir_index = (u16)(lo >> 48);
	if (f->ir)
		f->access = VTD_ACCESS_WRITE;
	else if (!t2)
		f->access = t1 ? VTD_ACCESS_READ : VTD_ACCESS_WRITE;
	else
		f->access = t1 ? VTD_ACCESS_ATOMIC : VTD_ACCESS_PAGE_REQ;
}

const char *vtd_access_name(enum vtd_access a)
{
	switch (a) {
	case VTD_ACCESS_WRITE: return "write";
	case VTD_ACCESS_READ: return "read";
	case VTD_ACCESS_PAGE_REQ: return "translation request";
	case VTD_ACCESS_ATOMIC: return "atomic";
	}
	return "?";
}

static const char *const reasons[] = {
	[0x01] = "root entry not present (no device on this bus may do DMA)",
	[0x02] = "context entry not present (device has no DMA domain: DMA blocked)",
	[0x03] = "invalid context entry (translation type or address width not supported)",
	[0x04] = "address beyond the domain's address width",
	[0x05] = "write to a page without write permission (not mapped for writing)",
	[0x06] = "read from a page without read permission (not mapped)",
	[0x07] = "error reading a second-level page-table entry",
	[0x08] = "error reading the root table",
	[0x09] = "error reading a context table",
	[0x0a] = "reserved bits set in a root entry",
	[0x0b] = "reserved bits set in a context entry",
	[0x0c] = "reserved bits set in a second-level page-table entry",
	[0x0d] = "translated request or translation request blocked by the context entry's "
		 "translation type",
	[0x20] = "interrupt request with reserved fields set",
	[0x21] = "interrupt index beyond the remapping table",
	[0x22] = "interrupt remapping table entry not present",
	[0x23] = "error reading the interrupt remapping table",
	[0x24] = "reserved bits set in an interrupt remapping table entry",
	[0x25] = "compatibility-format interrupt blocked",
	[0x26] = "interrupt from a source not allowed by its remapping table entry",
	[0x27] = "posted interrupt blocked by the remapping table entry",
};

const char *vtd_fault_reason_text(u8 reason)
{
	if (reason < ARRAY_SIZE(reasons) && reasons[reason])
		return reasons[reason];
	if (reason >= 0x30)
		return "scalable-mode fault (see the VT-d spec's fault reason table)";
	return "reserved fault reason";
}

int vtd_fault_format(const struct vtd_fault *f, char *buf, size_t len)
{
	char pasid[24] = "";

	if (f->ir)
		return ksnprintf(buf, len, "interrupt request (index %u) by %02x:%02x.%x blocked: "
				 "reason %#04x, %s", f->ir_index, f->sid >> 8, (f->sid >> 3) & 0x1f,
				 f->sid & 7, f->reason, vtd_fault_reason_text(f->reason));
	if (f->pasid_present)
		ksnprintf(pasid, sizeof(pasid), " pasid %#x", f->pasid);
	return ksnprintf(buf, len,
			 "DMA %s of %#llx by %02x:%02x.%x%s%s%s blocked: reason %#04x, %s",
			 vtd_access_name(f->access), f->addr, f->sid >> 8,
			 (f->sid >> 3) & 0x1f, f->sid & 7, pasid, f->exe ? " (execute)" : "",
			 f->priv ? " (privileged)" : "", f->reason, vtd_fault_reason_text(f->reason));
}

int vtd_fsts_format(u32 fsts, char *buf, size_t len)
{
	static const struct { u32 bit; const char *name; } bits[] = {
		{ VTD_FSTS_PFO, "PFO(fault overflow)" }, { VTD_FSTS_PPF, "PPF(fault pending)" },
		{ VTD_FSTS_AFO, "AFO" }, { VTD_FSTS_APF, "APF" },
		{ VTD_FSTS_IQE, "IQE(queue error)" }, { VTD_FSTS_ICE, "ICE(completion error)" },
		{ VTD_FSTS_ITE, "ITE(device-TLB timeout)" },
	};
	int n = ksnprintf(buf, len, "%#x", fsts);

	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		if (fsts & bits[i].bit)
			n += ksnprintf(buf + MIN((size_t)n, len), len - MIN((size_t)n, len), " %s",
				       bits[i].name);
	if (fsts & VTD_FSTS_PPF)
		n += ksnprintf(buf + MIN((size_t)n, len), len - MIN((size_t)n, len), " fri=%u",
			       VTD_FSTS_FRI(fsts));
	return n;
}

void vtd_fault_log_init(struct vtd_fault_log *log, struct vtd_fault_seen *storage, size_t cap)
{
	log->seen = storage;
	log->cap = cap;
	log->used = 0;
	log->total = 0;
	log->untracked = 0;
}

static bool same_kind(const struct vtd_fault_seen *s, const struct vtd_fault *f)
{
	return s->sid == f->sid && s->reason == f->reason && s->access == f->access &&
	       s->addr == (f->addr & ~(PAGE_SIZE - 1));
}

u64 vtd_fault_log_count(const struct vtd_fault_log *log, const struct vtd_fault *f)
{
	for (size_t i = 0; i < log->used; i++)
		if (same_kind(&log->seen[i], f))
			return log->seen[i].count;
	return 0;
}

u64 vtd_fault_log_record(struct vtd_fault_log *log, const struct vtd_fault *f)
{
	log->total++;
	for (size_t i = 0; i < log->used; i++) {
		struct vtd_fault_seen *s = &log->seen[i];
		if (same_kind(s, f))
			return ++s->count;
	}
	if (log->used == log->cap) {
		/* Out of room: the first untracked fault is printed, later ones
		 * only counted (a flood of distinct faults must not flood the
		 * console); the summary reports the count. */
		return ++log->untracked;
	}
	log->seen[log->used++] = (struct vtd_fault_seen){
		.sid = f->sid, .reason = f->reason, .access = (u8)f->access, .addr = f->addr,
		.count = 1,
	};
	return 1;
}
