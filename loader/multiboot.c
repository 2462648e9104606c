/* Multiboot v1 and multiboot2, boot loader side: finding and checking the
 * header in a kernel image (the boot information is built in multiboot_info.c).
 * Pure: works on the file bytes only. Field layouts follow the Multiboot 0.6.96
 * and Multiboot2 1.0 specifications. */
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

/* A header tag as found in the file; payload p of plen bytes follows its 8-byte head. */
struct htag {
	u64 off;		/* file offset, for messages */
	u16 type;
	bool optional;
	u32 size;
	const u8 *p;
	u32 plen;
};

static int tag_too_short(const struct htag *t)
{
	pr_err("guest kernel: multiboot2 header tag type %u at file offset 0x%llx is too short (%u "
	       "bytes)\n", t->type, t->off, t->size);
	return -EINVAL;
}

/* The information request tag: which tags the kernel asks for, and which it requires. */
static void info_requests(const struct htag *t, struct mb_header *out)
{
	for (u32 i = 0; i + 4 <= t->plen; i += 4) {
		u32 v = get_le32(t->p + i);

		if (v < 32) {
			out->requests |= 1U << v;
			if (!t->optional)
				out->required |= 1U << v;
		}
		if (!t->optional && (v >= 32 || !(MB2_PROVIDED & (1U << v))))
			pr_warn("guest kernel: the multiboot2 header requires information tag %u "
				"(%s), which uhv does not provide; booting without it\n",
				v, mb2_tag_name(v));
	}
}

/* Tags that ask for what uhv does not give: a warning, or an error if unknown. */
static int unusual_tag(const struct htag *t)
{
	switch (t->type) {
	case MB2H_TAG_CONSOLE:
		if (!t->optional && t->plen >= 4 && (get_le32(t->p) & 1))
			pr_warn("guest kernel: the multiboot2 header requires a console; uhv "
				"describes none (use the serial port or UHV_HC_CONSOLE_WRITE)\n");
		return 0;
	case MB2H_TAG_FRAMEBUFFER:
		if (!t->optional)
			pr_warn("guest kernel: the multiboot2 header requires a framebuffer; uhv "
				"sets up no video mode\n");
		return 0;
	case MB2H_TAG_EFI_BS:
		pr_warn("guest kernel: the multiboot2 header asks to keep EFI boot services; a "
			"uhv guest has no EFI, it is started through its i386 entry\n");
		return 0;
	case MB2H_TAG_MODULE_ALIGN:	/* modules are always page-aligned */
	case MB2H_TAG_ENTRY_EFI32:	/* no EFI: the i386 entry, as GRUB on BIOS */
	case MB2H_TAG_ENTRY_EFI64:
	case MB2H_TAG_RELOCATABLE:	/* loaded at its link address, which it accepts */
		return 0;
	default:
		if (!t->optional) {
			pr_err("guest kernel: the multiboot2 header has tag type %u, unknown to "
			       "uhv and not marked optional, so the kernel cannot be booted\n",
			       t->type);
			return -EINVAL;
		}
		return 0;
	}
}

/* One tag into out: 1 at the end tag, 0 to go on, or -EINVAL. */
static int header_tag(const struct htag *t, struct mb_header *out)
{
	switch (t->type) {
	case MB2H_TAG_END:
		return 1;
	case MB2H_TAG_INFO_REQ:
		info_requests(t, out);
		return 0;
	case MB2H_TAG_ADDRESS:
		if (t->plen < 16)
			return tag_too_short(t);
		out->has_addr = true;
		out->header_addr = get_le32(t->p);
		out->load_addr = get_le32(t->p + 4);
		out->load_end_addr = get_le32(t->p + 8);
		out->bss_end_addr = get_le32(t->p + 12);
		return 0;
	case MB2H_TAG_ENTRY:
		if (t->plen < 4)
			return tag_too_short(t);
		out->has_entry = true;
		out->entry_addr = get_le32(t->p);
		return 0;
	default:
		return unusual_tag(t);
	}
}

static int mb2_header_tags(const u8 *file, const struct mb_header *h, u32 hlen,
			   struct mb_header *out)
{
	u64 off = h->offset + sizeof(struct mb2_header);
	u64 end = h->offset + hlen;

	while (off < end) {
		struct htag t = { .off = off };
		int ret;

		if (end - off < sizeof(struct mb2_header_tag)) {
			pr_err("guest kernel: multiboot2 header tag at file offset 0x%llx is cut "
			       "off by header_length %u\n", off, hlen);
			return -EINVAL;
		}
		t.type = get_le16(file + off);
		t.optional = get_le16(file + off + 2) & MB2H_TAG_OPTIONAL;
		t.size = get_le32(file + off + 4);
		if (t.size < sizeof(struct mb2_header_tag) || t.size > end - off) {
			pr_err("guest kernel: multiboot2 header tag type %u at file offset 0x%llx "
			       "has size %u, outside the header (header_length %u)\n", t.type,
			       off, t.size, hlen);
			return -EINVAL;
		}
		t.p = file + off + 8;
		t.plen = t.size - 8;
		ret = header_tag(&t, out);
		if (ret)
			return ret > 0 ? 0 : ret;
		off += ALIGN_UP((u64)t.size, 8);
	}
	pr_err("guest kernel: multiboot2 header has no end tag within its header_length %u\n",
	       hlen);
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
