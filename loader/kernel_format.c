/* The kernel file of a multiboot or ELF guest: which format it is, which
 * segments it has and where it is entered, checked before the loader touches
 * guest memory (loader.c does the placing). Pure: reads the file only. */
#define LOG_MODULE "loader"
#include "loader_priv.h"
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>

#define FOUR_GIB	GiB(4)

/* ---- kernel format --------------------------------------------------------------------------- */

static int entry_error(const struct kernel_desc *k, u64 entry, const char *source)
{
	pr_err("guest kernel: entry point 0x%llx (%s) is outside the loaded segments:\n",
	       entry, source);
	for (unsigned i = 0; i < k->nr_segs; i++)
		pr_err("  segment %u [0x%llx, 0x%llx)\n", i, k->segs[i].paddr,
		       (k->segs[i].paddr + k->segs[i].memsz));
	pr_err("guest kernel: the kernel has no usable entry; check its multiboot header and "
	       "linker script\n");
	return -EINVAL;
}

static bool in_segments(const struct kernel_desc *k, u64 addr)
{
	for (unsigned i = 0; i < k->nr_segs; i++)
		if (addr >= k->segs[i].paddr && addr - k->segs[i].paddr < k->segs[i].memsz)
			return true;
	return false;
}

/* Entry from an ELF file, translated to physical. */
static int elf_entry(struct kernel_desc *k, const struct elf_image *img)
{
	u64 entry;

	if (img->entry == 0) {
		pr_err("guest kernel: ELF e_entry is 0, so the kernel has no entry point; set "
		       "ENTRY() in its linker script\n");
		return -EINVAL;
	}
	if (elf_entry_paddr(img, &entry)) {
		if (img->bits == 64 && img->entry > 0xffffffffULL)
			goto not32;
		return entry_error(k, img->entry, "ELF e_entry");
	}
	if (entry > 0xffffffffULL)
		goto not32;
	k->entry = entry;
	return 0;
not32:
	pr_err("guest kernel: 64-bit ELF entry 0x%llx: a multiboot guest starts in 32-bit mode, so "
	       "the entry must be a 32-bit address within a loaded segment (give the kernel a "
	       "32-bit entry, e.g. with a multiboot2 entry address tag)\n",
	       img->entry);
	return -EINVAL;
}

/* Which header the file has: multiboot2, multiboot, or none (plain ELF). */
static int find_header(const u8 *file, u64 size, struct kernel_desc *k)
{
	int ret = multiboot2_header_find(file, size, &k->hdr);

	if (ret == -ENOENT)
		ret = multiboot1_header_find(file, size, &k->hdr);
	if (ret != -ENOENT)
		return ret;
	memset(&k->hdr, 0, sizeof(k->hdr));
	if (!elf_is_elf(file, size)) {
		pr_err("guest kernel: not an ELF executable and no multiboot2 or multiboot "
		       "header (file of %llu bytes); the first module must be the guest "
		       "kernel: a multiboot2/multiboot kernel or an ELF executable\n",
		       size);
		return -ENOEXEC;
	}
	return 0;
}

/* Segments from the ELF program headers; the entry too unless the header gives it. */
static int elf_segments(const u8 *file, u64 size, struct kernel_desc *k)
{
	struct elf_image img;
	int ret;

	if (k->hdr.version && !elf_is_elf(file, size)) {
		pr_err("guest kernel: the multiboot%s header gives no load addresses (%s) "
		       "and the file is not ELF, so uhv does not know where to load it\n",
		       k->hdr.version == 2 ? "2" : "",
		       k->hdr.version == 2 ? "no address tag" : "flag bit 16 clear");
		return -ENOEXEC;
	}
	ret = elf_parse(file, size, &img);
	if (ret)
		return ret;
	k->nr_segs = img.nr_segs;
	memcpy(k->segs, img.segs, img.nr_segs * sizeof(img.segs[0]));
	if (k->hdr.version == 2)
		k->kind = "multiboot2 ELF";
	else if (k->hdr.version == 1)
		k->kind = "multiboot ELF";
	else
		k->kind = "ELF without multiboot header (booted as multiboot2)";
	if (img.bits == 64 && k->hdr.version)
		pr_info("guest kernel: ELF-64 file, entered in 32-bit mode as multiboot "
			"says\n");
	if (!k->hdr.has_entry)
		return elf_entry(k, &img);
	return 0;
}

static int segments(const u8 *file, u64 size, struct kernel_desc *k)
{
	int ret;

	if (!k->hdr.has_addr)
		return elf_segments(file, size, k);
	ret = multiboot_raw_segment(&k->hdr, size, &k->segs[0]);
	if (ret)
		return ret;
	k->nr_segs = 1;
	k->kind = k->hdr.version == 2 ? "multiboot2 raw image"
				      : "multiboot a.out-kludge image";
	return 0;
}

/* The entry the multiboot header gives (if any), inside a segment. */
static int header_entry(struct kernel_desc *k)
{
	if (k->hdr.has_entry) {
		const char *src = k->hdr.version == 2 ? "multiboot2 entry address tag"
						      : "multiboot header entry_addr";

		if (k->hdr.entry_addr == 0) {
			pr_err("guest kernel: the %s is 0, so the kernel has no entry point\n",
			       src);
			return -EINVAL;
		}
		k->entry = k->hdr.entry_addr;
	} else if (k->hdr.has_addr) {
		pr_err("guest kernel: the multiboot2 header has an address tag but no entry "
		       "address tag, so the kernel has no entry point\n");
		return -EINVAL;
	}
	if (!in_segments(k, k->entry))
		return entry_error(k, k->entry,
				   k->hdr.has_entry ? "multiboot header" : "ELF e_entry");
	return 0;
}

static int below_4g(const struct kernel_desc *k)
{
	for (unsigned i = 0; i < k->nr_segs; i++) {
		const struct elf_segment *s = &k->segs[i];

		if (s->paddr + s->memsz > FOUR_GIB) {
			pr_err("guest kernel: segment %u [0x%llx, 0x%llx) is above 4 GiB, out of "
			       "reach of a kernel that starts in 32-bit mode without paging\n",
			       i, s->paddr,
			       (s->paddr + s->memsz));
			return -EINVAL;
		}
	}
	return 0;
}

int loader_describe_kernel(const u8 *file, u64 size, struct kernel_desc *k)
{
	int ret;

	memset(k, 0, sizeof(*k));
	ret = find_header(file, size, k);
	if (!ret)
		ret = segments(file, size, k);
	if (!ret)
		ret = header_entry(k);
	if (!ret)
		ret = below_4g(k);
	return ret;
}
