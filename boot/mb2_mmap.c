/* Multiboot2 memory maps: the BIOS-style map (tag 6) and the EFI map (tag 17) that
 * mb2_parse() located, read entry by entry and merged into one list of ranges. Apart
 * from the parser because the kernel's memory setup, not the boot information check,
 * is what uses them. Pure, like the parser. */
#define LOG_MODULE "mb2"
#include <uhv/mb2.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/unaligned.h>
/* GNU-EFI for EFI_MEMORY_DESCRIPTOR and the EFI_MEMORY_TYPE values. */
#include <efi.h>

u32 mb2_efi_type_to_mem(u32 efi_type)
{
	switch (efi_type) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiConventionalMemory:
		return MB2_MEM_AVAILABLE;
	case EfiACPIReclaimMemory:
		return MB2_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS:
		return MB2_MEM_NVS;
	case EfiUnusableMemory:
		return MB2_MEM_BAD;
	default:
		/* runtime services, MMIO, PAL code, persistent, unaccepted and
		 * loader-private types such as GRUB's 20 */
		return MB2_MEM_RESERVED;
	}
}

int mb2_bios_mmap_get(const struct mb2_info *mi, u32 i, struct mb2_mem_range *r)
{
	if (!mi->mmap || i >= mi->mmap_nr)
		return -ENOENT;
	const u8 *e = mi->mmap + (size_t)i * mi->mmap_entry_size;
	u32 type = get_le32(e + 16);
	r->base = get_le64(e);
	r->len = get_le64(e + 8);
	/* Types beyond 5 (persistent memory, vendor types) are not RAM uhv may use. */
	r->type = type >= MB2_MEM_AVAILABLE && type <= MB2_MEM_BAD ? type : MB2_MEM_RESERVED;
	return 0;
}

int mb2_efi_mmap_get(const struct mb2_info *mi, u32 i, struct mb2_mem_range *r, u32 *efi_type)
{
	EFI_MEMORY_DESCRIPTOR d;

	if (!mi->efi_mmap || i >= mi->efi_mmap_nr)
		return -ENOENT;
	memcpy(&d, mi->efi_mmap + (size_t)i * mi->efi_desc_size, sizeof(d));
	if (efi_type)
		*efi_type = d.Type;
	r->base = d.PhysicalStart;
	r->len = d.NumberOfPages << EFI_PAGE_SHIFT;
	r->type = mb2_efi_type_to_mem(d.Type);
	if (d.NumberOfPages > (~0ULL >> EFI_PAGE_SHIFT) || r->base + r->len < r->base)
		return -ERANGE;
	return 0;
}

/* Append r, merging it into the previous range when it continues it. */
static int push_range(struct mb2_mem_range *out, size_t cap, size_t *n,
		      const struct mb2_mem_range *r)
{
	if (r->len == 0)
		return 0;
	if (*n > 0) {
		struct mb2_mem_range *prev = &out[*n - 1];
		if (prev->type == r->type && prev->base + prev->len == r->base) {
			prev->len += r->len;
			return 0;
		}
	}
	if (*n >= cap) {
		pr_err("the memory map has more than %zu ranges, more than uhv has room for\n",
		       cap);
		return -ENOSPC;
	}
	out[(*n)++] = *r;
	return 0;
}

int mb2_mem_ranges(const struct mb2_info *mi, struct mb2_mem_range *out, size_t cap)
{
	struct mb2_mem_range r;
	size_t n = 0;
	int ret;

	if (mi->mmap) {
		for (u32 i = 0; i < mi->mmap_nr; i++) {
			mb2_bios_mmap_get(mi, i, &r);
			if (r.base + r.len < r.base) {
				pr_warn("memory map entry %u (0x%llx + 0x%llx) wraps around; "
					"ignored\n", i, r.base,
					r.len);
				continue;
			}
			ret = push_range(out, cap, &n, &r);
			if (ret)
				return ret;
		}
		return (int)n;
	}
	if (mi->efi_mmap) {
		for (u32 i = 0; i < mi->efi_mmap_nr; i++) {
			u32 type;
			if (mb2_efi_mmap_get(mi, i, &r, &type)) {
				pr_warn("EFI memory descriptor %u (type %u, base 0x%llx) is larger "
					"than the address space; ignored\n", i, type,
					r.base);
				continue;
			}
			ret = push_range(out, cap, &n, &r);
			if (ret)
				return ret;
		}
		return (int)n;
	}
	pr_err("the boot loader passed no memory map (neither tag 6 nor tag 17); with GRUB "
	       "under UEFI this happens when the kernel asks to keep boot services\n");
	return -ENOENT;
}
