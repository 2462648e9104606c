/* Multiboot v1 and multiboot2, boot loader side: finding and checking the
 * header in a kernel image, and building the boot information for it.
 * Pure: works on the file bytes and on a caller's buffer. Field layouts
 * follow the Multiboot 0.6.96 and Multiboot2 1.0 specifications. */
#define LOG_MODULE "loader"
#include <uhv/multiboot.h>
#include <uhv/mb2.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/unaligned.h>

/* ---- headers --------------------------------------------------------------------------------- */

/* Information tags uhv puts into a multiboot2 information structure. */
#define MB2_PROVIDED (BIT(MB2_TAG_END) | BIT(MB2_TAG_CMDLINE) | BIT(MB2_TAG_LOADER_NAME) |      \
		      BIT(MB2_TAG_MODULE) | BIT(MB2_TAG_BASIC_MEMINFO) | BIT(MB2_TAG_MMAP) |      \
		      BIT(MB2_TAG_ACPI_OLD) | BIT(MB2_TAG_ACPI_NEW))

static int mb2_header_tags(const u8 *file, const struct mb_header *h, u32 hlen,
			   struct mb_header *out)
{
	u64 off = h->offset + sizeof(struct mb2_header);
	u64 end = h->offset + hlen;

	while (off < end) {
		u16 type, flags;
		u32 tsize;
		bool optional;

		if (end - off < sizeof(struct mb2_header_tag)) {
			pr_err("guest kernel: multiboot2 header tag at file offset 0x%llx is cut "
			       "off by header_length %u\n", off, hlen);
			return -EINVAL;
		}
		type = get_le16(file + off);
		flags = get_le16(file + off + 2);
		tsize = get_le32(file + off + 4);
		optional = flags & MB2H_TAG_OPTIONAL;
		if (tsize < sizeof(struct mb2_header_tag) || tsize > end - off) {
			pr_err("guest kernel: multiboot2 header tag type %u at file offset 0x%llx "
			       "has size %u, outside the header (header_length %u)\n", type,
			       off, tsize, hlen);
			return -EINVAL;
		}
		const u8 *p = file + off + 8;
		u32 plen = tsize - 8;

		switch (type) {
		case MB2H_TAG_END:
			return 0;
		case MB2H_TAG_INFO_REQ:
			for (u32 i = 0; i + 4 <= plen; i += 4) {
				u32 t = get_le32(p + i);

				if (t < 32) {
					out->requests |= 1U << t;
					if (!optional)
						out->required |= 1U << t;
				}
				if (!optional && (t >= 32 || !(MB2_PROVIDED & (1U << t))))
					pr_warn("guest kernel: the multiboot2 header requires "
						"information tag %u (%s), which uhv does not "
						"provide; booting without it\n",
						t, mb2_tag_name(t));
			}
			break;
		case MB2H_TAG_ADDRESS:
			if (plen < 16)
				goto short_tag;
			out->has_addr = true;
			out->header_addr = get_le32(p);
			out->load_addr = get_le32(p + 4);
			out->load_end_addr = get_le32(p + 8);
			out->bss_end_addr = get_le32(p + 12);
			break;
		case MB2H_TAG_ENTRY:
			if (plen < 4)
				goto short_tag;
			out->has_entry = true;
			out->entry_addr = get_le32(p);
			break;
		case MB2H_TAG_CONSOLE:
			if (!optional && plen >= 4 && (get_le32(p) & 1))
				pr_warn("guest kernel: the multiboot2 header requires a console; "
					"uhv describes none (use the serial port or "
					"UHV_HC_CONSOLE_WRITE)\n");
			break;
		case MB2H_TAG_FRAMEBUFFER:
			if (!optional)
				pr_warn("guest kernel: the multiboot2 header requires a "
					"framebuffer; uhv sets up no video mode\n");
			break;
		case MB2H_TAG_EFI_BS:
			pr_warn("guest kernel: the multiboot2 header asks to keep EFI boot "
				"services; a uhv guest has no EFI, it is started through its i386 "
				"entry\n");
			break;
		case MB2H_TAG_MODULE_ALIGN:	/* modules are always page-aligned */
		case MB2H_TAG_ENTRY_EFI32:	/* no EFI: the i386 entry, as GRUB on BIOS */
		case MB2H_TAG_ENTRY_EFI64:
		case MB2H_TAG_RELOCATABLE:	/* loaded at its link address, which it accepts */
			break;
		default:
			if (!optional) {
				pr_err("guest kernel: the multiboot2 header has tag type %u, "
				       "unknown to uhv and not marked optional, so the kernel "
				       "cannot be booted\n",
				       type);
				return -EINVAL;
			}
			break;
		}
		off += ALIGN_UP((u64)tsize, 8);
	}
	pr_err("guest kernel: multiboot2 header has no end tag within its header_length %u\n",
	       hlen);
	return -EINVAL;

short_tag:
	pr_err("guest kernel: multiboot2 header tag type %u at file offset 0x%llx is too short (%u "
	       "bytes)\n", get_le16(file + off), off, get_le32(file + off + 4));
	return -EINVAL;
}

int multiboot2_header_find(const void *file, u64 size, struct mb_header *out)
{
	const u8 *b = file;
	u64 limit = MIN(size, (u64)MB2_SEARCH);

	for (u64 off = 0; off + sizeof(struct mb2_header) <= limit; off += 8) {
		struct mb2_header h;

		if (get_le32(b + off) != MB2_HEADER_MAGIC)
			continue;
		memcpy(&h, b + off, sizeof(h));
		if ((u32)(h.magic + h.architecture + h.header_length + h.checksum) != 0) {
			pr_debug("guest kernel: multiboot2 magic at file offset 0x%llx with a bad "
				 "checksum, skipped\n", off);
			continue;
		}
		memset(out, 0, sizeof(*out));
		out->version = 2;
		out->offset = off;
		if (h.architecture != MB2_ARCH_I386) {
			pr_err("guest kernel: multiboot2 header architecture %u is not i386 (0); "
			       "uhv starts guests in 32-bit protected mode\n", h.architecture);
			return -EINVAL;
		}
		if (h.header_length < sizeof(h) + sizeof(struct mb2_header_tag) ||
		    h.header_length > size - off) {
			pr_err("guest kernel: multiboot2 header at file offset 0x%llx has "
			       "header_length %u, which does not fit the file (%llu bytes)\n",
			       off, h.header_length, size);
			return -EINVAL;
		}
		return mb2_header_tags(b, out, h.header_length, out);
	}
	return -ENOENT;
}

int multiboot1_header_find(const void *file, u64 size, struct mb_header *out)
{
	const u8 *b = file;
	u64 limit = MIN(size, (u64)MB1_SEARCH);

	for (u64 off = 0; off + 12 <= limit; off += 4) {
		u32 magic = get_le32(b + off), flags, sum;

		if (magic != MB1_HEADER_MAGIC)
			continue;
		flags = get_le32(b + off + 4);
		sum = get_le32(b + off + 8);
		if ((u32)(magic + flags + sum) != 0) {
			pr_debug("guest kernel: multiboot magic at file offset 0x%llx with a bad "
				 "checksum, skipped\n", off);
			continue;
		}
		memset(out, 0, sizeof(*out));
		out->version = 1;
		out->offset = off;
		out->flags = flags;
		if (flags & 0xfff8) {
			pr_err("guest kernel: multiboot header flags 0x%x require features (bits "
			       "0x%x) that uhv does not know, so the kernel cannot be booted\n",
			       flags, flags & 0xfff8);
			return -EINVAL;
		}
		if (flags & MB1_HF_VIDEO)
			pr_warn("guest kernel: the multiboot header asks for a video mode; uhv "
				"sets up none\n");
		if (flags & MB1_HF_AOUT_KLUDGE) {
			if (size - off < 32) {
				pr_err("guest kernel: multiboot header at file offset 0x%llx has "
				       "the a.out kludge flag (bit 16) but its address fields are "
				       "past the end of the file\n", off);
				return -EINVAL;
			}
			out->has_addr = true;
			out->header_addr = get_le32(b + off + 12);
			out->load_addr = get_le32(b + off + 16);
			out->load_end_addr = get_le32(b + off + 20);
			out->bss_end_addr = get_le32(b + off + 24);
			out->has_entry = true;
			out->entry_addr = get_le32(b + off + 28);
		}
		return 0;
	}
	return -ENOENT;
}

int multiboot_raw_segment(const struct mb_header *h, u64 file_size, struct elf_segment *seg)
{
	const char *what = h->version == 2 ? "multiboot2 address tag" : "multiboot a.out kludge";
	u64 file_off, load = h->load_addr;

	memset(seg, 0, sizeof(*seg));
	if (h->version == 2 && h->load_addr == 0xffffffff) {
		/* -1: the file is loaded from its beginning */
		if (h->header_addr < h->offset) {
			pr_err("guest kernel: %s: header_addr 0x%x is below the header's file "
			       "offset 0x%llx, so the file start would be below 0\n",
			       what, h->header_addr, h->offset);
			return -EINVAL;
		}
		file_off = 0;
		load = h->header_addr - h->offset;
	} else {
		if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > h->offset) {
			pr_err("guest kernel: %s: load_addr 0x%x and header_addr 0x%x do not match "
			       "the header's file offset 0x%llx (need load_addr <= header_addr and "
			       "header_addr - load_addr <= offset)\n", what, h->load_addr,
			       h->header_addr, h->offset);
			return -EINVAL;
		}
		file_off = h->offset - (h->header_addr - h->load_addr);
	}
	seg->offset = file_off;
	if (h->load_end_addr == 0) {
		seg->filesz = file_size - file_off;
	} else {
		if (h->load_end_addr < load || h->load_end_addr - load > file_size - file_off) {
			pr_err("guest kernel: %s: load_end_addr 0x%x is below load_addr 0x%llx or "
			       "past the end of the file (%llu bytes from file offset 0x%llx)\n",
			       what, h->load_end_addr, load,
			       (file_size - file_off),
			       file_off);
			return -EINVAL;
		}
		seg->filesz = h->load_end_addr - load;
	}
	if (h->bss_end_addr == 0) {
		seg->memsz = seg->filesz;
	} else {
		if (h->bss_end_addr < load + seg->filesz) {
			pr_err("guest kernel: %s: bss_end_addr 0x%x is below the end of the loaded "
			       "data 0x%llx\n", what, h->bss_end_addr,
			       (load + seg->filesz));
			return -EINVAL;
		}
		seg->memsz = h->bss_end_addr - load;
	}
	if (seg->memsz == 0) {
		pr_err("guest kernel: %s: nothing to load (empty range at 0x%llx)\n", what,
		       load);
		return -EINVAL;
	}
	seg->paddr = seg->vaddr = load;
	seg->flags = PF_R | PF_W | PF_X;
	return 0;
}

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
