/* C entry of the test guests: exceptions, uhv detection, the multiboot2
 * information, then the guest's own guest_main(). */
#include "rt.h"
#include <uhv/mb2.h>

struct boot_info boot;

static bool detect_uhv(void)
{
	struct cpuid_r r = cpuid(1, 0);
	char sig[13];

	if (!(r.ecx & (1U << 31)))	/* hypervisor present */
		return false;
	r = cpuid(UHV_CPUID_LEAF, 0);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	return memcmp(sig, "uhvuhvuhvuhv", 12) == 0;
}

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static u64 rd64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

static void parse_info(void)
{
	const u8 *base = (const u8 *)(uintptr_t)boot.info;
	u32 total, off = 8;

	boot.cmdline = "";
	boot.loader_name = "";
	if (boot.magic != MB2_BOOTLOADER_MAGIC || !boot.info || (boot.info & 7))
		return;
	total = rd32(base);
	if (total < 16 || total > (1U << 20))
		return;
	boot.info_size = total;
	while (off + 8 <= total) {
		u32 type = rd32(base + off), size = rd32(base + off + 4);
		const u8 *p = base + off + 8;

		if (size < 8 || size > total - off)
			return;
		switch (type) {
		case MB2_TAG_END:
			boot.valid = true;
			return;
		case MB2_TAG_CMDLINE:
			boot.cmdline = (const char *)p;
			break;
		case MB2_TAG_LOADER_NAME:
			boot.loader_name = (const char *)p;
			break;
		case MB2_TAG_MODULE:
			if (boot.nr_mods < GUEST_MAX_MODULES)
				boot.mods[boot.nr_mods++] = (struct boot_module){
					rd32(p), rd32(p + 4), (const char *)p + 8 };
			break;
		case MB2_TAG_BASIC_MEMINFO:
			boot.has_meminfo = true;
			boot.mem_lower = rd32(p);
			boot.mem_upper = rd32(p + 4);
			break;
		case MB2_TAG_MMAP: {
			u32 esize = rd32(p);

			if (esize < 24)
				break;
			for (u32 e = 8; e + esize <= size - 8 && boot.nr_mmap < GUEST_MAX_MMAP;
			     e += esize)
				boot.mmap[boot.nr_mmap++] = (struct mmap_range){
					rd64(p + e), rd64(p + e + 8), rd32(p + e + 16) };
			break;
		}
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			boot.has_rsdp = true;
			break;
		}
		off += (size + 7) & ~7U;
	}
}

const char *cmdline_get(const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = boot.cmdline; *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = 0;

			p += klen + 1;
			while (p[n] && p[n] != ' ' && n + 1 < size) {
				buf[n] = p[n];
				n++;
			}
			buf[n] = 0;
			return buf;
		}
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

void guest_start(u32 magic, u32 info);
void guest_start(u32 magic, u32 info)
{
	trap_init();
	under_uhv = detect_uhv();
	boot.magic = magic;
	boot.info = info;
	parse_info();
	printf("guest: started %s, boot loader '%s', command line '%s'\n",
	       under_uhv ? "under uhv" : "natively (not under uhv)", boot.loader_name,
	       boot.cmdline);
	guest_main();
	test_finish();
}
