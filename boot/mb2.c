/* Multiboot2 boot information parser. Pure: it only reads the structure it
 * is given, so the host unit tests feed it hand-built blobs. */
#define LOG_MODULE "mb2"
#include <uhv/mb2.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/format.h>
#include <uhv/unaligned.h>
/* GNU-EFI for EFI_MEMORY_DESCRIPTOR and the EFI_MEMORY_TYPE values. */
#include <efi.h>

#define BLAME "the boot loader or its configuration is at fault"

/* Every complaint about the structure names the byte offset into it. */
#define bad(off, fmt, ...) \
	pr_err("multiboot2 info +0x%x: " fmt "; " BLAME "\n", (u32)(off), ##__VA_ARGS__)

/* Offsets inside a tag. */
#define TAG_TYPE	0
#define TAG_SIZE	4
#define TAG_PAYLOAD	8

/* BIOS memory map entry: u64 base, u64 len, u32 type, u32 reserved. */
#define MMAP_ENTRY_MIN	24

#define RSDP_V1_LEN	20
#define RSDP_V2_LEN	36

/* Tags that may appear at most once; a second one is ignored with a warning. */
#define UNIQUE_TAGS							\
	(BIT(MB2_TAG_CMDLINE) | BIT(MB2_TAG_LOADER_NAME) |		\
	 BIT(MB2_TAG_BASIC_MEMINFO) | BIT(MB2_TAG_MMAP) |		\
	 BIT(MB2_TAG_EFI32) | BIT(MB2_TAG_EFI64) |			\
	 BIT(MB2_TAG_ACPI_OLD) | BIT(MB2_TAG_ACPI_NEW) |		\
	 BIT(MB2_TAG_EFI_MMAP) | BIT(MB2_TAG_EFI_BS) |			\
	 BIT(MB2_TAG_EFI32_IH) | BIT(MB2_TAG_EFI64_IH) |		\
	 BIT(MB2_TAG_LOAD_BASE_ADDR) | BIT(MB2_TAG_FRAMEBUFFER))

static const char *const tag_names[MB2_TAG_NR_KNOWN] = {
	[MB2_TAG_END] = "end",
	[MB2_TAG_CMDLINE] = "command line",
	[MB2_TAG_LOADER_NAME] = "boot loader name",
	[MB2_TAG_MODULE] = "module",
	[MB2_TAG_BASIC_MEMINFO] = "basic meminfo",
	[MB2_TAG_BOOTDEV] = "BIOS boot device",
	[MB2_TAG_MMAP] = "memory map",
	[MB2_TAG_VBE] = "VBE info",
	[MB2_TAG_FRAMEBUFFER] = "framebuffer info",
	[MB2_TAG_ELF_SECTIONS] = "ELF sections",
	[MB2_TAG_APM] = "APM table",
	[MB2_TAG_EFI32] = "EFI 32-bit system table",
	[MB2_TAG_EFI64] = "EFI 64-bit system table",
	[MB2_TAG_SMBIOS] = "SMBIOS tables",
	[MB2_TAG_ACPI_OLD] = "ACPI old RSDP",
	[MB2_TAG_ACPI_NEW] = "ACPI new RSDP",
	[MB2_TAG_NETWORK] = "networking info",
	[MB2_TAG_EFI_MMAP] = "EFI memory map",
	[MB2_TAG_EFI_BS] = "EFI boot services not terminated",
	[MB2_TAG_EFI32_IH] = "EFI 32-bit image handle",
	[MB2_TAG_EFI64_IH] = "EFI 64-bit image handle",
	[MB2_TAG_LOAD_BASE_ADDR] = "image load base address",
};

const char *mb2_tag_name(u32 type)
{
	return type < MB2_TAG_NR_KNOWN ? tag_names[type] : "unknown";
}

static bool nul_terminated(const u8 *s, u32 len)
{
	return len > 0 && strnlen((const char *)s, len) < len;
}

/* Is the tag at least min bytes long (header included)? */
static bool tag_min(u32 off, u32 type, u32 size, u32 min)
{
	if (size >= min)
		return true;
	bad(off, "tag %u (%s) is %u bytes, shorter than the %u bytes it must have", type,
	    mb2_tag_name(type), size, min);
	return false;
}

static int parse_string(u32 off, u32 type, const u8 *tag, u32 size, const char **dst)
{
	if (!tag_min(off, type, size, TAG_PAYLOAD + 1))
		return -EINVAL;
	if (!nul_terminated(tag + TAG_PAYLOAD, size - TAG_PAYLOAD)) {
		bad(off, "the string of tag %u (%s) is not NUL-terminated inside the tag's "
		    "%u bytes", type, mb2_tag_name(type), size);
		return -EINVAL;
	}
	*dst = (const char *)tag + TAG_PAYLOAD;
	return 0;
}

static int parse_module(u32 off, const u8 *tag, u32 size, struct mb2_info *mi)
{
	const u32 str = 16;	/* u32 mod_start, u32 mod_end, then the string */
	u32 n = mi->nr_modules;

	if (!tag_min(off, MB2_TAG_MODULE, size, str + 1))
		return -EINVAL;
	u32 start = get_le32(tag + 8), end = get_le32(tag + 12);
	if (!nul_terminated(tag + str, size - str)) {
		bad(off, "the string of module %u (0x%x-0x%x) is not NUL-terminated inside the tag",
		    n, start, end);
		return -EINVAL;
	}
	const char *s = (const char *)tag + str;
	if (end < start) {
		bad(off, "module %u '%s' ends (0x%x) before it starts (0x%x)", n, s, end, start);
		return -EINVAL;
	}
	if (end == start) {
		bad(off, "module %u '%s' is empty (mod_start = mod_end = 0x%x): check the module "
		    "file named on the module2 line", n, s, start);
		return -EINVAL;
	}
	if (n >= MB2_MAX_MODULES) {
		bad(off, "too many modules: uhv takes at most %u (module2 lines in grub.cfg)",
		    MB2_MAX_MODULES);
		return -E2BIG;
	}
	mi->modules[n] = (struct mb2_module){ .start = start, .end = end, .string = s };
	mi->nr_modules = n + 1;
	return 0;
}

static int parse_mmap(u32 off, const u8 *tag, u32 size, struct mb2_info *mi)
{
	if (!tag_min(off, MB2_TAG_MMAP, size, 16))
		return -EINVAL;
	u32 esize = get_le32(tag + 8), ever = get_le32(tag + 12);
	if (esize < MMAP_ENTRY_MIN) {
		bad(off, "memory map entry_size %u is smaller than an entry (%u bytes)", esize,
		    MMAP_ENTRY_MIN);
		return -EINVAL;
	}
	u32 bytes = size - 16;
	if (bytes % esize)
		pr_warn("multiboot2 info +0x%x: memory map has %u bytes after its last whole "
			"entry (entry_size %u); ignoring them\n", off, bytes % esize, esize);
	if (ever != 0)
		pr_debug("memory map entry_version %u (expected 0); read as version 0\n", ever);
	mi->mmap = tag + 16;
	mi->mmap_entry_size = esize;
	mi->mmap_entry_version = ever;
	mi->mmap_nr = bytes / esize;
	return 0;
}

static int parse_efi_mmap(u32 off, const u8 *tag, u32 size, struct mb2_info *mi)
{
	if (!tag_min(off, MB2_TAG_EFI_MMAP, size, 16))
		return -EINVAL;
	u32 dsize = get_le32(tag + 8), dver = get_le32(tag + 12);
	if (dsize < sizeof(EFI_MEMORY_DESCRIPTOR)) {
		bad(off, "EFI memory map descriptor_size %u is smaller than an EFI memory "
		    "descriptor (%zu bytes)", dsize, sizeof(EFI_MEMORY_DESCRIPTOR));
		return -EINVAL;
	}
	u32 bytes = size - 16;
	if (bytes % dsize)
		pr_warn("multiboot2 info +0x%x: EFI memory map has %u bytes after its last whole "
			"descriptor (descriptor_size %u); ignoring them\n", off, bytes % dsize,
			dsize);
	/* Later versions only append fields, and descriptor_size covers them. */
	if (dver != EFI_MEMORY_DESCRIPTOR_VERSION)
		pr_warn("multiboot2 info +0x%x: EFI memory descriptor version %u (expected %u); "
			"reading the version-%u fields only\n", off, dver,
			EFI_MEMORY_DESCRIPTOR_VERSION, EFI_MEMORY_DESCRIPTOR_VERSION);
	mi->efi_mmap = tag + 16;
	mi->efi_desc_size = dsize;
	mi->efi_desc_version = dver;
	mi->efi_mmap_nr = bytes / dsize;
	return 0;
}

/* Framebuffer tag: u64 addr, u32 pitch, width, height, u8 bpp, u8 type, u16 reserved, then
 * the colour info (RGB: six u8, position and size of red, green, blue). */
#define FB_TAG_MIN	32
#define FB_TAG_RGB_MIN	38

static int parse_framebuffer(u32 off, const u8 *tag, u32 size, struct mb2_info *mi)
{
	struct mb2_framebuffer *fb = &mi->fb;

	if (!tag_min(off, MB2_TAG_FRAMEBUFFER, size, FB_TAG_MIN))
		return -EINVAL;
	*fb = (struct mb2_framebuffer){
		.addr = get_le64(tag + 8), .pitch = get_le32(tag + 16),
		.width = get_le32(tag + 20), .height = get_le32(tag + 24),
		.bpp = tag[28], .type = tag[29],
	};
	if (fb->type == MB2_FB_RGB) {
		if (!tag_min(off, MB2_TAG_FRAMEBUFFER, size, FB_TAG_RGB_MIN))
			return -EINVAL;
		fb->red_pos = tag[32];
		fb->red_size = tag[33];
		fb->green_pos = tag[34];
		fb->green_size = tag[35];
		fb->blue_pos = tag[36];
		fb->blue_size = tag[37];
	}
	return 0;
}

/* Tags of fixed-size values (and tags uhv skips): copied into mi after a length check. */
static int parse_value(u32 off, u32 type, const u8 *tag, u32 size, struct mb2_info *mi)
{
	const u8 *pl = tag + TAG_PAYLOAD;
	u32 plen = size - TAG_PAYLOAD;

	switch (type) {
	case MB2_TAG_BASIC_MEMINFO:
		if (!tag_min(off, type, size, 16))
			return -EINVAL;
		mi->mem_lower_kib = get_le32(pl);
		mi->mem_upper_kib = get_le32(pl + 4);
		return 0;
	case MB2_TAG_EFI32:
		if (!tag_min(off, type, size, 12))
			return -EINVAL;
		mi->efi32_systab = get_le32(pl);
		return 0;
	case MB2_TAG_EFI64:
		if (!tag_min(off, type, size, 16))
			return -EINVAL;
		mi->efi64_systab = get_le64(pl);
		return 0;
	case MB2_TAG_ACPI_OLD:
		if (!tag_min(off, type, size, TAG_PAYLOAD + RSDP_V1_LEN))
			return -EINVAL;
		mi->rsdp_v1 = pl;
		mi->rsdp_v1_len = plen;
		return 0;
	case MB2_TAG_ACPI_NEW:
		if (!tag_min(off, type, size, TAG_PAYLOAD + RSDP_V2_LEN))
			return -EINVAL;
		mi->rsdp_v2 = pl;
		mi->rsdp_v2_len = plen;
		return 0;
	case MB2_TAG_EFI32_IH:
		if (!tag_min(off, type, size, 12))
			return -EINVAL;
		mi->efi32_image_handle = get_le32(pl);
		return 0;
	case MB2_TAG_EFI64_IH:
		if (!tag_min(off, type, size, 16))
			return -EINVAL;
		mi->efi64_image_handle = get_le64(pl);
		return 0;
	case MB2_TAG_LOAD_BASE_ADDR:
		if (!tag_min(off, type, size, 12))
			return -EINVAL;
		mi->load_base = get_le32(pl);
		return 0;
	default:
		/* bootdev, VBE, ELF sections, APM, SMBIOS, network */
		pr_debug("multiboot2 info +0x%x: tag %u (%s) not used, skipped\n", off, type,
			 mb2_tag_name(type));
		return 0;
	}
}

static int parse_tag(u32 off, u32 type, const u8 *tag, u32 size, struct mb2_info *mi)
{
	if (type >= MB2_TAG_NR_KNOWN) {
		pr_warn("multiboot2 info +0x%x: unknown tag type %u (%u bytes) skipped; the boot "
			"loader is newer than uhv or broken\n", off, type, size);
		return 0;
	}
	if ((UNIQUE_TAGS & BIT(type)) && mb2_has(mi, type)) {
		pr_warn("multiboot2 info +0x%x: second tag %u (%s) ignored, the first one is used; "
			"%s\n", off, type, mb2_tag_name(type), BLAME);
		return 0;
	}
	mi->present |= 1U << type;

	switch (type) {
	case MB2_TAG_CMDLINE:
		return parse_string(off, type, tag, size, &mi->cmdline);
	case MB2_TAG_LOADER_NAME:
		return parse_string(off, type, tag, size, &mi->loader_name);
	case MB2_TAG_MODULE:
		return parse_module(off, tag, size, mi);
	case MB2_TAG_MMAP:
		return parse_mmap(off, tag, size, mi);
	case MB2_TAG_EFI_MMAP:
		return parse_efi_mmap(off, tag, size, mi);
	case MB2_TAG_EFI_BS:
		mi->efi_boot_services = true;
		return 0;
	case MB2_TAG_FRAMEBUFFER:
		return parse_framebuffer(off, tag, size, mi);
	default:
		return parse_value(off, type, tag, size, mi);
	}
}

int mb2_parse(const void *mbi, size_t avail, struct mb2_info *out)
{
	const u8 *p = mbi;

	memset(out, 0, sizeof(*out));
	if (!mbi) {
		pr_err("no multiboot2 information (NULL pointer); " BLAME "\n");
		return -EINVAL;
	}
	if (!IS_ALIGNED((uintptr_t)mbi, 8)) {
		pr_err("multiboot2 information at %p is not 8-byte aligned; " BLAME "\n", mbi);
		return -EINVAL;
	}
	if (avail < 16) {
		pr_err("only %zu bytes of multiboot2 information readable, at least 16 needed\n",
		       avail);
		return -EINVAL;
	}
	u32 total = get_le32(p);
	if (total < 16) {
		bad(0, "total_size %u is smaller than the minimum of 16 (header and end tag)",
		    total);
		return -EINVAL;
	}
	if (total > avail) {
		bad(0, "total_size %u exceeds the %zu bytes the boot loader's information may "
		    "occupy", total, avail);
		return -EINVAL;
	}
	out->total_size = total;

	u64 off = 8;
	while (total - off >= TAG_PAYLOAD) {
		const u8 *tag = p + off;
		u32 type = get_le32(tag + TAG_TYPE), size = get_le32(tag + TAG_SIZE);

		if (size < TAG_PAYLOAD) {
			bad(off, "tag %u (%s) has size %u, less than its own 8-byte header", type,
			    mb2_tag_name(type), size);
			return -EINVAL;
		}
		if (size > total - off) {
			bad(off, "tag %u (%s) of %u bytes runs past the end of the information "
			    "(total_size %u)", type, mb2_tag_name(type), size, total);
			return -EINVAL;
		}
		if (type == MB2_TAG_END) {
			if (off + size < total)
				pr_debug("%llu bytes after the end tag ignored\n",
					 (total - off - size));
			return 0;
		}
		int ret = parse_tag((u32)off, type, tag, size, out);
		if (ret)
			return ret;
		off = ALIGN_UP(off + size, 8);
		if (off > total)
			break;
	}
	bad(off > total ? total : off, "no end tag (type 0, size 8) before total_size %u", total);
	return -EINVAL;
}

/* Append to a line buffer; output that does not fit is cut. */
static __printf(4, 5) void app(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= size - 1)
		return;
	va_start(ap, fmt);
	int k = kvsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = MIN(*n + (size_t)k, size - 1);
}

void mb2_print(const struct mb2_info *mi)
{
	char line[200];
	size_t n = 0;

	pr_info("boot loader '%s', command line '%s'\n",
		mi->loader_name ? mi->loader_name : "(none)", mi->cmdline ? mi->cmdline : "");
	for (u32 i = 0; i < mi->nr_modules; i++) {
		const struct mb2_module *m = &mi->modules[i];
		pr_info("module %u: 0x%08x-0x%08x (%u KiB) '%s'\n", i, m->start, m->end,
			(m->end - m->start + 1023) / 1024, m->string);
	}

	line[0] = 0;
	if (mi->mmap)
		app(line, sizeof(line), &n, " BIOS map (%u entries),", mi->mmap_nr);
	if (mi->efi_mmap)
		app(line, sizeof(line), &n, " EFI map (%u descriptors of %u bytes),",
		    mi->efi_mmap_nr, mi->efi_desc_size);
	if (!mi->mmap && !mi->efi_mmap)
		app(line, sizeof(line), &n, " no memory map,");
	if (mb2_has(mi, MB2_TAG_BASIC_MEMINFO))
		app(line, sizeof(line), &n, " meminfo %u/%u KiB,", mi->mem_lower_kib,
		    mi->mem_upper_kib);
	if (mi->rsdp_v1)
		app(line, sizeof(line), &n, " RSDP v1,");
	if (mi->rsdp_v2)
		app(line, sizeof(line), &n, " RSDP v2,");
	if (!mi->rsdp_v1 && !mi->rsdp_v2)
		app(line, sizeof(line), &n, " no RSDP,");
	if (mb2_has(mi, MB2_TAG_LOAD_BASE_ADDR))
		app(line, sizeof(line), &n, " loaded at 0x%x,", mi->load_base);
	if (n > 0)
		line[n - 1] = 0;	/* the last comma */
	pr_info("boot info:%s\n", line);

	if (mb2_has(mi, MB2_TAG_EFI64) || mb2_has(mi, MB2_TAG_EFI32) || mi->efi_boot_services) {
		n = 0;
		line[0] = 0;
		if (mb2_has(mi, MB2_TAG_EFI64))
			app(line, sizeof(line), &n, " system table 0x%llx,",
			    mi->efi64_systab);
		if (mb2_has(mi, MB2_TAG_EFI32))
			app(line, sizeof(line), &n, " 32-bit system table 0x%x,", mi->efi32_systab);
		if (mb2_has(mi, MB2_TAG_EFI64_IH))
			app(line, sizeof(line), &n, " image handle 0x%llx,",
			    mi->efi64_image_handle);
		if (mb2_has(mi, MB2_TAG_EFI32_IH))
			app(line, sizeof(line), &n, " 32-bit image handle 0x%x,",
			    mi->efi32_image_handle);
		app(line, sizeof(line), &n, " boot services %s,",
		    mi->efi_boot_services ? "still running" : "terminated");
		line[n - 1] = 0;
		pr_info("EFI:%s\n", line);
	}
}
