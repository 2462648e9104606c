/* Multiboot v1 and multiboot2 boot information, boot loader side: the structure
 * a guest kernel finds in EBX, built into a caller's buffer (or only measured).
 * Apart from the header parsing in multiboot.c because it depends on the guest's
 * memory map, not on the kernel file. Field layouts follow the Multiboot 0.6.96
 * and Multiboot2 1.0 specifications. */
#include <uhv/multiboot.h>
#include <uhv/mb2.h>
#include <uhv/errno.h>
#include <uhv/string.h>

/* ---- memory sizes ---------------------------------------------------------------------------- */

/* Bytes of RAM contiguous from gpa, across adjacent RAM regions. */
static u64 ram_from(const struct guest *g, u64 gpa)
{
	u64 at = gpa;

	for (unsigned i = 0; i < g->nr_mem; i++) {
		const struct guest_region *r = &g->mem[i];

		if (r->gpa + r->size <= at)
			continue;
		if (r->gpa > at || r->type != GUEST_MEM_RAM)
			break;
		at = r->gpa + r->size;
	}
	return at - gpa;
}

void multiboot_mem_sizes(const struct guest *g, u32 *lower_kib, u32 *upper_kib)
{
	u64 lower = MIN(ram_from(g, 0), KiB(640));
	u64 upper = ram_from(g, MiB(1)) >> 10;

	*lower_kib = lower >> 10;
	*upper_kib = upper > 0xffffffffULL ? 0xffffffffU : (u32)upper;
}

/* ---- building the information ---------------------------------------------------------------- */

/* Writes into buf when there is one and room is left; always counts. */
struct wbuf {
	u8 *buf;
	size_t cap;
	size_t off;
};

static void put(struct wbuf *w, size_t at, const void *src, size_t len)
{
	if (w->buf && at <= w->cap && len <= w->cap - at)
		memcpy(w->buf + at, src, len);
}

static void put32(struct wbuf *w, size_t at, u32 v)
{
	put(w, at, &v, sizeof(v));
}

static void emit(struct wbuf *w, const void *src, size_t len)
{
	put(w, w->off, src, len);
	w->off += len;
}

static void emit32(struct wbuf *w, u32 v)
{
	emit(w, &v, sizeof(v));
}

static void emit64(struct wbuf *w, u64 v)
{
	emit(w, &v, sizeof(v));
}

static void emit_str(struct wbuf *w, const char *s)
{
	emit(w, s ? s : "", (s ? strlen(s) : 0) + 1);
}

static void pad8(struct wbuf *w)
{
	static const u8 zero[8];

	emit(w, zero, ALIGN_UP(w->off, 8) - w->off);
}

/* Start a tag; returns its offset for end_tag(). */
static size_t begin_tag(struct wbuf *w, u32 type)
{
	size_t at = w->off;

	emit32(w, type);
	emit32(w, 0);		/* size, patched by end_tag */
	return at;
}

static void end_tag(struct wbuf *w, size_t at)
{
	put32(w, at + 4, (u32)(w->off - at));
	pad8(w);
}

static int finish(struct wbuf *w)
{
	if (w->buf && w->off > w->cap)
		return -ENOSPC;
	return (int)w->off;
}

int multiboot2_info_build(void *buf, size_t cap, u32 base, const struct mb_boot_info *bi)
{
	struct wbuf w = { .buf = buf, .cap = cap };
	const struct guest *g = bi->g;
	u32 lower, upper;
	size_t t;

	(void)base;	/* everything in the structure is self-contained or module addresses */
	emit32(&w, 0);	/* total_size, patched below */
	emit32(&w, 0);
	if (bi->cmdline) {
		t = begin_tag(&w, MB2_TAG_CMDLINE);
		emit_str(&w, bi->cmdline);
		end_tag(&w, t);
	}
	if (bi->loader_name) {
		t = begin_tag(&w, MB2_TAG_LOADER_NAME);
		emit_str(&w, bi->loader_name);
		end_tag(&w, t);
	}
	for (unsigned i = 0; i < bi->nr_mods; i++) {
		t = begin_tag(&w, MB2_TAG_MODULE);
		emit32(&w, bi->mods[i].start);
		emit32(&w, bi->mods[i].end);
		emit_str(&w, bi->mods[i].string);
		end_tag(&w, t);
	}
	multiboot_mem_sizes(g, &lower, &upper);
	t = begin_tag(&w, MB2_TAG_BASIC_MEMINFO);
	emit32(&w, lower);
	emit32(&w, upper);
	end_tag(&w, t);

	t = begin_tag(&w, MB2_TAG_MMAP);
	emit32(&w, sizeof(struct mb2_mmap_entry));
	emit32(&w, 0);
	for (unsigned i = 0; i < g->nr_mem; i++) {
		emit64(&w, g->mem[i].gpa);
		emit64(&w, g->mem[i].size);
		emit32(&w, g->mem[i].type);
		emit32(&w, 0);
	}
	end_tag(&w, t);

	if (bi->rsdp_v1 && bi->rsdp_v1_len) {
		t = begin_tag(&w, MB2_TAG_ACPI_OLD);
		emit(&w, bi->rsdp_v1, bi->rsdp_v1_len);
		end_tag(&w, t);
	}
	if (bi->rsdp_v2 && bi->rsdp_v2_len) {
		t = begin_tag(&w, MB2_TAG_ACPI_NEW);
		emit(&w, bi->rsdp_v2, bi->rsdp_v2_len);
		end_tag(&w, t);
	}
	t = begin_tag(&w, MB2_TAG_END);
	end_tag(&w, t);
	put32(&w, 0, (u32)w.off);
	return finish(&w);
}

int multiboot1_info_build(void *buf, size_t cap, u32 base, const struct mb_boot_info *bi)
{
	struct wbuf w = { .buf = buf, .cap = cap };
	const struct guest *g = bi->g;
	struct mb1_info info;
	size_t mods_at, mmap_at, str_at;

	memset(&info, 0, sizeof(info));
	/* layout: info | module list | memory map | strings */
	mods_at = ALIGN_UP(sizeof(info), 8);
	mmap_at = mods_at + (size_t)bi->nr_mods * sizeof(struct mb1_module);
	str_at = mmap_at + (size_t)g->nr_mem * sizeof(struct mb1_mmap_entry);

	info.flags = MB1_INFO_MEMORY | MB1_INFO_MODS | MB1_INFO_MEM_MAP;
	u32 lower, upper;

	multiboot_mem_sizes(g, &lower, &upper);
	info.mem_lower = lower;
	info.mem_upper = upper;
	info.mods_count = bi->nr_mods;
	info.mods_addr = base + (u32)mods_at;
	info.mmap_length = g->nr_mem * sizeof(struct mb1_mmap_entry);
	info.mmap_addr = base + (u32)mmap_at;

	w.off = str_at;
	if (bi->cmdline) {
		info.flags |= MB1_INFO_CMDLINE;
		info.cmdline = base + (u32)w.off;
		emit_str(&w, bi->cmdline);
	}
	if (bi->loader_name) {
		info.flags |= MB1_INFO_LOADER_NAME;
		info.boot_loader_name = base + (u32)w.off;
		emit_str(&w, bi->loader_name);
	}
	for (unsigned i = 0; i < bi->nr_mods; i++) {
		struct mb1_module m = {
			.mod_start = bi->mods[i].start,
			.mod_end = bi->mods[i].end,
			.string = base + (u32)w.off,
		};

		emit_str(&w, bi->mods[i].string);
		put(&w, mods_at + i * sizeof(m), &m, sizeof(m));
	}
	for (unsigned i = 0; i < g->nr_mem; i++) {
		struct mb1_mmap_entry e = {
			.size = sizeof(e) - sizeof(e.size),
			.base_addr = g->mem[i].gpa,
			.length = g->mem[i].size,
			.type = g->mem[i].type,
		};

		put(&w, mmap_at + i * sizeof(e), &e, sizeof(e));
	}
	put(&w, 0, &info, sizeof(info));
	pad8(&w);
	return finish(&w);
}
