/* Intel VT-d DMA remapping: register map, capability fields, root/context
 * entries, second-level page-table entries, invalidation descriptors and
 * fault records (Intel VT-d specification, chapters 9 and 10), plus the
 * interfaces of
 *   drivers/vtd_tables.c  pure: capability decoding, root/context tables,
 *                         the second-level ptab format, domain-id allocation
 *   drivers/vtd_fault.c   pure: fault-record decoding and reason texts
 *   drivers/vtd.c         the hardware driver (with vtd_inval.c, vtd_domain.c,
 *                         vtd_fault_poll.c)
 *   drivers/vtd_selftest.c  DMA through a test domain with an e1000 */
#ifndef UHV_VTD_H
#define UHV_VTD_H

#include <uhv/types.h>
#include <uhv/ptab.h>

/* ---- registers (offsets from the unit's register base) ------------------------------------ */
#define VTD_VER		0x000	/* version (32) */
#define VTD_CAP		0x008	/* capability (64) */
#define VTD_ECAP	0x010	/* extended capability (64) */
#define VTD_GCMD	0x018	/* global command (32) */
#define VTD_GSTS	0x01c	/* global status (32) */
#define VTD_RTADDR	0x020	/* root table address (64) */
#define VTD_CCMD	0x028	/* context command (64) */
#define VTD_FSTS	0x034	/* fault status (32) */
#define VTD_FECTL	0x038	/* fault event control (32) */
#define VTD_FEDATA	0x03c	/* fault event data (32) */
#define VTD_FEADDR	0x040	/* fault event address (32) */
#define VTD_FEUADDR	0x044	/* fault event upper address (32) */
#define VTD_AFLOG	0x058	/* advanced fault log (64) */
#define VTD_PMEN	0x064	/* protected memory enable (32) */
#define VTD_PLMBASE	0x068	/* protected low-memory base (32) */
#define VTD_PLMLIMIT	0x06c	/* protected low-memory limit (32) */
#define VTD_PHMBASE	0x070	/* protected high-memory base (64) */
#define VTD_PHMLIMIT	0x078	/* protected high-memory limit (64) */
#define VTD_IQH		0x080	/* invalidation queue head (64) */
#define VTD_IQT		0x088	/* invalidation queue tail (64) */
#define VTD_IQA		0x090	/* invalidation queue address (64) */
#define VTD_ICS		0x09c	/* invalidation completion status (32) */
#define VTD_IECTL	0x0a0	/* invalidation event control (32) */
#define VTD_IEDATA	0x0a4	/* invalidation event data (32) */
#define VTD_IEADDR	0x0a8	/* invalidation event address (32) */
#define VTD_IEUADDR	0x0ac	/* invalidation event upper address (32) */
#define VTD_IQERCD	0x0b0	/* invalidation queue error record (64) */
#define VTD_IRTA	0x0b8	/* interrupt remapping table address (64) */
/* at ECAP.IRO * 16: */
#define VTD_IVA		0x000	/* invalidate address (64), IOTLB block + 0 */
#define VTD_IOTLB	0x008	/* IOTLB invalidate (64), IOTLB block + 8 */
/* at CAP.FRO * 16, 16 bytes each, CAP.NFR + 1 of them: */
#define VTD_FRCD_LO	0x000	/* fault info (page address) */
#define VTD_FRCD_HI	0x008	/* F, T, AT, PV, FR, PP, SID */
#define VTD_FRCD_SIZE	16

/* VER */
#define VTD_VER_MAJOR(v)	(((v) >> 4) & 0xf)
#define VTD_VER_MINOR(v)	((v) & 0xf)

/* GCMD (write) / GSTS (read) bits */
#define VTD_GCMD_CFI	BIT(23)	/* compatibility format interrupts */
#define VTD_GCMD_SIRTP	BIT(24)	/* set interrupt remap table pointer */
#define VTD_GCMD_IRE	BIT(25)	/* interrupt remapping enable */
#define VTD_GCMD_QIE	BIT(26)	/* queued invalidation enable */
#define VTD_GCMD_WBF	BIT(27)	/* write buffer flush */
#define VTD_GCMD_EAFL	BIT(28)	/* enable advanced fault logging */
#define VTD_GCMD_SFL	BIT(29)	/* set fault log */
#define VTD_GCMD_SRTP	BIT(30)	/* set root table pointer */
#define VTD_GCMD_TE	BIT(31)	/* translation enable */
/* GCMD bits that are persistent states (the rest are one-shot commands):
 * software writes GSTS & these | the new command. */
#define VTD_GCMD_STATE_MASK	(VTD_GCMD_TE | VTD_GCMD_EAFL | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_CFI)
#define VTD_GSTS_CFIS	BIT(23)
#define VTD_GSTS_IRTPS	BIT(24)
#define VTD_GSTS_IRES	BIT(25)
#define VTD_GSTS_QIES	BIT(26)
#define VTD_GSTS_WBFS	BIT(27)	/* write buffer flush still in progress */
#define VTD_GSTS_AFLS	BIT(28)
#define VTD_GSTS_FLS	BIT(29)
#define VTD_GSTS_RTPS	BIT(30)	/* root table pointer latched */
#define VTD_GSTS_TES	BIT(31)	/* translation enabled */

/* PMEN */
#define VTD_PMEN_EPM	BIT(31)	/* enable protected memory */
#define VTD_PMEN_PRS	BIT(0)	/* protected region status (still protecting) */

/* RTADDR */
#define VTD_RTADDR_TTM_LEGACY	(0ULL << 10)	/* translation table mode: legacy root/context */

/* CCMD */
#define VTD_CCMD_ICC		BIT(63)		/* invalidate context cache (cleared when done) */
#define VTD_CCMD_CIRG_GLOBAL	(1ULL << 61)	/* request granularity */
#define VTD_CCMD_CIRG_DOMAIN	(2ULL << 61)
#define VTD_CCMD_CIRG_DEVICE	(3ULL << 61)
#define VTD_CCMD_CAIG(v)	(((v) >> 59) & 3)	/* actual granularity (0: refused) */
#define VTD_CCMD_FM(fm)		((u64)(fm) << 32)	/* function mask */
#define VTD_CCMD_SID(sid)	((u64)(sid) << 16)
#define VTD_CCMD_DID(did)	((u64)(did))

/* IOTLB */
#define VTD_IOTLB_IVT		BIT(63)		/* invalidate IOTLB (cleared when done) */
#define VTD_IOTLB_IIRG_GLOBAL	(1ULL << 60)
#define VTD_IOTLB_IIRG_DOMAIN	(2ULL << 60)
#define VTD_IOTLB_IIRG_PAGE	(3ULL << 60)
#define VTD_IOTLB_IAIG(v)	(((v) >> 57) & 3)	/* actual granularity (0: refused) */
#define VTD_IOTLB_DR		BIT(49)		/* drain reads */
#define VTD_IOTLB_DW		BIT(48)		/* drain writes */
#define VTD_IOTLB_DID(did)	((u64)(did) << 32)
/* IVA: page address | IH (bit 6) | AM (address mask, log2 pages) */
#define VTD_IVA_IH		BIT(6)

/* FSTS */
#define VTD_FSTS_PFO		BIT(0)	/* primary fault overflow (RW1C) */
#define VTD_FSTS_PPF		BIT(1)	/* primary pending fault (read-only, from FRCD.F) */
#define VTD_FSTS_AFO		BIT(2)	/* advanced fault overflow (RW1C) */
#define VTD_FSTS_APF		BIT(3)	/* advanced pending fault (RW1C) */
#define VTD_FSTS_IQE		BIT(4)	/* invalidation queue error (RW1C) */
#define VTD_FSTS_ICE		BIT(5)	/* invalidation completion error (RW1C) */
#define VTD_FSTS_ITE		BIT(6)	/* invalidation time-out error (RW1C) */
#define VTD_FSTS_FRI(v)		(((v) >> 8) & 0xff)	/* first fault record index */
#define VTD_FSTS_W1C_MASK	(VTD_FSTS_PFO | VTD_FSTS_AFO | VTD_FSTS_APF | VTD_FSTS_IQE | \
				 VTD_FSTS_ICE | VTD_FSTS_ITE)

/* FECTL / IECTL */
#define VTD_FECTL_IM		BIT(31)	/* interrupt mask */
#define VTD_FECTL_IP		BIT(30)	/* interrupt pending */

/* IQA: base | DW (bit 11, 0 = 128-bit descriptors) | QS (queue is 2^QS pages) */
#define VTD_IQA_QS(qs)		((u64)(qs) & 7)
#define VTD_IQ_DESC_SIZE	16
#define VTD_IQT_SHIFT		4	/* IQH/IQT hold the byte offset of a 128-bit descriptor */
/* ICS */
#define VTD_ICS_IWC		BIT(0)	/* invalidation wait descriptor complete (RW1C) */

/* ---- capability fields ---------------------------------------------------------------------- */
static inline unsigned vtd_cap_nd(u64 c)     { return c & 7; }		/* domains: 2^(4+2*ND) */
static inline bool vtd_cap_afl(u64 c)        { return c & BIT(3); }	/* advanced fault logging */
static inline bool vtd_cap_rwbf(u64 c)       { return c & BIT(4); }	/* write-buffer flush required */
static inline bool vtd_cap_plmr(u64 c)       { return c & BIT(5); }	/* protected low-memory region */
static inline bool vtd_cap_phmr(u64 c)       { return c & BIT(6); }	/* protected high-memory region */
static inline bool vtd_cap_cm(u64 c)         { return c & BIT(7); }	/* caching mode */
static inline unsigned vtd_cap_sagaw(u64 c)  { return (c >> 8) & 0x1f; }	/* bit n: AW n supported */
static inline unsigned vtd_cap_mgaw(u64 c)   { return ((c >> 16) & 0x3f) + 1; }	/* bits */
static inline bool vtd_cap_zlr(u64 c)        { return c & BIT(22); }	/* zero-length reads */
static inline unsigned vtd_cap_fro(u64 c)    { return ((c >> 24) & 0x3ff) * 16; }	/* bytes */
static inline unsigned vtd_cap_sllps(u64 c)  { return (c >> 34) & 0xf; }	/* bit0 2M, bit1 1G */
static inline bool vtd_cap_psi(u64 c)        { return c & BIT(39); }	/* page-selective invalidation */
static inline unsigned vtd_cap_nfr(u64 c)    { return ((c >> 40) & 0xff) + 1; }	/* fault records */
static inline unsigned vtd_cap_mamv(u64 c)   { return (c >> 48) & 0x3f; }	/* max address mask */
static inline bool vtd_cap_dwd(u64 c)        { return c & BIT(54); }	/* write draining */
static inline bool vtd_cap_drd(u64 c)        { return c & BIT(55); }	/* read draining */
static inline bool vtd_cap_fl1gp(u64 c)      { return c & BIT(56); }	/* first-level 1G pages */
static inline bool vtd_cap_pi(u64 c)         { return c & BIT(59); }	/* posted interrupts */
static inline bool vtd_cap_fl5lp(u64 c)      { return c & BIT(60); }	/* first-level 5-level */
static inline bool vtd_cap_esirtps(u64 c)    { return c & BIT(62); }
static inline bool vtd_cap_esrtps(u64 c)     { return c & BIT(63); }	/* SRTP also flushes caches */

static inline bool vtd_ecap_c(u64 e)         { return e & BIT(0); }	/* coherent page walks */
static inline bool vtd_ecap_qi(u64 e)        { return e & BIT(1); }	/* queued invalidation */
static inline bool vtd_ecap_dt(u64 e)        { return e & BIT(2); }	/* device TLBs (ATS) */
static inline bool vtd_ecap_ir(u64 e)        { return e & BIT(3); }	/* interrupt remapping */
static inline bool vtd_ecap_eim(u64 e)       { return e & BIT(4); }	/* x2APIC interrupt ids */
static inline bool vtd_ecap_pt(u64 e)        { return e & BIT(6); }	/* pass-through */
static inline bool vtd_ecap_sc(u64 e)        { return e & BIT(7); }	/* snoop control */
static inline unsigned vtd_ecap_iro(u64 e)   { return ((e >> 8) & 0x3ff) * 16; }	/* bytes */
static inline unsigned vtd_ecap_mhmv(u64 e)  { return (e >> 20) & 0xf; }
static inline bool vtd_ecap_mts(u64 e)       { return e & BIT(25); }	/* memory types */
static inline bool vtd_ecap_nest(u64 e)      { return e & BIT(26); }	/* nested translation */
static inline bool vtd_ecap_prs(u64 e)       { return e & BIT(29); }	/* page requests */
static inline bool vtd_ecap_pasid(u64 e)     { return e & BIT(40); }
static inline bool vtd_ecap_smts(u64 e)      { return e & BIT(43); }	/* scalable mode */
static inline bool vtd_ecap_slts(u64 e)      { return e & BIT(46); }	/* second level (scalable) */
static inline bool vtd_ecap_flts(u64 e)      { return e & BIT(47); }	/* first level (scalable) */

/* ---- root and context entries (legacy mode, 128 bits each) ------------------------------------ */
struct vtd_entry128 {
	u64 lo, hi;
};

#define VTD_ROOT_P		BIT(0)		/* lo: present */
#define VTD_ENTRY_ADDR_MASK	0x000ffffffffff000ULL

#define VTD_CTX_P		BIT(0)		/* lo: present */
#define VTD_CTX_FPD		BIT(1)		/* lo: fault processing disable */
#define VTD_CTX_TT_SHIFT	2		/* lo: translation type, bits 3:2 */
#define VTD_CTX_TT_UNTRANSLATED	0		/* untranslated requests only (no ATS) */
#define VTD_CTX_TT_ALL		1		/* also translated requests/ATS (needs ECAP.DT) */
#define VTD_CTX_TT_PASSTHROUGH	2		/* no translation (needs ECAP.PT) */
#define VTD_CTX_AW(hi)		((hi) & 7)	/* hi: address width, AW */
#define VTD_CTX_DID_SHIFT	8		/* hi: domain id, bits 23:8 */
#define VTD_CTX_DID(hi)		((u16)((hi) >> VTD_CTX_DID_SHIFT))

/* ---- second-level paging entries --------------------------------------------------------------- */
#define VTD_SL_R	BIT(0)	/* read */
#define VTD_SL_W	BIT(1)	/* write */
#define VTD_SL_PS	BIT(7)	/* page size: leaf at levels 1 (2M) and 2 (1G) */
#define VTD_SL_SNP	BIT(11)	/* snoop (leaf; only with ECAP.SC) */
#define VTD_SL_TM	BIT(62)	/* transient mapping (leaf; only with ECAP.DT) */
/* attributes a leaf may carry; what vtd_sl_fmt's attrs() reports */
#define VTD_SL_ATTRS	(VTD_SL_R | VTD_SL_W | VTD_SL_SNP | VTD_SL_TM)

/* The ptab format of second-level tables (drivers/vtd_tables.c). Non-leaf
 * entries carry R and W: permissions are the AND of all levels, so the leaf
 * alone decides. An entry with neither R nor W is not present. */
extern const struct ptab_fmt vtd_sl_fmt;

/* ---- invalidation descriptors (128-bit, queued invalidation) ------------------------------------- */
#define VTD_QI_TYPE_CC		0x1	/* context-cache invalidate */
#define VTD_QI_TYPE_IOTLB	0x2	/* IOTLB invalidate */
#define VTD_QI_TYPE_DEVTLB	0x3	/* device-TLB invalidate */
#define VTD_QI_TYPE_IEC		0x4	/* interrupt entry cache invalidate */
#define VTD_QI_TYPE_WAIT	0x5	/* invalidation wait */
#define VTD_QI_GRAN_GLOBAL	1	/* bits 5:4 of CC and IOTLB descriptors */
#define VTD_QI_GRAN_DOMAIN	2
#define VTD_QI_GRAN_DEVICE	3	/* CC: device; IOTLB: page */
#define VTD_QI_GRAN_PAGE	3
#define VTD_QI_IOTLB_DR		BIT(7)
#define VTD_QI_IOTLB_DW		BIT(6)
#define VTD_QI_WAIT_IF		BIT(4)	/* interrupt when done */
#define VTD_QI_WAIT_SW		BIT(5)	/* write status data to the status address */
#define VTD_QI_WAIT_FN		BIT(6)	/* fence */

struct vtd_entry128 vtd_qi_context_global(void);
struct vtd_entry128 vtd_qi_context_device(u16 did, u16 sid);
struct vtd_entry128 vtd_qi_iotlb_global(bool drain_rd, bool drain_wr);
struct vtd_entry128 vtd_qi_iotlb_domain(u16 did, bool drain_rd, bool drain_wr);
/* pages of 2^am 4K pages at addr (aligned to that size) */
struct vtd_entry128 vtd_qi_iotlb_page(u16 did, u64 addr, unsigned am, bool drain_rd, bool drain_wr);
/* write data to status_pa (4-byte aligned) when everything before it is done */
struct vtd_entry128 vtd_qi_wait(paddr_t status_pa, u32 data);

/* ---- capability decoding and choices (drivers/vtd_tables.c) -------------------------------------- */

/* Print VER/CAP/ECAP decoded, one unit. name is e.g. "unit 0 @0xfed90000". */
void vtd_print_caps(const char *name, u32 ver, u64 cap, u64 ecap);

/* Page-table levels for a domain that must translate addresses below 2^need_bits:
 * the smallest AGAW in SAGAW that covers need_bits (3 levels: 39 bits, AW 1;
 * 4: 48 bits, AW 2; 5: 57 bits, AW 3). Returns the number of levels, or
 * -EOPNOTSUPP when SAGAW has no usable width or MGAW < need_bits. */
int vtd_select_levels(u64 cap, unsigned need_bits);
static inline unsigned vtd_levels_to_aw(unsigned levels) { return levels - 2; }
static inline unsigned vtd_levels_to_bits(unsigned levels) { return 12 + 9 * levels; }
/* Largest leaf level CAP.SLLPS allows (0: 4K, 1: 2M, 2: 1G). */
unsigned vtd_max_leaf_level(u64 cap);
/* Number of domain ids the unit has (2^(4 + 2*ND)). */
static inline u32 vtd_domain_count(u64 cap) { return 1u << (4 + 2 * vtd_cap_nd(cap)); }

/* ---- root and context tables (drivers/vtd_tables.c) ------------------------------------------------ */

struct vtd_entry128 vtd_root_entry(paddr_t context_table);
/* Legacy-mode context entry: translate through slptptr with aw, in domain did. */
struct vtd_entry128 vtd_context_entry(paddr_t slptptr, unsigned aw, u16 did, unsigned tt);

/* One unit's root table and the context tables hanging off it. Memory comes
 * from a ptab_mem (its sync callback flushes cache lines on units without
 * coherent page walks). */
struct vtd_root_table {
	const struct ptab_mem *mem;
	paddr_t root;
};

int vtd_root_table_init(struct vtd_root_table *rt, const struct ptab_mem *mem);
/* Install the context entry for bus:devfn, allocating its context table on
 * first use. Writes the high half first and the present bit last. *was_present
 * (may be NULL) tells whether an entry was already present: then the caller
 * must invalidate the context cache (and IOTLB) for it; with caching mode the
 * caller invalidates after every change. Returns 0 or -ENOMEM. */
int vtd_context_set(struct vtd_root_table *rt, u8 bus, u8 devfn, struct vtd_entry128 ce,
		    bool *was_present);
/* Make bus:devfn not present (its DMA is blocked). Returns 1 if it was present, else 0. */
int vtd_context_clear(struct vtd_root_table *rt, u8 bus, u8 devfn);
/* Read back; returns 0 or -ENOENT (no context table or entry not present). */
int vtd_context_get(const struct vtd_root_table *rt, u8 bus, u8 devfn, struct vtd_entry128 *ce);

/* ---- domain ids (drivers/vtd_tables.c) ---------------------------------------------------------------- */

/* A bitmap of domain ids in caller storage. DID 0 is never handed out: with
 * caching mode the hardware tags not-present entries with it. */
struct vtd_did_alloc {
	u64 *bits;
	u32 count;		/* ids 0..count-1 */
};
#define VTD_DID_WORDS(count)	(((count) + 63) / 64)

void vtd_did_init(struct vtd_did_alloc *a, u64 *bits, u32 count);
int vtd_did_alloc(struct vtd_did_alloc *a);		/* id >= 1, or -ENOSPC */
void vtd_did_free(struct vtd_did_alloc *a, u16 did);

/* ---- fault records (drivers/vtd_fault.c) ------------------------------------------------------------- */

enum vtd_access {
	VTD_ACCESS_WRITE,
	VTD_ACCESS_READ,
	VTD_ACCESS_PAGE_REQ,	/* translation (page) request */
	VTD_ACCESS_ATOMIC,
};

struct vtd_fault {
	bool valid;		/* F bit */
	u16 sid;		/* source id: bus << 8 | dev << 3 | fn */
	u8 reason;		/* FR */
	enum vtd_access access;
	u8 at;			/* address type (0: untranslated) */
	bool pasid_present;
	u32 pasid;
	bool exe, priv;
	u64 addr;		/* fault info: page address of the request */
	bool ir;		/* an interrupt-remapping fault (reason 0x20..0x2f): no address, */
	u16 ir_index;		/* the interrupt index (FI bits 63:48) the request selected */
};

/* Decode one fault recording register (lo = bits 63:0, hi = 127:64). */
void vtd_fault_decode(u64 lo, u64 hi, struct vtd_fault *f);
/* Text for a fault reason code; never NULL. */
const char *vtd_fault_reason_text(u8 reason);
const char *vtd_access_name(enum vtd_access a);
/* "DMA read of 0x1234000 by 00:02.0 blocked: reason 0x06, ..." into buf; for interrupt
 * faults "interrupt request (index 5) by 00:02.0 blocked: reason 0x22, ...";
 * returns what ksnprintf returns. */
int vtd_fault_format(const struct vtd_fault *f, char *buf, size_t len);
/* FSTS bits as text ("PPF ITE fri=3"); returns what ksnprintf returns. */
int vtd_fsts_format(u32 fsts, char *buf, size_t len);

/* Print each distinct fault once, count repeats. A fault is "the same" when
 * source, reason, access and page match. Storage comes from the caller; when
 * it is full, new kinds are counted in 'untracked' (the first of them is
 * reported as new, the rest as repeats). */
struct vtd_fault_seen {
	u16 sid;
	u8 reason;
	u8 access;
	u64 addr;
	u64 count;
};
struct vtd_fault_log {
	struct vtd_fault_seen *seen;
	size_t cap, used;
	u64 total, untracked;
};
void vtd_fault_log_init(struct vtd_fault_log *log, struct vtd_fault_seen *storage, size_t cap);
/* Count f; returns how often this fault has now been seen (1: first time, print it). */
u64 vtd_fault_log_record(struct vtd_fault_log *log, const struct vtd_fault *f);
/* How often a fault of f's kind (source, reason, access, page) has been
 * recorded; 0 if never (or only while the log was full). */
u64 vtd_fault_log_count(const struct vtd_fault_log *log, const struct vtd_fault *f);

/* ---- the driver (drivers/vtd*.c) ----------------------------------------------------------------------- */
struct uhv_options;
struct pci_cfg_ops;

/* A DMA address space: second-level tables and a domain id shared by all units. */
struct vtd_domain {
	u16 did;
	unsigned flags;		/* VTD_DOMAIN_* */
	bool attached;		/* some device uses it: changes need IOTLB invalidation */
	struct ptab pt;
};
/* Only for the self-test's own buffers: allow mapping pages of uhv's memory. */
#define VTD_DOMAIN_MAY_MAP_HYPERVISOR	BIT(0)

/* Parse the DMAR table (NULL: none, said so), map and probe every unit, set
 * up queued invalidation, clear faults left by firmware and enable
 * translation with empty root tables: from then on a device DMAs only
 * through a domain it is attached to (RMRR devices get an identity domain
 * for their reserved regions). cfg reaches PCI config space for bridge scopes
 * (may be NULL). opt->iommu false: disabled, said loudly. Returns 0, or a
 * negative errno: DMA remapping is then not active (vtd_active() false). */
int vtd_init(const void *dmar, size_t len, const struct uhv_options *opt,
	     const struct pci_cfg_ops *cfg);
bool vtd_active(void);
/* The enumerated PCI functions, for the bridges above a device (requester-id aliases of devices
 * behind bridges to conventional PCI, drivers/vtd_alias.c). Call before vtd_init; without it
 * only a device's own id is routed. */
struct pci;
void vtd_use_pci(const struct pci *pci);
/* The requester id the remapping unit sees on seg:bus:devfn's DMA (bus << 8 | devfn): its own,
 * or that of the bridge to conventional PCI nearest the root above it. */
u16 vtd_dma_requester(u16 seg, u8 bus, u8 devfn);

int vtd_domain_create(struct vtd_domain *dom, unsigned flags);
/* Map [iova, iova+size) to [hpa, hpa+size), rw = VTD_SL_R and/or VTD_SL_W; 4K
 * aligned. Refuses uhv's own memory (-EPERM) unless the domain may map it.
 * Invalidates the IOTLBs when the domain is in use. */
int vtd_domain_map(struct vtd_domain *dom, u64 iova, paddr_t hpa, u64 size, u64 rw);
int vtd_domain_unmap(struct vtd_domain *dom, u64 iova, u64 size);
/* Route seg:bus:devfn's DMA through dom (and identity-map the RMRR regions
 * that name it). -ENOENT: no unit covers the device. */
int vtd_attach_device(struct vtd_domain *dom, u16 seg, u8 bus, u8 devfn);
/* Block the device's DMA again. */
int vtd_detach_device(u16 seg, u8 bus, u8 devfn);

/* Read, print (each kind once) and clear the fault records of every unit.
 * Call it from a safe place (the main loop, a VM exit, a timer). */
void vtd_poll_faults(void);
u64 vtd_fault_count(void);			/* all faults seen since vtd_init */
int vtd_last_fault(struct vtd_fault_seen *out);	/* most recent new kind; -ENOENT */
/* How often a fault of this kind (source, reason, access, page of addr) was seen. */
u64 vtd_fault_kind_count(u16 sid, u8 reason, enum vtd_access access, u64 addr);
void vtd_fault_summary(void);			/* one line per kind with its count */

/* The vtd-selftest option (drivers/vtd_selftest.c): DMA through a test domain
 * with the e1000/e1000e that nic= names (else the first found on the PCI bus),
 * then faults for an unmapped IOVA and for an IOVA equal to uhv memory.
 * Returns 0 (pass) or a negative errno. */
struct pci;
struct uhv_options;
int vtd_selftest(const struct pci *pci, const struct pci_cfg_ops *cfg,
		 const struct uhv_options *o);

/* The guest's DMA domain (passthrough/dma_domain.c): vm->dma gets all guest RAM, GPA -> HPA, and
 * vm->dma_ready is set. -ENODEV when DMA remapping is not active. */
struct vm;
int vtd_guest_domain_setup(struct vm *vm);

#endif
