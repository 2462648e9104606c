/* ELF executable parser for the guest loader. Pure: reads the file image,
 * never guest memory. Header fields are copied out with memcpy because a
 * module may start at any byte alignment. */
#define LOG_MODULE "loader"
#include <uhv/elf.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>

#define WHAT "guest kernel (ELF)"

bool elf_is_elf(const void *file, u64 size)
{
	const u8 *b = file;

	return size >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
}

/* Does [off, off+len) lie inside a file of size bytes? */
static bool in_file(u64 off, u64 len, u64 size)
{
	return off <= size && len <= size - off;
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static void read_phdr(const u8 *file, unsigned bits, u64 off, struct elf_segment *seg, u32 *type)
{
	if (bits == 32) {
		struct elf32_phdr p;

		memcpy(&p, file + off, sizeof(p));
		*type = p.p_type;
		seg->offset = p.p_offset;
		seg->vaddr = p.p_vaddr;
		seg->paddr = p.p_paddr;
		seg->filesz = p.p_filesz;
		seg->memsz = p.p_memsz;
		seg->flags = p.p_flags;
	} else {
		struct elf64_phdr p;

		memcpy(&p, file + off, sizeof(p));
		*type = p.p_type;
		seg->offset = p.p_offset;
		seg->vaddr = p.p_vaddr;
		seg->paddr = p.p_paddr;
		seg->filesz = p.p_filesz;
		seg->memsz = p.p_memsz;
		seg->flags = p.p_flags;
	}
}

static int check_segment(const struct elf_segment *s, u64 size)
{
	if (s->filesz > s->memsz) {
		pr_err(WHAT ": program header %u: p_filesz 0x%llx is larger than p_memsz 0x%llx; "
		       "the file is corrupt, rebuild the kernel\n",
		       s->index, s->filesz, s->memsz);
		return -EINVAL;
	}
	if (!in_file(s->offset, s->filesz, size)) {
		pr_err(WHAT ": program header %u: segment file bytes [0x%llx, 0x%llx) run past the "
		       "end of the file (%llu bytes); the file is truncated or corrupt\n",
		       s->index, s->offset,
		       (s->offset + s->filesz), size);
		return -EINVAL;
	}
	if (s->paddr + s->memsz < s->paddr) {
		pr_err(WHAT ": program header %u: segment at 0x%llx size 0x%llx wraps around the "
		       "address space\n", s->index, s->paddr,
		       s->memsz);
		return -EINVAL;
	}
	return 0;
}

/* The ELF header fields the parser uses, from either class. */
struct ehdr_facts {
	u16 type, machine;
	u64 phoff;
	unsigned phnum, phentsize;
};

/* e_ident: magic, class (sets out->bits) and byte order. */
static int check_ident(const u8 *b, u64 size, struct elf_image *out)
{
	if (!elf_is_elf(b, size)) {
		pr_err(WHAT ": no ELF magic at the start of the file\n");
		return -ENOEXEC;
	}
	if (size < EI_NIDENT) {
		pr_err(WHAT ": file of %llu bytes is too short for an ELF header\n",
		       size);
		return -EINVAL;
	}
	if (b[EI_CLASS] != ELFCLASS32 && b[EI_CLASS] != ELFCLASS64) {
		pr_err(WHAT ": unknown ELF class %u (expected 1 = 32-bit or 2 = 64-bit)\n",
		       b[EI_CLASS]);
		return -ENOEXEC;
	}
	if (b[EI_DATA] != ELFDATA2LSB) {
		pr_err(WHAT ": ELF data encoding %u is not little endian; an x86 kernel is "
		       "needed\n", b[EI_DATA]);
		return -ENOEXEC;
	}
	out->bits = b[EI_CLASS] == ELFCLASS32 ? 32 : 64;
	return 0;
}

static int read_ehdr(const u8 *b, u64 size, struct elf_image *out, struct ehdr_facts *f)
{
	if (out->bits == 32) {
		struct elf32_ehdr h;

		if (size < sizeof(h))
			goto short_header;
		memcpy(&h, b, sizeof(h));
		f->type = h.e_type;
		f->machine = h.e_machine;
		out->entry = h.e_entry;
		f->phoff = h.e_phoff;
		f->phnum = h.e_phnum;
		f->phentsize = h.e_phentsize;
	} else {
		struct elf64_ehdr h;

		if (size < sizeof(h))
			goto short_header;
		memcpy(&h, b, sizeof(h));
		f->type = h.e_type;
		f->machine = h.e_machine;
		out->entry = h.e_entry;
		f->phoff = h.e_phoff;
		f->phnum = h.e_phnum;
		f->phentsize = h.e_phentsize;
	}
	out->machine = f->machine;
	return 0;

short_header:
	pr_err(WHAT ": file of %llu bytes is too short for its ELF-%u header\n",
	       size, out->bits);
	return -EINVAL;
}

/* An x86 executable whose program headers lie inside the file. */
static int check_ehdr(const struct elf_image *out, const struct ehdr_facts *f, u64 size)
{
	if (f->type != ET_EXEC) {
		pr_err(WHAT ": e_type %u is not an executable (ET_EXEC = 2); link the kernel as a "
		       "static executable at fixed addresses\n", f->type);
		return -ENOEXEC;
	}
	if ((out->bits == 32 && f->machine != EM_386) ||
	    (out->bits == 64 && f->machine != EM_X86_64)) {
		pr_err(WHAT ": e_machine %u is not x86 (ELF-32 needs EM_386 = 3, "
		       "ELF-64 EM_X86_64 = 62)\n", f->machine);
		return -ENOEXEC;
	}
	unsigned want = out->bits == 32 ? sizeof(struct elf32_phdr) : sizeof(struct elf64_phdr);
	if (f->phnum == 0) {
		pr_err(WHAT ": no program headers (e_phnum 0), so nothing to load\n");
		return -EINVAL;
	}
	if (f->phnum == PN_XNUM) {
		pr_err(WHAT ": e_phnum 0xffff (extended numbering) is not supported\n");
		return -EINVAL;
	}
	if (f->phentsize < want) {
		pr_err(WHAT ": e_phentsize %u is smaller than a program header (%u bytes)\n",
		       f->phentsize, want);
		return -EINVAL;
	}
	if (f->phoff > size || (u64)f->phnum * f->phentsize > size - f->phoff) {
		pr_err(WHAT ": program headers [0x%llx, 0x%llx) run past the end of the file "
		       "(%llu bytes); the file is truncated or corrupt\n",
		       f->phoff,
		       (f->phoff + (u64)f->phnum * f->phentsize),
		       size);
		return -EINVAL;
	}
	return 0;
}

/* Append a checked loadable segment, refusing one that overlaps another. */
static int add_segment(struct elf_image *out, const struct elf_segment *s)
{
	if (out->nr_segs == ELF_MAX_SEGMENTS) {
		pr_err(WHAT ": more than %u loadable segments\n", ELF_MAX_SEGMENTS);
		return -E2BIG;
	}
	for (unsigned j = 0; j < out->nr_segs; j++) {
		const struct elf_segment *o = &out->segs[j];

		if (ranges_overlap(s->paddr, s->memsz, o->paddr, o->memsz)) {
			pr_err(WHAT ": segments of program headers %u [0x%llx, 0x%llx) "
			       "and %u [0x%llx, 0x%llx) overlap in physical memory; "
			       "fix the linker script\n",
			       o->index, o->paddr,
			       (o->paddr + o->memsz), s->index,
			       s->paddr,
			       (s->paddr + s->memsz));
			return -EINVAL;
		}
	}
	out->segs[out->nr_segs++] = *s;
	return 0;
}

int elf_parse(const void *file, u64 size, struct elf_image *out)
{
	const u8 *b = file;
	struct ehdr_facts f;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = check_ident(b, size, out);
	if (!ret)
		ret = read_ehdr(b, size, out, &f);
	if (!ret)
		ret = check_ehdr(out, &f, size);
	if (ret)
		return ret;

	for (unsigned i = 0; i < f.phnum; i++) {
		struct elf_segment s = { .index = i };
		u32 ptype;

		read_phdr(b, out->bits, f.phoff + (u64)i * f.phentsize, &s, &ptype);
		if (ptype != PT_LOAD || s.memsz == 0)
			continue;
		ret = check_segment(&s, size);
		if (!ret)
			ret = add_segment(out, &s);
		if (ret)
			return ret;
	}
	if (!out->nr_segs) {
		pr_err(WHAT ": no PT_LOAD segment with a non-zero size, so nothing to load\n");
		return -EINVAL;
	}
	return 0;
}

int elf_entry_paddr(const struct elf_image *img, u64 *paddr)
{
	for (unsigned i = 0; i < img->nr_segs; i++) {
		const struct elf_segment *s = &img->segs[i];

		if (img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz) {
			*paddr = img->entry - s->vaddr + s->paddr;
			return 0;
		}
	}
	for (unsigned i = 0; i < img->nr_segs; i++) {
		const struct elf_segment *s = &img->segs[i];

		if (img->entry >= s->paddr && img->entry - s->paddr < s->memsz) {
			*paddr = img->entry;
			return 0;
		}
	}
	return -ENOENT;
}
