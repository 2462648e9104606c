/* uhv.elf as uhv.efi loads it: the ELF-64 program headers, the multiboot2
 * header (entry address tag, relocatable tag) and the choice of the load
 * address within the firmware's free memory, as GRUB's multiboot2 loader makes
 * it. Pure: it reads the file and a list of free ranges. */
#include "loader.h"
#include <uhv/format.h>
#include <uhv/hw/elf.h>

/* The multiboot2 header (multiboot2 specification 3.1): magic, architecture,
 * header_length, checksum, then tags {u16 type, u16 flags, u32 size}, 8-aligned. */
#define MB2_HEADER_MAGIC	0xe85250d6
#define MB2_HEADER_SEARCH	32768	/* the header must lie in the first 32 KiB */
#define MB2_HTAG_END		0
#define MB2_HTAG_ENTRY		3	/* u32 entry_addr (physical) */
#define MB2_HTAG_RELOCATABLE	10	/* u32 min_addr, max_addr, align, preference */
#define MB2_RELOC_PREF_HIGHEST	2

static u32 rd32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u16 rd16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

/* The multiboot2 header's tags. 0, or -1 (no valid header). */
static int read_mb2_header(const u8 *file, size_t size, struct img_info *img, bool *have_entry)
{
	size_t limit = MIN(size, (size_t)MB2_HEADER_SEARCH);

	for (size_t off = 0; off + 16 <= limit; off += 8) {
		const u8 *h = file + off;
		u32 len = rd32(h + 8);
		if (rd32(h) != MB2_HEADER_MAGIC || rd32(h) + rd32(h + 4) + len + rd32(h + 12) != 0)
			continue;
		if (len < 16 || len > size - off)
			return -1;
		for (u32 t = 16; t + 8 <= len;) {
			u16 type = rd16(h + t);
			u32 tsize = rd32(h + t + 4);
			if (type == MB2_HTAG_END || tsize < 8 || tsize > len - t)
				break;
			if (type == MB2_HTAG_ENTRY && tsize >= 12) {
				img->entry = rd32(h + t + 8);
				*have_entry = true;
			}
			if (type == MB2_HTAG_RELOCATABLE && tsize >= 24) {
				img->relocatable = true;
				img->min_addr = rd32(h + t + 8);
				img->max_addr = rd32(h + t + 12);
				img->align = rd32(h + t + 16);
				img->preference = rd32(h + t + 20);
			}
			t += (tsize + 7) & ~7U;
		}
		return 0;
	}
	return -1;
}

static int read_segments(const u8 *file, size_t size, struct img_info *img, char *err,
			 size_t errsz)
{
	struct elf64_ehdr eh;
	__builtin_memcpy(&eh, file, sizeof(eh));
	if (eh.e_phentsize < sizeof(struct elf64_phdr) || eh.e_phoff > size ||
	    (u64)eh.e_phnum * eh.e_phentsize > size - eh.e_phoff) {
		ksnprintf(err, errsz, "the program headers lie outside the file");
		return -1;
	}
	img->link_base = ~0ULL;
	for (u32 i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;
		__builtin_memcpy(&ph, file + eh.e_phoff + (u64)i * eh.e_phentsize, sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > size ||
		    ph.p_filesz > size - ph.p_offset || ph.p_paddr + ph.p_memsz < ph.p_paddr) {
			ksnprintf(err, errsz, "program header %u: segment outside the file or "
				  "the address space", i);
			return -1;
		}
		if (img->nr_segs >= IMG_MAX_SEGS) {
			ksnprintf(err, errsz, "more than %u loadable segments", IMG_MAX_SEGS);
			return -1;
		}
		img->segs[img->nr_segs++] = (struct img_seg){
			.offset = ph.p_offset, .filesz = ph.p_filesz, .memsz = ph.p_memsz,
			.paddr = ph.p_paddr,
		};
		img->link_base = MIN(img->link_base, ph.p_paddr);
		img->link_end = MAX(img->link_end, ph.p_paddr + ph.p_memsz);
	}
	if (img->nr_segs == 0) {
		ksnprintf(err, errsz, "no loadable segment");
		return -1;
	}
	if (img->link_end > GiB(4)) {
		ksnprintf(err, errsz, "segments above 4 GiB (end 0x%llx): a multiboot2 image "
			  "is loaded below 4 GiB", img->link_end);
		return -1;
	}
	return 0;
}

int img_parse(const u8 *file, size_t size, struct img_info *img, char *err, size_t errsz)
{
	bool have_entry = false;

	__builtin_memset(img, 0, sizeof(*img));
	if (size < sizeof(struct elf64_ehdr) || file[0] != 0x7f || file[1] != 'E' ||
	    file[2] != 'L' || file[3] != 'F') {
		ksnprintf(err, errsz, "not an ELF file");
		return -1;
	}
	struct elf64_ehdr eh;
	__builtin_memcpy(&eh, file, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC) {
		ksnprintf(err, errsz, "not an ELF-64 x86-64 executable");
		return -1;
	}
	if (read_segments(file, size, img, err, errsz) < 0)
		return -1;
	if (read_mb2_header(file, size, img, &have_entry) < 0) {
		ksnprintf(err, errsz, "no multiboot2 header in the first 32 KiB: not uhv.elf?");
		return -1;
	}
	if (!have_entry) {
		ksnprintf(err, errsz, "the multiboot2 header has no entry address tag");
		return -1;
	}
	if (img->entry < img->link_base || img->entry >= img->link_end) {
		ksnprintf(err, errsz, "entry 0x%llx outside the image [0x%llx-0x%llx)", img->entry,
			  img->link_base, img->link_end);
		return -1;
	}
	if (img->relocatable && (img->align == 0 || (img->align & (img->align - 1)))) {
		ksnprintf(err, errsz, "relocatable tag: alignment 0x%x is not a power of two",
			  img->align);
		return -1;
	}
	return 0;
}

/* Sort by base (insertion sort: a few hundred ranges at most) and merge touching ones. */
static u32 sort_merge(struct mem_free *f, u32 n)
{
	for (u32 i = 1; i < n; i++) {
		struct mem_free x = f[i];
		u32 j = i;
		for (; j > 0 && f[j - 1].base > x.base; j--)
			f[j] = f[j - 1];
		f[j] = x;
	}
	u32 k = 0;
	for (u32 i = 0; i < n; i++) {
		if (f[i].len == 0)
			continue;
		if (k > 0 && f[k - 1].base + f[k - 1].len >= f[i].base) {
			u64 end = MAX(f[k - 1].base + f[k - 1].len, f[i].base + f[i].len);
			f[k - 1].len = end - f[k - 1].base;
		} else {
			f[k++] = f[i];
		}
	}
	return k;
}

static bool fits(const struct mem_free *f, u32 n, u64 base, u64 size)
{
	for (u32 i = 0; i < n; i++)
		if (base >= f[i].base && base + size <= f[i].base + f[i].len)
			return true;
	return false;
}

int img_place(const struct img_info *img, struct mem_free *free, u32 nr_free, u64 *base)
{
	u64 size = img->link_end - img->link_base;
	u32 n = sort_merge(free, nr_free);

	if (!img->relocatable) {
		*base = img->link_base;
		return fits(free, n, *base, size) ? 0 : -1;
	}
	bool highest = img->preference == MB2_RELOC_PREF_HIGHEST;
	bool found = false;
	for (u32 i = 0; i < n; i++) {
		u64 lo = MAX(free[i].base, (u64)img->min_addr);
		u64 hi = MIN(free[i].base + free[i].len, (u64)img->max_addr);
		if (hi < lo + size)
			continue;
		u64 cand = highest ? ALIGN_DOWN(hi - size, (u64)img->align)
				   : ALIGN_UP(lo, (u64)img->align);
		if (cand < lo || cand + size > hi)
			continue;
		if (!found || (highest ? cand > *base : cand < *base))
			*base = cand;
		found = true;
	}
	return found ? 0 : -1;
}
