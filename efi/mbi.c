/* The multiboot2 information uhv.efi hands to uhv: the tags GRUB's multiboot2
 * loader gives under UEFI (GRUB 2.06 grub-core/loader/multiboot_mbi2.c), built
 * from facts the EFI glue collected. Pure: it writes into a buffer, so the
 * host tests parse the result with uhv's own parser (boot/mb2.c). */
#include "loader.h"
#include <uhv/mb2.h>
/* GNU-EFI for EFI_MEMORY_DESCRIPTOR and the EFI memory types. */
#include <efi.h>

#define TAG_HDR		8
#define MMAP_ENTRY	24	/* u64 base, u64 len, u32 type, u32 zero */
#define FB_COMMON	32	/* the framebuffer tag up to its color info */
#define FB_TYPE_RGB	1
#define RSDP_V1_LEN	20
#define E820_CODE	20	/* GRUB_MEMORY_CODE: runtime services code */

struct wr {
	u8 *buf;
	size_t cap, off;
	bool full;
};

static void put(struct wr *w, const void *p, size_t n)
{
	if (w->off + n > w->cap) {
		w->full = true;
		return;
	}
	if (p)
		__builtin_memcpy(w->buf + w->off, p, n);
	else
		__builtin_memset(w->buf + w->off, 0, n);
	w->off += n;
}

static void put32(struct wr *w, u32 v) { put(w, &v, 4); }
static void put64(struct wr *w, u64 v) { put(w, &v, 8); }
static void put8(struct wr *w, u8 v) { put(w, &v, 1); }

static size_t slen(const char *s)
{
	size_t n = 0;
	while (s && s[n])
		n++;
	return n;
}

/* Start a tag; end_tag() writes its size and pads to 8 bytes. */
static size_t begin_tag(struct wr *w, u32 type)
{
	size_t at = w->off;
	put32(w, type);
	put32(w, 0);
	return at;
}

static void end_tag(struct wr *w, size_t at)
{
	if (w->full)
		return;
	u32 size = (u32)(w->off - at);
	__builtin_memcpy(w->buf + at + 4, &size, 4);
	while (w->off % 8 && !w->full)
		put8(w, 0);
}

static void string_tag(struct wr *w, u32 type, const char *s)
{
	size_t at = begin_tag(w, type);
	put(w, s ? s : "", slen(s) + 1);
	end_tag(w, at);
}

static u32 e820_type(u32 efi_type)
{
	switch (efi_type) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiConventionalMemory:
		return MB2_MEM_AVAILABLE;
	case EfiRuntimeServicesCode:
		return E820_CODE;
	case EfiUnusableMemory:
		return MB2_MEM_BAD;
	case EfiACPIReclaimMemory:
		return MB2_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS:
		return MB2_MEM_NVS;
	default:	/* reserved, runtime data, MMIO, port space, PAL code, persistent */
		return MB2_MEM_RESERVED;
	}
}

u32 mbi_e820_from_efi(const u8 *map, size_t size, u32 desc_size, struct mbi_e820 *out, u32 cap)
{
	u32 n = 0;

	if (desc_size < sizeof(EFI_MEMORY_DESCRIPTOR))
		return 0;
	for (size_t off = 0; off + desc_size <= size && n < cap; off += desc_size) {
		EFI_MEMORY_DESCRIPTOR d;
		__builtin_memcpy(&d, map + off, sizeof(d));
		if (d.NumberOfPages == 0)
			continue;
		struct mbi_e820 e = { d.PhysicalStart, d.NumberOfPages << EFI_PAGE_SHIFT,
				      e820_type(d.Type), 0 };
		u32 j = n++;	/* insertion sort by base */
		for (; j > 0 && out[j - 1].base > e.base; j--)
			out[j] = out[j - 1];
		out[j] = e;
	}
	u32 k = 0;
	for (u32 i = 0; i < n; i++) {
		struct mbi_e820 e = out[i];
		if (k > 0) {
			struct mbi_e820 *p = &out[k - 1];
			u64 pend = p->base + p->len;
			if (e.base < pend) {	/* overlap: the earlier range keeps it */
				if (e.base + e.len <= pend)
					continue;
				e.len -= pend - e.base;
				e.base = pend;
			}
			if (e.base == pend && e.type == p->type) {
				p->len += e.len;
				continue;
			}
		}
		out[k++] = e;
	}
	return k;
}

/* GRUB's mem_lower / mem_upper, in KiB: the available range at address 0 (at
 * most 1 MiB of it) and what of the available range holding 1 MiB lies above it. */
static void basic_meminfo(const struct mbi_e820 *e, u32 n, u32 *lower, u32 *upper)
{
	u64 lo = 0, up = 0;
	for (u32 i = 0; i < n; i++) {
		if (e[i].type != MB2_MEM_AVAILABLE)
			continue;
		if (e[i].base == 0)
			lo = MIN(e[i].len, MiB(1));
		if (e[i].base <= MiB(1) && e[i].base + e[i].len > MiB(1))
			up = e[i].base + e[i].len - MiB(1);
	}
	*lower = (u32)(lo / 1024);
	*upper = (u32)MIN(up / 1024, 0xffffffffULL);
}

static void mmap_tags(struct wr *w, const struct mbi_input *in)
{
	u32 cap = in->efi_desc_size ? (u32)(in->efi_mmap_size / in->efi_desc_size) : 0;
	/* the e820 entries go straight into the tag: same size as a struct mbi_e820 */
	size_t at_mem = begin_tag(w, MB2_TAG_BASIC_MEMINFO);
	put64(w, 0);
	end_tag(w, at_mem);
	size_t at = begin_tag(w, MB2_TAG_MMAP);
	put32(w, MMAP_ENTRY);
	put32(w, 0);
	size_t first = w->off;
	put(w, NULL, (size_t)cap * MMAP_ENTRY);
	if (w->full)
		return;
	u32 n = mbi_e820_from_efi(in->efi_mmap, in->efi_mmap_size, in->efi_desc_size,
				  (struct mbi_e820 *)(w->buf + first), cap);
	w->off = first + (size_t)n * MMAP_ENTRY;
	end_tag(w, at);
	u32 lower, upper;
	basic_meminfo((const struct mbi_e820 *)(w->buf + first), n, &lower, &upper);
	__builtin_memcpy(w->buf + at_mem + 8, &lower, 4);
	__builtin_memcpy(w->buf + at_mem + 12, &upper, 4);
}

static void fb_tag(struct wr *w, const struct mbi_fb *fb)
{
	size_t at = begin_tag(w, MB2_TAG_FRAMEBUFFER);
	put64(w, fb->addr);
	put32(w, fb->pitch);
	put32(w, fb->width);
	put32(w, fb->height);
	put8(w, fb->bpp);
	put8(w, FB_TYPE_RGB);
	put(w, NULL, 2);	/* reserved (u16 in GRUB's struct) */
	u8 ci[6] = { fb->red_pos, fb->red_size, fb->green_pos, fb->green_size, fb->blue_pos,
		     fb->blue_size };
	put(w, ci, sizeof(ci));
	end_tag(w, at);
}

static void blob_tag(struct wr *w, u32 type, const void *p, size_t n)
{
	size_t at = begin_tag(w, type);
	put(w, p, n);
	end_tag(w, at);
}

size_t mbi_size_bound(const struct mbi_input *in)
{
	size_t n = 8 + 16 + 16 + 16 + slen(in->cmdline) + slen(in->loader_name) + 32;
	for (u32 i = 0; i < in->nr_modules; i++)
		n += 16 + slen(in->modules[i].string) + 1 + 8;
	u32 descs = in->efi_desc_size ? (u32)(in->efi_mmap_size / in->efi_desc_size) : 0;
	n += 16 + 16 + (size_t)descs * MMAP_ENTRY;		/* basic meminfo, mmap */
	n += 16 + in->efi_mmap_size + 8;			/* EFI mmap */
	n += FB_COMMON + 8 + 16;				/* framebuffer */
	n += 16 + 16 + RSDP_V1_LEN + in->rsdp_v2_len + 16;	/* EFI64, RSDPs */
	return n + 8;						/* end */
}

size_t mbi_build(const struct mbi_input *in, u8 *buf, size_t cap)
{
	struct wr w = { buf, cap, 0, false };

	put32(&w, 0);	/* total_size, below */
	put32(&w, 0);	/* reserved */
	if (in->load_base_valid) {
		size_t at = begin_tag(&w, MB2_TAG_LOAD_BASE_ADDR);
		put32(&w, in->load_base);
		end_tag(&w, at);
	}
	string_tag(&w, MB2_TAG_CMDLINE, in->cmdline);
	string_tag(&w, MB2_TAG_LOADER_NAME, in->loader_name);
	for (u32 i = 0; i < in->nr_modules; i++) {
		const struct mbi_module *m = &in->modules[i];
		size_t at = begin_tag(&w, MB2_TAG_MODULE);
		put32(&w, m->start);
		put32(&w, m->end);
		put(&w, m->string ? m->string : "", slen(m->string) + 1);
		end_tag(&w, at);
	}
	mmap_tags(&w, in);
	if (in->fb)
		fb_tag(&w, in->fb);
	size_t at = begin_tag(&w, MB2_TAG_EFI64);
	put64(&w, in->efi_systab);
	end_tag(&w, at);
	if (in->rsdp_v1)
		blob_tag(&w, MB2_TAG_ACPI_OLD, in->rsdp_v1, RSDP_V1_LEN);
	if (in->rsdp_v2)
		blob_tag(&w, MB2_TAG_ACPI_NEW, in->rsdp_v2, in->rsdp_v2_len);
	at = begin_tag(&w, MB2_TAG_EFI_MMAP);
	put32(&w, in->efi_desc_size);
	put32(&w, in->efi_desc_version);
	put(&w, in->efi_mmap, in->efi_mmap_size);
	end_tag(&w, at);
	at = begin_tag(&w, MB2_TAG_END);
	end_tag(&w, at);
	if (w.full)
		return 0;
	u32 total = (u32)w.off;
	__builtin_memcpy(buf, &total, 4);
	return w.off;
}
