// UNIT-SOURCES: mm/gwalk.c
/* Guest page-table walker: hand-built guest tables in a fake guest memory for
 * every paging mode, the access-rights matrix, reserved bits, not-present
 * entries at each level and the accessed / dirty updates. Expected values are
 * written out from the SDM (Vol. 3A 4.3-4.8), not computed by a second model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/gwalk.h>
#include <uhv/ptab_x86.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>

/* ---- fake guest memory: gpa [0, GMEM_SIZE) ------------------------------------ */

#define GMEM_SIZE	MiB(8)

static u8 *gmem;
static unsigned nwrites;

static int g_read(void *ctx, u64 gpa, void *buf, size_t len)
{
	if (gpa >= GMEM_SIZE || len > GMEM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, gmem + gpa, len);
	return 0;
}

static int g_write(void *ctx, u64 gpa, const void *buf, size_t len)
{
	if (gpa >= GMEM_SIZE || len > GMEM_SIZE - gpa)
		return -EFAULT;
	memcpy(gmem + gpa, buf, len);
	nwrites++;
	return 0;
}

static const struct gwalk_ops ops = { .read_gpa = g_read, .write_gpa = g_write };

static void set32(u64 gpa, u32 v) { memcpy(gmem + gpa, &v, 4); }
static void set64(u64 gpa, u64 v) { memcpy(gmem + gpa, &v, 8); }
static u32 get32(u64 gpa) { u32 v; memcpy(&v, gmem + gpa, 4); return v; }
static u64 get64(u64 gpa) { u64 v; memcpy(&v, gmem + gpa, 8); return v; }

static int setup(void **state)
{
	gmem = calloc(1, GMEM_SIZE);
	nwrites = 0;
	return gmem ? 0 : -1;
}

static int teardown(void **state)
{
	free(gmem);
	return 0;
}

#define P	PTE_P
#define RW	PTE_RW
#define US	PTE_US
#define PS	PTE_PS
#define NX	PTE_NX
#define URW	(P | RW | US)

/* ---- modes ---------------------------------------------------------------------------- */

static struct gwalk_mode mode_32(u64 cr3, bool pse)
{
	return (struct gwalk_mode){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = cr3,
				    .cr4 = pse ? CR4_PSE : 0, .maxphyaddr = 40 };
}

static struct gwalk_mode mode_pae(u64 cr3, bool nxe)
{
	struct gwalk_mode m = { .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = cr3, .cr4 = CR4_PAE,
				.efer = nxe ? EFER_NXE : 0, .maxphyaddr = 36 };

	assert_int_equal(gwalk_load_pdptes(&ops, cr3, m.maxphyaddr, m.pdpte), 0);
	return m;
}

static struct gwalk_mode mode_4l(u64 cr3, bool nxe)
{
	return (struct gwalk_mode){ .cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = cr3, .cr4 = CR4_PAE,
				    .efer = EFER_LME | EFER_LMA | (nxe ? EFER_NXE : 0),
				    .maxphyaddr = 46, .pdpe1gb = true };
}

static int walk(const struct gwalk_mode *m, u64 la, unsigned access, struct gwalk_result *r)
{
	return gwalk(&ops, m, la, access | GWALK_NO_AD, r);
}

/* the walk faults with exactly error code ec and writes nothing */
static void expect_pf(const struct gwalk_mode *m, u64 la, unsigned access, u32 ec)
{
	struct gwalk_result r;
	unsigned w = nwrites;

	assert_int_equal(gwalk(&ops, m, la, access, &r), -EFAULT);
	if (r.error_code != ec)
		fail_msg("la %#llx access %#x: error code %#x, expected %#x",
			 la, access, r.error_code, ec);
	assert_int_equal(nwrites, w);
}

static void expect_ok(const struct gwalk_mode *m, u64 la, unsigned access, u64 gpa)
{
	struct gwalk_result r;
	int err = walk(m, la, access, &r);

	if (err)
		fail_msg("la %#llx access %#x: %d (error code %#x), expected gpa %#llx",
			 la, access, err, r.error_code,
			 gpa);
	assert_int_equal(r.gpa, gpa);
}

/* ---- paging off, 32-bit -------------------------------------------------------- */

static void test_paging_off(void **state)
{
	struct gwalk_mode m = { .cr0 = CR0_PE, .maxphyaddr = 36 };
	struct gwalk_result r;

	assert_int_equal(gwalk_paging(m.cr0, CR4_PAE, EFER_LMA), GWALK_PAGING_OFF);
	assert_int_equal(gwalk(&ops, &m, 0x123456789abULL, GWALK_WRITE | GWALK_USER, &r), 0);
	assert_int_equal(r.gpa, 0x456789abULL);
	assert_int_equal(r.flags, RW | US);
	assert_int_equal(r.page_size, PAGE_SIZE);
	assert_int_equal(nwrites, 0);
}

/* 32-bit paging: PD at 0x1000, PT at 0x2000 */
static void test_32bit_4k(void **state)
{
	struct gwalk_mode m = mode_32(0x1000 | 0x18 /* PWT|PCD in CR3: ignored */, false);
	struct gwalk_result r;
	u64 la = (3ULL << 22) | (5 << 12) | 0x123;

	assert_int_equal(gwalk_paging(m.cr0, m.cr4, m.efer), GWALK_PAGING_32);
	set32(0x1000 + 3 * 4, 0x2000 | URW);
	set32(0x2000 + 5 * 4, 0xabcde000 | URW | PTE_PCD | PTE_PAT | PTE_G);
	assert_int_equal(gwalk(&ops, &m, la, 0, &r), 0);
	assert_int_equal(r.gpa, 0xabcde123);
	assert_int_equal(r.page_size, PAGE_SIZE);
	assert_int_equal(r.flags, RW | US | PTE_PCD | PTE_PAT | PTE_G | PTE_A);
	assert_int_equal(r.leaf_gpa, 0x2000 + 5 * 4);
	/* A in both entries, no D on a read */
	assert_int_equal(get32(0x1000 + 3 * 4), 0x2000 | URW | PTE_A);
	assert_int_equal(get32(0x2000 + 5 * 4),
			 0xabcde000 | URW | PTE_PCD | PTE_PAT | PTE_G | PTE_A);
	/* a write sets D in the PTE only */
	assert_int_equal(gwalk(&ops, &m, la, GWALK_WRITE, &r), 0);
	assert_true(r.flags & PTE_D);
	assert_int_equal(get32(0x1000 + 3 * 4), 0x2000 | URW | PTE_A);
	assert_int_equal(get32(0x2000 + 5 * 4) & PTE_D, PTE_D);
	/* high linear bits are not part of a 32-bit address */
	expect_ok(&m, la | 0xffffffff00000000ULL, 0, 0xabcde123);
	/* 32-bit paging has no XD: fetch is fine, and I/D is 0 without SMEP */
	expect_ok(&m, la, GWALK_FETCH, 0xabcde123);
	set32(0x2000 + 5 * 4, 0);
	expect_pf(&m, la, GWALK_FETCH, 0);
	m.cr4 |= CR4_SMEP;
	expect_pf(&m, la, GWALK_FETCH, PFEC_ID);
	/* no reserved bits in 32-bit PTEs / PDEs of 4K pages: bits 31:12 all address */
	set32(0x2000 + 5 * 4, 0xfffff000 | URW);
	expect_ok(&m, la, GWALK_WRITE, 0xfffff123);
	/* PS is ignored without CR4.PSE: the PDE still points to a table */
	set32(0x1000 + 3 * 4, 0x2000 | URW | PS);
	m.cr4 = 0;
	expect_ok(&m, la, 0, 0xfffff123);
}

static void test_32bit_4m(void **state)
{
	struct gwalk_mode m = mode_32(0x1000, true);
	struct gwalk_result r;
	u64 la = (0x21ULL << 22) | 0x2a5123;

	set32(0x1000 + 0x21 * 4, 0x12c00000 | URW | PS | PTE_PAT_LARGE);
	assert_int_equal(gwalk(&ops, &m, la, GWALK_WRITE, &r), 0);
	assert_int_equal(r.gpa, 0x12c00000 + 0x2a5123);
	assert_int_equal(r.page_size, MiB(4));
	assert_int_equal(r.flags, RW | US | PTE_A | PTE_D | PTE_PAT);
	assert_int_equal(get32(0x1000 + 0x21 * 4),
			 0x12c00000 | URW | PS | PTE_PAT_LARGE | PTE_A | PTE_D);
	/* PSE-36: PDE bits 20:13 are physical bits 39:32 (MAXPHYADDR 40) */
	set32(0x1000 + 0x21 * 4, 0x12c00000 | URW | PS | (0xa5 << 13));
	expect_ok(&m, la, 0, 0xa500000000ULL + 0x12c00000 + 0x2a5123);
	/* bit 21 is reserved */
	set32(0x1000 + 0x21 * 4, 0x12c00000 | URW | PS | BIT(21));
	expect_pf(&m, la, GWALK_USER, PFEC_P | PFEC_RSVD | PFEC_U);
	/* ... also with MAXPHYADDR above 40: 32-bit paging reaches 40 bits at most */
	m.maxphyaddr = 46;
	expect_pf(&m, la, GWALK_USER, PFEC_P | PFEC_RSVD | PFEC_U);
	/* MAXPHYADDR 36: bits 21:17 reserved, 16:13 address */
	m.maxphyaddr = 36;
	set32(0x1000 + 0x21 * 4, 0x12c00000 | URW | PS | (0x5 << 13));
	expect_ok(&m, la, 0, 0x500000000ULL + 0x12c00000 + 0x2a5123);
	set32(0x1000 + 0x21 * 4, 0x12c00000 | URW | PS | BIT(17));
	expect_pf(&m, la, GWALK_WRITE, PFEC_P | PFEC_RSVD | PFEC_W);
	/* MAXPHYADDR 32: bits 21:13 reserved */
	m.maxphyaddr = 32;
	set32(0x1000 + 0x21 * 4, 0x12c00000 | URW | PS | BIT(13));
	expect_pf(&m, la, 0, PFEC_P | PFEC_RSVD);
	/* not-present PDE */
	set32(0x1000 + 0x21 * 4, 0x12c00000 | RW | US | PS);
	expect_pf(&m, la, GWALK_WRITE | GWALK_USER, PFEC_W | PFEC_U);
}

/* ---- PAE --------------------------------------------------------------------------------- */

/* PDPT at 0x1020 (32-byte aligned, not page aligned), PD at 0x3000, PT at 0x4000 */
static void build_pae(void)
{
	set64(0x1020 + 2 * 8, 0x3000 | P | PTE_PWT);
	set64(0x3000 + 7 * 8, 0x4000 | URW);
	set64(0x4000 + 9 * 8, 0x76543000 | URW);
	set64(0x3000 + 8 * 8, 0x7fe00000 | URW | PS);
}

#define PAE_LA4K ((2ULL << 30) | (7 << 21) | (9 << 12) | 0x456)
#define PAE_LA2M ((2ULL << 30) | (8 << 21) | 0x1ab456)

static void test_pae(void **state)
{
	struct gwalk_mode m;
	struct gwalk_result r;
	u64 pd[4];

	build_pae();
	m = mode_pae(0x1020, false);
	assert_int_equal(gwalk_paging(m.cr0, m.cr4, m.efer), GWALK_PAGING_PAE);
	assert_int_equal(m.pdpte[2], 0x3000 | P | PTE_PWT);
	assert_int_equal(gwalk(&ops, &m, PAE_LA4K, GWALK_WRITE, &r), 0);
	assert_int_equal(r.gpa, 0x76543456);
	assert_int_equal(r.page_size, PAGE_SIZE);
	/* A in PDE and PTE, D in the PTE, nothing in the PDPTE (it has no A) */
	assert_int_equal(get64(0x1020 + 2 * 8), 0x3000 | P | PTE_PWT);
	assert_int_equal(get64(0x3000 + 7 * 8), 0x4000 | URW | PTE_A);
	assert_int_equal(get64(0x4000 + 9 * 8), 0x76543000 | URW | PTE_A | PTE_D);
	assert_int_equal(gwalk(&ops, &m, PAE_LA2M, 0, &r), 0);
	assert_int_equal(r.gpa, 0x7fe00000 + 0x1ab456);
	assert_int_equal(r.page_size, MiB(2));
	assert_int_equal(get64(0x3000 + 8 * 8), 0x7fe00000 | URW | PS | PTE_A);

	/* not-present PDPTE, PDE, PTE: P=0 */
	expect_pf(&m, 1ULL << 30, GWALK_USER, PFEC_U);
	expect_pf(&m, (2ULL << 30) | (6 << 21), GWALK_WRITE, PFEC_W);
	expect_pf(&m, (2ULL << 30) | (7 << 21) | (10 << 12), 0, 0);

	/* reserved: 62:M in PDE / PTE, XD without NXE, 20:13 in a 2M PDE */
	set64(0x4000 + 9 * 8, 0x76543000 | URW | BIT(36));
	expect_pf(&m, PAE_LA4K, 0, PFEC_P | PFEC_RSVD);
	set64(0x4000 + 9 * 8, 0x76543000 | URW | BIT(62));
	expect_pf(&m, PAE_LA4K, GWALK_USER, PFEC_P | PFEC_RSVD | PFEC_U);
	set64(0x4000 + 9 * 8, 0x76543000 | URW | NX);
	expect_pf(&m, PAE_LA4K, 0, PFEC_P | PFEC_RSVD);
	set64(0x3000 + 7 * 8, 0x4000 | URW | BIT(40));
	expect_pf(&m, PAE_LA4K, 0, PFEC_P | PFEC_RSVD);
	set64(0x3000 + 8 * 8, 0x7fe00000 | URW | PS | BIT(13));
	expect_pf(&m, PAE_LA2M, 0, PFEC_P | PFEC_RSVD);
	/* fetch without NXE: I/D stays 0 */
	expect_pf(&m, PAE_LA2M, GWALK_FETCH, PFEC_P | PFEC_RSVD);

	/* with NXE, XD is a permission: fetch faults with I/D, reads work */
	m.efer |= EFER_NXE;
	set64(0x4000 + 9 * 8, 0x76543000 | URW | NX);
	set64(0x3000 + 7 * 8, 0x4000 | URW);
	expect_ok(&m, PAE_LA4K, GWALK_USER, 0x76543456);
	expect_pf(&m, PAE_LA4K, GWALK_FETCH | GWALK_USER, PFEC_P | PFEC_ID | PFEC_U);
	expect_pf(&m, 1ULL << 30, GWALK_FETCH, PFEC_ID);
	/* XD in the PDE covers the page too */
	set64(0x4000 + 9 * 8, 0x76543000 | URW);
	set64(0x3000 + 7 * 8, 0x4000 | URW | NX);
	expect_pf(&m, PAE_LA4K, GWALK_FETCH, PFEC_P | PFEC_ID);

	/* PDPTE reserved bits make MOV to CR3 fail (#GP), not the walk */
	set64(0x1020 + 2 * 8, 0x3000 | P | RW);
	assert_int_equal(gwalk_load_pdptes(&ops, 0x1020, 36, pd), -EINVAL);
	set64(0x1020 + 2 * 8, 0x3000 | P | PTE_A);
	assert_int_equal(gwalk_load_pdptes(&ops, 0x1020, 36, pd), -EINVAL);
	set64(0x1020 + 2 * 8, 0x3000 | P | BIT(36));
	assert_int_equal(gwalk_load_pdptes(&ops, 0x1020, 36, pd), -EINVAL);
	assert_int_equal(gwalk_load_pdptes(&ops, 0x1020, 40, pd), 0);
	set64(0x1020 + 2 * 8, 0x3000 | P | NX);
	assert_int_equal(gwalk_load_pdptes(&ops, 0x1020, 52, pd), -EINVAL);
	/* a not-present PDPTE's other bits are not checked */
	set64(0x1020 + 2 * 8, 0xfff0000000000ffeULL);
	assert_int_equal(gwalk_load_pdptes(&ops, 0x1020, 36, pd), 0);
	assert_int_equal(gwalk_load_pdptes(&ops, GMEM_SIZE, 36, pd), -EIO);
}

/* ---- 4-level / 5-level ---------------------------------------------------------------- */

/* PML4 0x10000, PDPT 0x11000, PD 0x12000, PT 0x13000 */
#define L4_LA4K   0xffff8000c0a05123ULL	/* PML4 256, PDPT 3, PD 5, PT 5 */
#define L4_LA2M   0xffff8000c0c12345ULL	/* PML4 256, PDPT 3, PD 6 */
#define L4_LA1G   0xffff800100345678ULL	/* PML4 256, PDPT 4 */

static void build_4l(void)
{
	set64(0x10000 + 256 * 8, 0x11000 | URW);
	set64(0x11000 + 3 * 8, 0x12000 | URW);
	set64(0x12000 + 5 * 8, 0x13000 | URW);
	set64(0x13000 + 5 * 8, 0x123456789000ULL | URW);
	set64(0x12000 + 6 * 8, 0x3fffffe00000ULL | URW | PS | PTE_PAT_LARGE);
	set64(0x11000 + 4 * 8, 0x2c0000000ULL | URW | PS);
}

static void test_4level(void **state)
{
	struct gwalk_mode m = mode_4l(0x10000 | 0x18, true);
	struct gwalk_result r;

	build_4l();
	assert_int_equal(gwalk_paging(m.cr0, m.cr4, m.efer), GWALK_PAGING_4LEVEL);
	assert_int_equal(gwalk(&ops, &m, L4_LA4K, GWALK_WRITE, &r), 0);
	assert_int_equal(r.gpa, 0x123456789123ULL);
	assert_int_equal(r.page_size, PAGE_SIZE);
	assert_int_equal(r.leaf_gpa, 0x13000 + 5 * 8);
	assert_int_equal(get64(0x10000 + 256 * 8), 0x11000 | URW | PTE_A);
	assert_int_equal(get64(0x11000 + 3 * 8), 0x12000 | URW | PTE_A);
	assert_int_equal(get64(0x12000 + 5 * 8), 0x13000 | URW | PTE_A);
	assert_int_equal(get64(0x13000 + 5 * 8), 0x123456789000ULL | URW | PTE_A | PTE_D);

	assert_int_equal(gwalk(&ops, &m, L4_LA2M, 0, &r), 0);
	assert_int_equal(r.gpa, 0x3fffffe12345ULL);
	assert_int_equal(r.page_size, MiB(2));
	assert_int_equal(r.flags, RW | US | PTE_A | PTE_PAT);
	assert_int_equal(gwalk(&ops, &m, L4_LA1G, GWALK_FETCH, &r), 0);
	assert_int_equal(r.gpa, 0x2c0000000ULL + 0x345678);
	assert_int_equal(r.page_size, GiB(1));
	assert_int_equal(get64(0x11000 + 4 * 8), 0x2c0000000ULL | URW | PS | PTE_A);

	/* non-canonical: #GP, not #PF */
	assert_int_equal(gwalk(&ops, &m, 0x0000800000000000ULL, 0, &r), -EINVAL);
	/* not present at each level */
	expect_pf(&m, 0x00007f0000000000ULL, GWALK_USER, PFEC_U);			/* PML4E */
	expect_pf(&m, 0xffff800000000000ULL, GWALK_WRITE, PFEC_W);		/* PDPTE */
	expect_pf(&m, 0xffff8000c0000000ULL, GWALK_FETCH, PFEC_ID);			/* PDE */
	expect_pf(&m, 0xffff8000c0a06000ULL, GWALK_WRITE | GWALK_USER, PFEC_W | PFEC_U); /* PTE */
	/* a table outside guest memory */
	set64(0x12000 + 7 * 8, 0x7f000000ULL | URW);
	assert_int_equal(gwalk(&ops, &m, 0xffff8000c0e00000ULL, 0, &r), -EIO);
	assert_int_equal(r.bad_gpa, 0x7f000000ULL);
}

static void test_4level_reserved(void **state)
{
	struct gwalk_mode m = mode_4l(0x10000, false);
	u32 rsvd = PFEC_P | PFEC_RSVD;

	build_4l();
	/* XD is reserved without NXE, at any level */
	set64(0x13000 + 5 * 8, 0x123456789000ULL | URW | NX);
	expect_pf(&m, L4_LA4K, GWALK_WRITE, rsvd | PFEC_W);
	set64(0x13000 + 5 * 8, 0x123456789000ULL | URW);
	set64(0x10000 + 256 * 8, 0x11000 | URW | NX);
	expect_pf(&m, L4_LA4K, GWALK_FETCH, rsvd);	/* no I/D: NXE=0, SMEP=0 */
	m.cr4 |= CR4_SMEP;
	expect_pf(&m, L4_LA4K, GWALK_FETCH, rsvd | PFEC_ID);
	m.cr4 &= ~CR4_SMEP;
	set64(0x10000 + 256 * 8, 0x11000 | URW);
	expect_ok(&m, L4_LA4K, 0, 0x123456789123ULL);
	/* bits 51:MAXPHYADDR (46) */
	set64(0x12000 + 5 * 8, 0x13000 | URW | BIT(46));
	expect_pf(&m, L4_LA4K, 0, rsvd);
	set64(0x12000 + 5 * 8, 0x13000 | URW | BIT(51));
	expect_pf(&m, L4_LA4K, GWALK_USER, rsvd | PFEC_U);
	/* ignored bits 62:52 and 11:9 are not reserved */
	set64(0x12000 + 5 * 8, 0x13000 | URW | BIT(52) | BIT(62) | BIT(9) | BIT(11));
	expect_ok(&m, L4_LA4K, 0, 0x123456789123ULL);
	m.maxphyaddr = 52;
	set64(0x12000 + 5 * 8, 0x13000 | URW | BIT(51));
	assert_int_equal(gwalk(&ops, &m, L4_LA4K, 0, &(struct gwalk_result){ 0 }), -EIO);
	m.maxphyaddr = 46;
	set64(0x12000 + 5 * 8, 0x13000 | URW);
	/* PS in a PML4E */
	set64(0x10000 + 256 * 8, 0x11000 | URW | PS);
	expect_pf(&m, L4_LA4K, 0, rsvd);
	set64(0x10000 + 256 * 8, 0x11000 | URW);
	/* 1G page: 29:13 reserved; PS reserved without 1 GiB page support */
	set64(0x11000 + 4 * 8, 0x2c0000000ULL | URW | PS | BIT(13));
	expect_pf(&m, L4_LA1G, 0, rsvd);
	set64(0x11000 + 4 * 8, 0x2c0000000ULL | URW | PS | BIT(29));
	expect_pf(&m, L4_LA1G, 0, rsvd);
	set64(0x11000 + 4 * 8, 0x2c0000000ULL | URW | PS | PTE_PAT_LARGE);
	expect_ok(&m, L4_LA1G, 0, 0x2c0345678ULL);
	m.pdpe1gb = false;
	expect_pf(&m, L4_LA1G, 0, rsvd);
	/* 2M page: 20:13 reserved, 12 is PAT */
	set64(0x12000 + 6 * 8, 0x3fffffe00000ULL | URW | PS | BIT(20));
	expect_pf(&m, L4_LA2M, 0, rsvd);
	/* a 4K PTE's bit 7 is PAT, not PS */
	set64(0x13000 + 5 * 8, 0x123456789000ULL | URW | PTE_PAT);
	expect_ok(&m, L4_LA4K, 0, 0x123456789123ULL);
	/* reserved bits in a not-present entry are not checked */
	set64(0x13000 + 5 * 8, 0xfff0000000000ffeULL);
	expect_pf(&m, L4_LA4K, 0, 0);
	/* reserved bit in an upper level wins over a not-present lower one */
	set64(0x11000 + 3 * 8, 0x12000 | URW | BIT(50));
	expect_pf(&m, L4_LA4K, 0, rsvd);
}

static void test_5level(void **state)
{
	struct gwalk_mode m = mode_4l(0x20000, true);
	struct gwalk_result r;
	u64 la = 0xfffe8000c0a05123ULL;	/* PML5 510, then as L4_LA4K */

	m.cr4 |= CR4_LA57;
	build_4l();
	set64(0x20000 + 510 * 8, 0x10000 | URW);
	assert_int_equal(gwalk_paging(m.cr0, m.cr4, m.efer), GWALK_PAGING_5LEVEL);
	assert_int_equal(gwalk(&ops, &m, la, 0, &r), 0);
	assert_int_equal(r.gpa, 0x123456789123ULL);
	assert_int_equal(get64(0x20000 + 510 * 8), 0x10000 | URW | PTE_A);
	assert_int_equal(gwalk(&ops, &m, 0x0100000000000000ULL, 0, &r), -EINVAL);
	set64(0x20000 + 510 * 8, 0x10000 | URW | PS);
	expect_pf(&m, la, 0, PFEC_P | PFEC_RSVD);
}

/* ---- access rights (SDM 4.6) ----------------------------------------------------------------- */

struct perm_case {
	u64 upper, leaf;	/* flags of the PDE and of the PTE (P added) */
	u64 cr0_wp, cr4, efer_nxe;
	unsigned access;
	int ok;			/* 1: allowed, 0: fault with error code ec */
	u32 ec;
};

#define S	0			/* supervisor read */
#define W	GWALK_WRITE
#define U	GWALK_USER
#define F	GWALK_FETCH
#define AC	GWALK_AC
#define IMP	GWALK_IMPLICIT
#define WPON	CR0_WP
#define SMEP	CR4_SMEP
#define SMAP	CR4_SMAP

static const struct perm_case perm_cases[] = {
	/* user accesses need U/S at every level, writes R/W at every level */
	{ RW | US, RW | US, WPON, 0, 0, U, 1, 0 },
	{ RW | US, RW | US, WPON, 0, 0, U | W, 1, 0 },
	{ RW, RW | US, WPON, 0, 0, U, 0, PFEC_P | PFEC_U },
	{ RW | US, RW, WPON, 0, 0, U | W, 0, PFEC_P | PFEC_U | PFEC_W },
	{ US, RW | US, WPON, 0, 0, U | W, 0, PFEC_P | PFEC_U | PFEC_W },
	{ RW | US, US, 0, 0, 0, U | W, 0, PFEC_P | PFEC_U | PFEC_W },	/* WP=0 is not for U */
	{ US, US, WPON, 0, 0, U, 1, 0 },
	/* supervisor: reads anything; writes to read-only pages only with WP=0 */
	{ 0, 0, WPON, 0, 0, S, 1, 0 },
	{ US, US, WPON, 0, 0, S, 1, 0 },
	{ RW, 0, WPON, 0, 0, W, 0, PFEC_P | PFEC_W },
	{ 0, RW, WPON, 0, 0, W, 0, PFEC_P | PFEC_W },
	{ 0, 0, 0, 0, 0, W, 1, 0 },
	{ US, US, 0, 0, 0, W, 1, 0 },
	{ RW | US, RW | US, WPON, 0, 0, W, 1, 0 },
	/* SMAP: supervisor data access to user pages needs AC=1 and explicit */
	{ RW | US, RW | US, WPON, SMAP, 0, S, 0, PFEC_P },
	{ RW | US, RW | US, WPON, SMAP, 0, S | AC, 1, 0 },
	{ RW | US, RW | US, WPON, SMAP, 0, W | AC, 1, 0 },
	{ RW | US, RW | US, WPON, SMAP, 0, W, 0, PFEC_P | PFEC_W },
	{ RW | US, RW | US, WPON, SMAP, 0, S | AC | IMP, 0, PFEC_P },
	{ RW | US, RW | US, WPON, SMAP, 0, U | AC | IMP, 0, PFEC_P },	/* implicit: U/S=0 */
	{ RW | US, RW | US, WPON, 0, 0, U | IMP, 1, 0 },
	{ RW | US, US, WPON, SMAP, 0, W | AC, 0, PFEC_P | PFEC_W },	/* AC does not beat WP */
	{ RW | US, US, 0, SMAP, 0, W | AC, 1, 0 },
	{ RW | US, US, 0, SMAP, 0, W, 0, PFEC_P | PFEC_W },
	{ RW, RW | US, WPON, SMAP, 0, S, 1, 0 },	/* a supervisor page (U/S=0 above) */
	{ RW | US, RW | US, WPON, SMAP, 0, U | W, 1, 0 },	/* SMAP is not about users */
	{ RW | US, RW | US, WPON, SMAP, 0, F, 1, 0 },	/* nor about fetches */
	/* SMEP: no supervisor fetch from user pages; I/D reported with SMEP */
	{ RW | US, RW | US, WPON, SMEP, 0, F, 0, PFEC_P | PFEC_ID },
	{ RW | US, RW | US, WPON, SMEP, 0, F | U, 1, 0 },
	{ RW, RW | US, WPON, SMEP, 0, F, 1, 0 },
	{ RW | US, RW | US, WPON, SMEP, 0, S, 1, 0 },
	{ RW, RW, WPON, 0, 0, F | U, 0, PFEC_P | PFEC_U },	/* no I/D: NXE=0, SMEP=0 */
	{ RW, RW, WPON, 0, 1, F | U, 0, PFEC_P | PFEC_U | PFEC_ID },
	/* XD at any level, only with NXE */
	{ RW | US | NX, RW | US, WPON, 0, 1, F | U, 0, PFEC_P | PFEC_U | PFEC_ID },
	{ RW | US, RW | US | NX, WPON, 0, 1, F, 0, PFEC_P | PFEC_ID },
	{ RW | US, RW | US | NX, WPON, 0, 1, U | W, 1, 0 },
	{ RW | US, RW | US, WPON, 0, 1, F, 1, 0 },
	{ RW | US, RW | US | NX, WPON, 0, 0, S, 0, PFEC_P | PFEC_RSVD },
	/* a write flag on a fetch is ignored */
	{ RW | US, US, WPON, 0, 1, F | W | U, 1, 0 },
};

static void test_permissions(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(perm_cases); i++) {
		const struct perm_case *c = &perm_cases[i];
		struct gwalk_mode m = mode_4l(0x10000, c->efer_nxe);
		struct gwalk_result r;
		int err;

		memset(gmem, 0, MiB(1));
		build_4l();
		m.cr0 = (m.cr0 & ~CR0_WP) | c->cr0_wp;
		m.cr4 |= c->cr4;
		set64(0x12000 + 5 * 8, 0x13000 | P | c->upper);
		set64(0x13000 + 5 * 8, 0x123456789000ULL | P | c->leaf);
		nwrites = 0;
		err = gwalk(&ops, &m, L4_LA4K, c->access, &r);
		if (c->ok && err)
			fail_msg("case %zu: fault %#x, expected success", i, r.error_code);
		if (!c->ok && (err != -EFAULT || r.error_code != c->ec))
			fail_msg("case %zu: %d / error code %#x, expected fault %#x", i, err,
				 r.error_code, c->ec);
		if (c->ok) {
			/* effective rights: AND of R/W and U/S, OR of XD under NXE */
			u64 eff = (c->upper & c->leaf & (RW | US)) | ((c->upper | c->leaf) & NX);

			assert_int_equal(r.flags & (RW | US | NX), eff);
			assert_int_equal(nwrites, 3 + 1);	/* A in PML4E, PDPTE, PDE, PTE */
		} else {
			assert_int_equal(nwrites, 0);
		}
	}
}

/* the same rights in 32-bit and PAE paging: 32-bit has no XD at all */
static void test_permissions_legacy(void **state)
{
	struct gwalk_mode m = mode_32(0x1000, false);
	struct gwalk_mode pm;

	set32(0x1000 + 3 * 4, 0x2000 | P | US);
	set32(0x2000 + 5 * 4, 0xabcde000 | URW);
	expect_pf(&m, (3ULL << 22) | (5 << 12), GWALK_USER | GWALK_WRITE, PFEC_P | PFEC_U | PFEC_W);
	expect_ok(&m, (3ULL << 22) | (5 << 12), GWALK_USER, 0xabcde000);
	m.cr0 &= ~CR0_WP;
	expect_ok(&m, (3ULL << 22) | (5 << 12), GWALK_WRITE, 0xabcde000);
	m.cr4 |= CR4_SMAP;
	expect_pf(&m, (3ULL << 22) | (5 << 12), GWALK_WRITE, PFEC_P | PFEC_W);
	/* even NXE=1 gives no XD and no I/D in 32-bit paging */
	m.cr4 = 0;
	m.efer = EFER_NXE;
	set32(0x2000 + 5 * 4, 0);
	expect_pf(&m, (3ULL << 22) | (5 << 12), GWALK_FETCH, 0);

	build_pae();
	pm = mode_pae(0x1020, true);
	set64(0x3000 + 7 * 8, 0x4000 | P | RW);
	expect_pf(&pm, PAE_LA4K, GWALK_USER, PFEC_P | PFEC_U);
	expect_ok(&pm, PAE_LA4K, GWALK_WRITE, 0x76543456);
	set64(0x3000 + 7 * 8, 0x4000 | URW);
	pm.cr4 |= CR4_SMEP;
	expect_pf(&pm, PAE_LA4K, GWALK_FETCH, PFEC_P | PFEC_ID);
}

static void test_protection_keys(void **state)
{
	struct gwalk_mode m = mode_4l(0x10000, true);
	u64 key5 = 5ULL << 59;

	build_4l();
	m.cr4 |= CR4_PKE;
	set64(0x13000 + 5 * 8, 0x123456789000ULL | URW | key5);
	m.pkru = 1u << 10;	/* AD for key 5 */
	expect_pf(&m, L4_LA4K, GWALK_USER, PFEC_P | PFEC_U | PFEC_PK);
	expect_pf(&m, L4_LA4K, GWALK_AC, PFEC_P | PFEC_PK);	/* supervisor data too */
	expect_ok(&m, L4_LA4K, GWALK_FETCH | GWALK_USER, 0x123456789123ULL);	/* not fetch */
	m.pkru = 2u << 10;	/* WD for key 5 */
	expect_ok(&m, L4_LA4K, GWALK_USER, 0x123456789123ULL);
	expect_pf(&m, L4_LA4K, GWALK_USER | GWALK_WRITE, PFEC_P | PFEC_U | PFEC_W | PFEC_PK);
	expect_pf(&m, L4_LA4K, GWALK_WRITE, PFEC_P | PFEC_W | PFEC_PK);
	m.cr0 &= ~CR0_WP;
	expect_ok(&m, L4_LA4K, GWALK_WRITE, 0x123456789123ULL);
	/* keys apply to user pages only */
	set64(0x13000 + 5 * 8, 0x123456789000ULL | P | RW | key5);
	m.pkru = 3u << 10;
	expect_ok(&m, L4_LA4K, GWALK_WRITE, 0x123456789123ULL);
	/* and only with CR4.PKE */
	set64(0x13000 + 5 * 8, 0x123456789000ULL | URW | key5);
	m.cr4 &= ~CR4_PKE;
	expect_ok(&m, L4_LA4K, GWALK_USER | GWALK_WRITE, 0x123456789123ULL);
}

/* ---- accessed / dirty ------------------------------------------------------------- */

static void test_accessed_dirty(void **state)
{
	struct gwalk_mode m = mode_4l(0x10000, true);
	struct gwalk_result r;

	build_4l();
	/* NO_AD: nothing written, flags report the entry as it is */
	assert_int_equal(gwalk(&ops, &m, L4_LA4K, GWALK_WRITE | GWALK_NO_AD, &r), 0);
	assert_int_equal(nwrites, 0);
	assert_int_equal(r.flags & (PTE_A | PTE_D), 0);
	/* a faulting access sets nothing */
	set64(0x13000 + 5 * 8, 0x123456789000ULL | P | US);
	expect_pf(&m, L4_LA4K, GWALK_WRITE | GWALK_USER, PFEC_P | PFEC_W | PFEC_U);
	assert_int_equal(get64(0x10000 + 256 * 8) & PTE_A, 0);
	/* read: A everywhere, D nowhere */
	set64(0x13000 + 5 * 8, 0x123456789000ULL | URW);
	assert_int_equal(gwalk(&ops, &m, L4_LA4K, 0, &r), 0);
	assert_int_equal(nwrites, 4);
	assert_int_equal(r.flags & (PTE_A | PTE_D), PTE_A);
	for (u64 a = 0x10000; a < 0x14000; a += 0x1000)
		for (unsigned i = 0; i < 512; i++)
			assert_int_equal(get64(a + i * 8) & PTE_D, 0);
	/* already accessed: a second read writes nothing */
	assert_int_equal(gwalk(&ops, &m, L4_LA4K, 0, &r), 0);
	assert_int_equal(nwrites, 4);
	/* write: D in the leaf only, one write */
	assert_int_equal(gwalk(&ops, &m, L4_LA4K, GWALK_WRITE, &r), 0);
	assert_int_equal(nwrites, 5);
	assert_int_equal(r.flags & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(get64(0x12000 + 5 * 8), 0x13000 | URW | PTE_A);
	assert_int_equal(get64(0x13000 + 5 * 8), 0x123456789000ULL | URW | PTE_A | PTE_D);
	/* D on a large page's PDE; a fetch never sets D */
	assert_int_equal(gwalk(&ops, &m, L4_LA2M, GWALK_FETCH | GWALK_WRITE, &r), 0);
	assert_int_equal(get64(0x12000 + 6 * 8) & (PTE_A | PTE_D), PTE_A);
	assert_int_equal(gwalk(&ops, &m, L4_LA2M, GWALK_WRITE, &r), 0);
	assert_int_equal(get64(0x12000 + 6 * 8) & (PTE_A | PTE_D), PTE_A | PTE_D);
	/* no write callback: no update, no failure */
	struct gwalk_ops ro = { .read_gpa = g_read };
	set64(0x11000 + 4 * 8, 0x2c0000000ULL | URW | PS);
	assert_int_equal(gwalk(&ro, &m, L4_LA1G, GWALK_WRITE, &r), 0);
	assert_int_equal(get64(0x11000 + 4 * 8), 0x2c0000000ULL | URW | PS);
}

/* a self-referencing PML4 slot: the same entry is used at two levels and
 * both updates land in it */
static void test_recursive_entry(void **state)
{
	struct gwalk_mode m = mode_4l(0x10000, true);
	struct gwalk_result r;
	/* PML4[5] -> PML4 itself; PML4[5] again -> PML4 as PD ... */
	u64 la = (5ULL << 39) | (5ULL << 30) | (5ULL << 21) | (7ULL << 12);

	set64(0x10000 + 5 * 8, 0x10000 | URW);
	set64(0x10000 + 7 * 8, 0x55000 | URW);
	assert_int_equal(gwalk(&ops, &m, la, GWALK_WRITE, &r), 0);
	/* the walk ends at PML4[7] used as a PTE: it maps 0x55000 */
	assert_int_equal(r.gpa, 0x55000);
	assert_int_equal(get64(0x10000 + 5 * 8), 0x10000 | URW | PTE_A);
	assert_int_equal(get64(0x10000 + 7 * 8), 0x55000 | URW | PTE_A | PTE_D);
}

static void test_access_from_pfec(void **state)
{
	assert_int_equal(gwalk_access_from_pfec(PFEC_P | PFEC_W | PFEC_U, 3, false),
			 GWALK_WRITE | GWALK_USER);
	assert_int_equal(gwalk_access_from_pfec(PFEC_W, 0, true), GWALK_WRITE | GWALK_AC);
	assert_int_equal(gwalk_access_from_pfec(PFEC_ID | PFEC_U, 3, false),
			 GWALK_FETCH | GWALK_USER);
	assert_int_equal(gwalk_access_from_pfec(0, 3, false), GWALK_IMPLICIT);
	assert_int_equal(gwalk_access_from_pfec(PFEC_P, 0, false), 0);
}

static void test_bad_mode(void **state)
{
	struct gwalk_mode m = mode_4l(0x10000, true);
	struct gwalk_result r;
	u64 pd[4];

	m.maxphyaddr = 53;
	assert_int_equal(gwalk(&ops, &m, 0, 0, &r), -EINVAL);
	m.maxphyaddr = 31;
	assert_int_equal(gwalk(&ops, &m, 0, 0, &r), -EINVAL);
	assert_int_equal(gwalk_load_pdptes(&ops, 0x1000, 60, pd), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paging_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_4k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_4m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pae, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_4level_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_5level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protection_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accessed_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recursive_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_from_pfec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_mode, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
