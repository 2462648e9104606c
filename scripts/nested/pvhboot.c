/*
 * pvhboot: the nested tier's L1 loader. Debian's bzImage spends ~4 G Bochs
 * ticks (~50 s wall) decompressing its XZ payload; this small multiboot2
 * kernel instead receives the kernel already decompressed and starts it
 * through its PVH entry (the 32-bit entry Linux publishes in an ELF note for
 * Xen/QEMU direct boot), the way QEMU's `-kernel vmlinux` does.
 *
 * GRUB loads: pvhboot.elf with the Linux command line, module 1 = the kernel
 * packed by mkpvh.py (non-zero pages of vmlinux's PT_LOAD segments), modules
 * 2.. = initramfs parts (concatenated into one initrd here).
 * Steps: copy what is needed from the boot information; place the initrd at
 * the highest free RAM below 2 GiB; move the pack away if it overlaps the
 * kernel's place; zero the kernel's range and copy the pages in; build an
 * hvm_start_info (version 1: memory map, command line, one module = initrd,
 * RSDP) and jump to the PVH entry with EBX pointing at it.
 * On an error it prints "pvhboot: ERROR ..." on COM1 and ends the Bochs run
 * (port 0x8900). Built with gcc -m32 by build-l1.sh; not part of uhv.
 */
#include <stdint.h>

#define PACK_MAGIC 0x4b50314cu	/* "L1PK" */
#define MAX_MODS 8
#define MAX_MMAP 128
#define MAX_BUSY (MAX_MODS + 8)

struct pack_hdr {
	uint32_t magic, entry, kmin, kmax, nchunks;
};
struct pack_chunk {
	uint32_t paddr, len, offset;
};
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};
struct range {
	uint32_t lo, hi;	/* [lo, hi) */
};

extern char _end[];
void enter_pvh(uint32_t entry, uint32_t start_info) __attribute__((noreturn));

static struct hvm_start_info start_info;
static struct hvm_modlist_entry modlist;
static struct hvm_memmap_entry mmap[MAX_MMAP];
static unsigned nmmap;
static char cmdline[4096];
static struct range mods[MAX_MODS];
static unsigned nmods;
static struct range busy[MAX_BUSY];
static unsigned nbusy;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static void putc_(char c)
{
	if (c == '\n')
		putc_('\r');
	for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++)
		;
	outb(0x3f8, (uint8_t)c);
}
static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}
static void puthex(uint32_t v)
{
	puts_("0x");
	for (int s = 28; s >= 0; s -= 4)
		putc_("0123456789abcdef"[(v >> s) & 15]);
}
static void putdec(uint32_t v)
{
	char b[12];
	int i = 11;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(b + i);
}
static __attribute__((noreturn)) void fail(const char *why)
{
	puts_("pvhboot: ERROR: ");
	puts_(why);
	puts_("\n");
	for (int i = 0; i < 1000000 && !(inb(0x3fd) & 0x40); i++)
		;
	for (const char *p = "Shutdown"; *p; p++)
		outb(0x8900, (uint8_t)*p);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void copy(uint32_t dst, uint32_t src, uint32_t n)
{
	/* callers guarantee that the ranges do not overlap */
	uint32_t d = dst, s = src, words = n / 4, rest = n % 4;
	__asm__ volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(rest) : : "memory");
}
static void zero(uint32_t dst, uint32_t n)
{
	uint32_t d = dst, words = n / 4, rest = n % 4;
	__asm__ volatile("rep stosl" : "+D"(d), "+c"(words) : "a"(0) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(rest) : "a"(0) : "memory");
}
static int overlaps(uint32_t lo, uint32_t hi, struct range r)
{
	return lo < r.hi && r.lo < hi;
}
static void add_busy(uint32_t lo, uint32_t hi)
{
	if (nbusy == MAX_BUSY)
		fail("too many ranges");
	busy[nbusy].lo = lo;
	busy[nbusy].hi = hi;
	nbusy++;
}

/* the highest page-aligned free [lo, lo + size) in RAM below `limit` */
static uint32_t find_free(uint32_t size, uint32_t limit)
{
	uint32_t best = 0;
	size = (size + 4095) & ~4095u;
	for (unsigned i = 0; i < nmmap; i++) {
		if (mmap[i].type != 1 || mmap[i].addr >= limit)
			continue;
		uint32_t rlo = (uint32_t)mmap[i].addr;
		uint64_t rhi64 = mmap[i].addr + mmap[i].size;
		uint32_t rhi = rhi64 > limit ? limit : (uint32_t)rhi64;
		if (rlo < 0x100000)
			rlo = 0x100000;
		uint32_t top = rhi & ~4095u;
		for (int guard = 0; guard < 64 && top >= rlo + size; guard++) {
			uint32_t lo = top - size;
			int moved = 0;
			for (unsigned b = 0; b < nbusy; b++) {
				if (overlaps(lo, top, busy[b])) {
					top = busy[b].lo & ~4095u;
					moved = 1;
					break;
				}
			}
			if (!moved) {
				if (lo > best)
					best = lo;
				break;
			}
		}
	}
	if (!best)
		fail("no free memory for the initrd or the kernel pack");
	return best;
}

static uint32_t find_rsdp(void)
{
	volatile uint16_t *bda_ebda;
	/* through an asm barrier: GCC warns about constant addresses */
	__asm__("" : "=r"(bda_ebda) : "0"(0x40e));
	uint32_t ebda = (uint32_t)*bda_ebda << 4;
	struct range where[2] = { { ebda, ebda + 1024 }, { 0xe0000, 0x100000 } };
	for (int w = 0; w < 2; w++) {
		if (where[w].lo < 0x400)
			continue;
		for (uint32_t a = where[w].lo; a + 20 <= where[w].hi; a += 16) {
			const volatile char *p = (const volatile char *)a;
			if (p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' &&
			    p[5] == 'T' && p[6] == 'R' && p[7] == ' ') {
				uint8_t sum = 0;
				for (int i = 0; i < 20; i++)
					sum = (uint8_t)(sum + (uint8_t)p[i]);
				if (sum == 0)
					return a;
			}
		}
	}
	return 0;
}

void pvhboot_main(uint32_t magic, uint32_t mbi)
{
	if (magic != 0x36d76289)
		fail("not started by a multiboot2 loader");

	/* 1. everything needed from the boot information, before memory moves */
	uint32_t total = *(uint32_t *)mbi;
	for (uint32_t t = mbi + 8; t + 8 <= mbi + total;) {
		uint32_t type = ((uint32_t *)t)[0], size = ((uint32_t *)t)[1];
		if (type == 0)
			break;
		if (type == 1) {
			const char *s = (const char *)(t + 8);
			unsigned i = 0;
			for (; s[i] && i < sizeof(cmdline) - 1; i++)
				cmdline[i] = s[i];
			cmdline[i] = 0;
		} else if (type == 3) {
			if (nmods == MAX_MODS)
				fail("too many modules");
			mods[nmods].lo = ((uint32_t *)t)[2];
			mods[nmods].hi = ((uint32_t *)t)[3];
			nmods++;
		} else if (type == 6) {
			uint32_t esz = ((uint32_t *)t)[2];
			for (uint32_t e = t + 16; e + esz <= t + size && nmmap < MAX_MMAP; e += esz) {
				const struct hvm_memmap_entry *m = (const void *)e;
				mmap[nmmap].addr = m->addr;
				mmap[nmmap].size = m->size;
				mmap[nmmap].type = m->type;
				mmap[nmmap].reserved = 0;
				nmmap++;
			}
		}
		t += (size + 7) & ~7u;
	}
	if (nmods < 2)
		fail("need the kernel pack and at least one initramfs module");
	if (!nmmap)
		fail("no memory map from the boot loader");

	struct pack_hdr hdr = *(const struct pack_hdr *)mods[0].lo;
	if (hdr.magic != PACK_MAGIC)
		fail("module 1 is not a kernel pack (mkpvh.py)");
	if (hdr.kmin < (uint32_t)_end)
		fail("kernel range overlaps pvhboot");

	/* 2. what must not be overwritten while placing things */
	add_busy(0, 0x100000);
	add_busy(0x100000, ((uint32_t)_end + 4095) & ~4095u);
	add_busy(hdr.kmin, hdr.kmax);
	for (unsigned i = 0; i < nmods; i++)
		add_busy(mods[i].lo, mods[i].hi);

	/* 3. the initrd: all parts, in order, in one free range */
	uint32_t isize = 0;
	for (unsigned i = 1; i < nmods; i++)
		isize += mods[i].hi - mods[i].lo;
	uint32_t initrd = find_free(isize, 0x80000000u);
	add_busy(initrd, initrd + isize);
	for (unsigned i = 1, at = initrd; i < nmods; i++) {
		copy(at, mods[i].lo, mods[i].hi - mods[i].lo);
		at += mods[i].hi - mods[i].lo;
	}

	/* 4. the kernel: move the pack away if it sits where the kernel goes */
	uint32_t pack = mods[0].lo, psize = mods[0].hi - mods[0].lo;
	if (overlaps(hdr.kmin, hdr.kmax, mods[0])) {
		uint32_t to = find_free(psize, 0xffffffffu);
		copy(to, pack, psize);
		pack = to;
	}
	zero(hdr.kmin, hdr.kmax - hdr.kmin);
	const struct pack_chunk *ch = (const void *)(pack + sizeof(hdr));
	for (uint32_t i = 0; i < hdr.nchunks; i++) {
		if (ch[i].paddr < hdr.kmin || ch[i].paddr + ch[i].len > hdr.kmax ||
		    ch[i].offset + ch[i].len > psize)
			fail("corrupt kernel pack");
		copy(ch[i].paddr, pack + ch[i].offset, ch[i].len);
	}

	/* 5. PVH start */
	modlist.paddr = initrd;
	modlist.size = isize;
	start_info.magic = 0x336ec578;
	start_info.version = 1;
	start_info.nr_modules = 1;
	start_info.modlist_paddr = (uint32_t)&modlist;
	start_info.cmdline_paddr = (uint32_t)cmdline;
	start_info.rsdp_paddr = find_rsdp();
	start_info.memmap_paddr = (uint32_t)mmap;
	start_info.memmap_entries = nmmap;

	puts_("pvhboot: kernel ");
	puthex(hdr.kmin);
	puts_("-");
	puthex(hdr.kmax);
	puts_(" (");
	putdec(hdr.nchunks);
	puts_(" chunks), PVH entry ");
	puthex(hdr.entry);
	puts_(", initrd ");
	putdec(isize >> 10);
	puts_(" KiB at ");
	puthex(initrd);
	puts_(", RSDP ");
	puthex((uint32_t)start_info.rsdp_paddr);
	puts_("\n");
	enter_pvh(hdr.entry, (uint32_t)&start_info);
}
