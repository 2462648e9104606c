/* nictest's isolation checks (command-line word hostile=1; under uhv only): what a guest that
 * was given one NIC can reach of the rest of the machine. test/system/51-nic-isolation.sh runs
 * them in Bochs, the nested q35 case adds the ECAM window.
 *
 *   iso-hidden-cfg    bus 0 through 0xCF8/0xCFC shows only the host bridge, the ISA bridge and
 *                     the NIC; everything else reads all-ones
 *   iso-hidden-io     hidden-io=PORT: a hidden device's I/O BAR reads all-ones
 *   iso-hidden-mmio   hidden-mmio=ADDR: a hidden device's memory BAR is not in the EPT (the read
 *                     exits and uhv answers it as unassigned space: all-ones)
 *   iso-bar-*         moving the NIC's BAR0 onto uhv's memory, guest RAM or the LAPIC is refused
 *                     (the BAR reads back where it was and the NIC still answers there)
 *   iso-bar-move      bar-move=ADDR: a move to free address space is carried out, the old range
 *                     leaves the EPT, the rest of the run uses the NIC at the new address
 *   iso-ecam-*        ecam=ADDR (the MCFG base): the ECAM window agrees with the ports for every
 *                     function of bus 0, hidden functions read all-ones, loads of 1/2/4 bytes
 *                     and byte stores are emulated */
#include "nic.h"
#include <uhv/pci.h>

#define HOOK_UHV_ADDR	1
#define HOOK_EPT_SKIP	2
#define HOOK_EPT_COUNT	3
#define MOV_LEN		2	/* "mov (%edx),%eax" = 8b 02 */
#define UNTOUCHED	0xdeadbeef

static u32 opt_hex(const char *key)
{
	char buf[24];
	u32 v = 0;

	if (!cmdline_get(key, buf, sizeof(buf)))
		return 0;
	const char *p = buf;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (;; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		v = v << 4 | d;
	}
	return v;
}

/* A load with a known length, so uhv's EPT-violation skip can step over it. */
static u32 raw_read32(u32 addr)
{
	u32 v = UNTOUCHED;

	asm volatile(".byte 0x8b, 0x02" : "+a"(v) : "d"(addr) : "memory");
	return v;
}

static u32 exit_count(void)
{
	return (u32)hc(UHV_HC_EXIT_COUNT, 0xffffffffu, 0);
}

static void pci_cfg_write32(u8 bus, u8 dev, u8 fn, u8 off, u32 v)
{
	outl(0xcf8, 0x80000000u | (u32)bus << 16 | (u32)dev << 11 | (u32)fn << 8 | (off & 0xfc));
	outl(0xcfc, v);
}

static void check_hidden_cfg(const struct nic *n)
{
	unsigned visible = 0, bad = 0;
	char list[160];
	int o = 0;

	list[0] = 0;
	for (u8 dev = 0; dev < 32; dev++) {
		for (u8 fn = 0; fn < 8; fn++) {
			u32 id = pci_cfg_read32(0, dev, fn, PCI_VENDOR_ID);
			if (id == 0xffffffff)
				continue;
			u32 cls = pci_cfg_read32(0, dev, fn, PCI_REVISION_ID) >> 16;
			bool ok = (dev == 0 && fn == 0) || cls == 0x0601 ||
				(dev == n->dev && fn == n->fn && n->bus == 0);
			visible++;
			if (!ok)
				bad++;
			if (o < (int)sizeof(list) - 24)
				o += snprintf(list + o, sizeof(list) - o, " 00:%02x.%u(%04x)",
					      dev, fn, cls);
		}
	}
	printf("guest: iso: functions visible on bus 0:%s\n", list);
	test_check("iso-hidden-cfg", bad == 0 && visible <= 3,
		   "%u functions visible, %u of them neither host bridge, ISA bridge nor the NIC",
		   visible, bad);
}

static void check_hidden_io(void)
{
	u32 port = opt_hex("hidden-io");

	if (!port) {
		test_skip("iso-hidden-io", "no hidden-io=PORT given");
		return;
	}
	u32 d = inl((u16)port);
	u8 b = inb((u16)(port + 2));
	test_check("iso-hidden-io", d == 0xffffffff && b == 0xff,
		   "ports 0x%x: read 0x%x / 0x%x, want all-ones", port, d, b);
}

/* Reads addr: true if uhv answered the read as it answers unassigned space (all-ones, one exit
 * beyond the hypercalls that count them): the range is not mapped for the guest. */
static bool unreachable(u32 addr, u32 *val)
{
	u32 n0 = exit_count(), base = exit_count() - n0, n1 = exit_count();

	*val = raw_read32(addr);
	return exit_count() - n1 - base == 1 && *val == 0xffffffff;
}

static void check_hidden_mmio(void)
{
	u32 addr = opt_hex("hidden-mmio"), v;

	if (!addr) {
		test_skip("iso-hidden-mmio", "no hidden-mmio=ADDR given");
		return;
	}
	bool gone = unreachable(addr, &v);
	test_check("iso-hidden-mmio", gone,
		   "read of a hidden device's BAR at 0x%x returned 0x%x, not uhv's all-ones",
		   addr, v);
}

static u32 bar0(const struct nic *n)
{
	return pci_cfg_read32(n->bus, n->dev, n->fn, PCI_BAR0);
}

/* Try to put BAR0 at addr; true if the BAR still reads old and the NIC answers there. */
static bool move_refused(const struct nic *n, const char *name, u32 addr)
{
	u32 old = bar0(n);

	pci_cfg_write32(n->bus, n->dev, n->fn, PCI_BAR0, addr);
	u32 now = bar0(n);
	u32 status = raw_read32((old & ~0xfu) + E1000_STATUS);
	return test_check(name, now == old && status != 0xffffffff && status != UNTOUCHED,
			  "BAR0 0x%x -> 0x%x: reads 0x%x afterwards, STATUS 0x%x at the old "
			  "address",
			  old, addr, now, status);
}

static void check_bars(const struct nic *n)
{
	struct hc_result r = hypercall(UHV_HC_TEST_HOOK, HOOK_UHV_ADDR, 0, 0, 0);
	u32 size_mask = 0xfffe0000;	/* 128 KiB: every e1000 this guest drives */

	if (r.eax == 0 && r.ecx == 0)
		move_refused(n, "iso-bar-over-uhv", r.ebx & size_mask);
	else
		test_skip("iso-bar-over-uhv", "uhv's address is unknown or above 4 GiB");
	move_refused(n, "iso-bar-over-ram", (u32)(uintptr_t)__image_start & size_mask);
	move_refused(n, "iso-bar-over-lapic", 0xfee00000);

	u32 to = opt_hex("bar-move");
	if (!to) {
		test_skip("iso-bar-move", "no bar-move=ADDR given");
		return;
	}
	u32 old = bar0(n) & ~0xfu, v;
	pci_cfg_write32(n->bus, n->dev, n->fn, PCI_BAR0, to);
	u32 now = bar0(n) & ~0xfu;
	u32 status = raw_read32(now + E1000_STATUS);
	bool gone = unreachable(old + E1000_STATUS, &v);
	test_check("iso-bar-move",
		   now == to && status != 0xffffffff && status != UNTOUCHED && gone,
		   "BAR0 0x%x -> 0x%x: reads 0x%x, STATUS there 0x%x, old address %s", old, to,
		   now, status, gone ? "unmapped" : "still reachable");
}

/* ---- ECAM ----------------------------------------------------------------------------------- */

static volatile u8 *ecam_fn(u32 base, u8 bus, u8 dev, u8 fn)
{
	return (volatile u8 *)(uintptr_t)(base + ((u32)bus << 20) + ((u32)dev << 15) +
					  ((u32)fn << 12));
}

static void check_ecam(const struct nic *n)
{
	u32 base = opt_hex("ecam");

	if (!base) {
		test_skip("iso-ecam", "no ecam=ADDR given (the platform has no MCFG)");
		return;
	}
	unsigned differ = 0, visible = 0;
	for (u8 dev = 0; dev < 32; dev++) {
		for (u8 fn = 0; fn < 8; fn++) {
			u32 e = *(volatile u32 *)ecam_fn(base, 0, dev, fn);
			u32 p = pci_cfg_read32(0, dev, fn, PCI_VENDOR_ID);
			if (e != p) {
				differ++;
				printf("guest: iso: 00:%02x.%u id via ECAM 0x%x, via ports 0x%x\n",
				       dev, fn, e, p);
			}
			if (e != 0xffffffff)
				visible++;
		}
	}
	test_check("iso-ecam-consistent", differ == 0 && visible <= 3,
		   "%u functions differ between ECAM and ports, %u visible", differ, visible);

	volatile u8 *f = ecam_fn(base, n->bus, n->dev, n->fn);
	u32 id = pci_cfg_read32(n->bus, n->dev, n->fn, PCI_VENDOR_ID);
	u16 vendor = *(volatile u16 *)f, device = *(volatile u16 *)(f + 2);
	u8 cls = f[PCI_CLASS];
	test_check("iso-ecam-sizes", vendor == (u16)id && device == id >> 16 && cls == 0x02,
		   "16-bit reads 0x%x:0x%x, 8-bit class 0x%x (ports: 0x%x)", vendor, device, cls,
		   id);

	u8 line = f[PCI_INTERRUPT_LINE];
	f[PCI_INTERRUPT_LINE] = (u8)(line ^ 0x5a);	/* the scratch byte the guest may write */
	u8 back = (u8)(pci_cfg_read32(n->bus, n->dev, n->fn, PCI_INTERRUPT_LINE & ~3) >> 0);
	f[PCI_INTERRUPT_LINE] = line;
	test_check("iso-ecam-write", back == (u8)(line ^ 0x5a),
		   "byte store through ECAM: ports read 0x%x, want 0x%x", back, line ^ 0x5a);
}

void nic_hostile(const struct nic *n)
{
	if (!under_uhv) {
		test_skip("iso", "not under uhv");
		return;
	}
	if (hc(UHV_HC_TEST_HOOK, HOOK_EPT_SKIP, MOV_LEN) != 0) {
		test_skip("iso", "the EPT-violation skip hook is not available");
		return;
	}
	check_hidden_cfg(n);
	check_hidden_io();
	check_hidden_mmio();
	check_bars(n);
	check_ecam(n);
	hc(UHV_HC_TEST_HOOK, HOOK_EPT_SKIP, 0);
}
