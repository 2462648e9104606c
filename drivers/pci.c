/* PCI enumeration, BAR sizing, capability walk, class names. Pure: config space is reached only
 * through struct pci_cfg_ops (drivers/pci_cfg.c on hardware, a fake in test/unit/test_pci.c). */
#define LOG_MODULE "pci"
#include <uhv/pci.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/log.h>
#include <uhv/string.h>

static u32 cfg_read(const struct pci_cfg_ops *ops, u16 seg, u8 bus, u8 dev, u8 fn, u16 off)
{
	return ops->read32(ops->ctx, seg, bus, dev, fn, off & ~3);
}

static void cfg_write(const struct pci_cfg_ops *ops, u16 seg, u8 bus, u8 dev, u8 fn, u16 off,
		      u32 val)
{
	ops->write32(ops->ctx, seg, bus, dev, fn, off & ~3, val);
}

u32 pci_read32(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 off)
{
	return cfg_read(ops, d->seg, d->bus, d->dev, d->fn, off);
}

u16 pci_read16(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 off)
{
	return (u16)(pci_read32(ops, d, off) >> ((off & 2) * 8));
}

u8 pci_read8(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 off)
{
	return (u8)(pci_read32(ops, d, off) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 off, u32 val)
{
	cfg_write(ops, d->seg, d->bus, d->dev, d->fn, off, val);
}

/* The status register shares the dword and its error bits are write-1-to-clear: writing zeros
 * there leaves them alone. */
void pci_write_command(const struct pci_cfg_ops *ops, const struct pci_dev *d, u16 cmd)
{
	pci_write32(ops, d, PCI_COMMAND, cmd);
}

/* A bounded walk: a broken or looping list must not hang the boot. 48 = (256 - 64) / 4. */
#define CAP_WALK_MAX 48

u8 pci_find_cap(const struct pci_cfg_ops *ops, const struct pci_dev *d, u8 cap_id, u8 after)
{
	if (!(pci_read16(ops, d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	if (d->header_type != PCI_HEADER_NORMAL && d->header_type != PCI_HEADER_BRIDGE)
		return 0;
	u8 ptr = after ? pci_read8(ops, d, after + 1) : pci_read8(ops, d, PCI_CAP_PTR);
	for (int i = 0; i < CAP_WALK_MAX; i++) {
		ptr &= 0xfc;
		if (ptr < 0x40)
			return 0;
		u32 v = pci_read32(ops, d, ptr);
		if ((v & 0xff) == cap_id)
			return ptr;
		ptr = (u8)(v >> 8);
	}
	return 0;
}

static void walk_caps(const struct pci_cfg_ops *ops, struct pci_dev *d, u16 status)
{
	if (!(status & PCI_STATUS_CAP_LIST))
		return;
	if (d->header_type != PCI_HEADER_NORMAL && d->header_type != PCI_HEADER_BRIDGE)
		return;
	u8 ptr = pci_read8(ops, d, PCI_CAP_PTR);
	for (int i = 0; i < CAP_WALK_MAX; i++) {
		ptr &= 0xfc;
		if (ptr < 0x40)
			return;
		u32 v = pci_read32(ops, d, ptr);
		switch (v & 0xff) {
		case PCI_CAP_ID_PM: d->cap_pm = d->cap_pm ? d->cap_pm : ptr; break;
		case PCI_CAP_ID_MSI: d->cap_msi = d->cap_msi ? d->cap_msi : ptr; break;
		case PCI_CAP_ID_MSIX: d->cap_msix = d->cap_msix ? d->cap_msix : ptr; break;
		case PCI_CAP_ID_PCIE: d->cap_pcie = d->cap_pcie ? d->cap_pcie : ptr; break;
		}
		ptr = (u8)(v >> 8);
	}
	pr_warn("%02x:%02x.%u: capability list longer than %d entries (loop?); stopped\n", d->bus,
		d->dev, d->fn, CAP_WALK_MAX);
}

/* Size BAR i by writing all-ones and reading back; returns the number of slots it used. */
static int size_bar(const struct pci_cfg_ops *ops, struct pci_dev *d, int i)
{
	u16 off = PCI_BAR0 + 4 * i;
	struct pci_bar *b = &d->bar[i];
	u32 orig = pci_read32(ops, d, off);

	memset(b, 0, sizeof(*b));
	if (orig & PCI_BAR_IO_FLAG) {
		pci_write32(ops, d, off, 0xffffffff);
		u32 mask = pci_read32(ops, d, off) & ~3u;
		pci_write32(ops, d, off, orig);
		if (mask == 0)
			return 1;
		/* 16-bit I/O decoders hardwire the upper half to 0. */
		if (!(mask & 0xffff0000))
			mask |= 0xffff0000;
		b->type = PCI_BAR_IO;
		b->base = orig & ~3u;
		b->size = (u32)(~mask + 1);
		return 1;
	}

	u32 type = orig & PCI_BAR_MEM_TYPE_MASK;
	if (type == PCI_BAR_MEM_TYPE_64) {
		if (i + 1 >= d->nbars) {
			pr_warn("%02x:%02x.%u: BAR%d claims 64 bits but is the last BAR; "
				"ignoring it\n", d->bus, d->dev, d->fn, i);
			return 1;
		}
		u32 orig_hi = pci_read32(ops, d, off + 4);
		pci_write32(ops, d, off, 0xffffffff);
		pci_write32(ops, d, off + 4, 0xffffffff);
		u32 lo = pci_read32(ops, d, off);
		u32 hi = pci_read32(ops, d, off + 4);
		pci_write32(ops, d, off, orig);
		pci_write32(ops, d, off + 4, orig_hi);
		u64 mask = ((u64)hi << 32) | (lo & ~0xfu);
		memset(&d->bar[i + 1], 0, sizeof(d->bar[i + 1]));
		if (mask == 0)
			return 2;
		b->type = PCI_BAR_MEM64;
		b->base = ((u64)orig_hi << 32) | (orig & ~0xfu);
		b->size = ~mask + 1;
		b->prefetch = orig & PCI_BAR_MEM_PREFETCH;
		return 2;
	}
	if (type == 0x6) {
		pr_warn("%02x:%02x.%u: BAR%d has the reserved memory type 3; ignoring it\n", d->bus,
			d->dev, d->fn, i);
		return 1;
	}
	/* type 0 (32-bit) or 1 (below 1 MiB, PCI 2.x): both 32-bit */
	pci_write32(ops, d, off, 0xffffffff);
	u32 mask = pci_read32(ops, d, off) & ~0xfu;
	pci_write32(ops, d, off, orig);
	if (mask == 0)
		return 1;
	b->type = PCI_BAR_MEM32;
	b->base = orig & ~0xfu;
	b->size = (u32)(~mask + 1);
	b->prefetch = orig & PCI_BAR_MEM_PREFETCH;
	return 1;
}

/* Sizing briefly moves each BAR to an all-ones address; decode is off meanwhile so the
 * function cannot claim cycles meant for another device. This runs once at boot before any
 * driver uses the function. */
static void size_bars(const struct pci_cfg_ops *ops, struct pci_dev *d)
{
	if (d->nbars == 0)
		return;
	u16 decode = d->command & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	if (decode)
		pci_write_command(ops, d, d->command & ~decode);
	for (int i = 0; i < d->nbars;)
		i += size_bar(ops, d, i);
	if (decode)
		pci_write_command(ops, d, d->command);
}

static void bitmap_set(u8 *map, u8 bit) { map[bit / 8] |= (u8)(1 << (bit % 8)); }
static bool bitmap_test(const u8 *map, u8 bit) { return map[bit / 8] & (1 << (bit % 8)); }

/* Record one present function. Returns its entry, or NULL when the table is full. */
static struct pci_dev *add_function(struct pci *p, u16 seg, u8 bus, u8 dev, u8 fn, u32 id)
{
	const struct pci_cfg_ops *ops = p->ops;

	if (p->count == p->cap && !p->overflow) {
		unsigned cap = p->cap;
		struct pci_dev *devs = p->grow ? p->grow(p, &cap) : NULL;

		if (devs && cap > p->count) {
			p->devs = devs;
			p->cap = cap;
		}
	}
	if (p->count == p->cap) {
		/* fail closed: a function uhv does not know it cannot hide from the guest */
		if (p->overflow++ == 0)
			pr_err("PCI functions: no memory to record more than %u (%zu bytes each), "
			       "%02x:%02x.%u and later ones not recorded; uhv will not start the "
			       "guest (boot with a larger uhvmem=)\n", p->count,
			       sizeof(struct pci_dev), bus, dev, fn);
		return NULL;
	}
	struct pci_dev *d = &p->devs[p->count++];
	memset(d, 0, sizeof(*d));
	d->seg = seg;
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = (u16)id;
	d->device = (u16)(id >> 16);

	u32 cls = pci_read32(ops, d, PCI_REVISION_ID);
	d->revision = (u8)cls;
	d->prog_if = (u8)(cls >> 8);
	d->subclass = (u8)(cls >> 16);
	d->class = (u8)(cls >> 24);
	u8 ht = pci_read8(ops, d, PCI_HEADER_TYPE);
	d->header_type = ht & PCI_HEADER_TYPE_MASK;
	d->multifunction = ht & PCI_HEADER_MULTIFUNC;
	u32 cmdsts = pci_read32(ops, d, PCI_COMMAND);
	d->command = (u16)cmdsts;

	switch (d->header_type) {
	case PCI_HEADER_NORMAL:
		d->nbars = 6;
		break;
	case PCI_HEADER_BRIDGE: {
		d->nbars = 2;
		u32 buses = pci_read32(ops, d, PCI_PRIMARY_BUS);
		d->secondary_bus = (u8)(buses >> 8);
		d->subordinate_bus = (u8)(buses >> 16);
		break;
	}
	default:
		d->nbars = 0;	/* CardBus and unknown layouts: only the common part is read */
		break;
	}
	if (d->header_type <= PCI_HEADER_BRIDGE) {
		u32 irq = pci_read32(ops, d, PCI_INTERRUPT_LINE);
		d->irq_line = (u8)irq;
		d->irq_pin = (u8)(irq >> 8);
	}
	size_bars(ops, d);
	walk_caps(ops, d, (u16)(cmdsts >> 16));
	return d;
}

static bool present(u32 id)
{
	return (id & 0xffff) != 0xffff && (id & 0xffff) != 0;
}

/* Scan one bus; bridges found append their secondary bus to the work queue. */
static void scan_bus(struct pci *p, u16 seg, u8 bus, u8 bus_start, u8 bus_end, u8 *queue,
		     unsigned *tail)
{
	for (u8 dev = 0; dev < 32; dev++) {
		u32 id = cfg_read(p->ops, seg, bus, dev, 0, PCI_VENDOR_ID);
		if (!present(id))
			continue;
		u8 ht = (u8)(cfg_read(p->ops, seg, bus, dev, 0, PCI_HEADER_TYPE) >> 16);
		u8 nfn = (ht & PCI_HEADER_MULTIFUNC) ? 8 : 1;
		for (u8 fn = 0; fn < nfn; fn++) {
			if (fn)
				id = cfg_read(p->ops, seg, bus, dev, fn, PCI_VENDOR_ID);
			if (!present(id))
				continue;
			struct pci_dev *d = add_function(p, seg, bus, dev, fn, id);
			if (!d || d->header_type != PCI_HEADER_BRIDGE)
				continue;
			u8 sec = d->secondary_bus;
			if (sec == 0 || sec <= bus) {
				pr_warn("%02x:%02x.%u: bridge has secondary bus %u (not assigned "
					"by firmware?); not scanning behind it\n", bus, dev, fn,
					sec);
				continue;
			}
			if (sec < bus_start || sec > bus_end || bitmap_test(p->scanned, sec))
				continue;
			bitmap_set(p->scanned, sec);
			queue[(*tail)++] = sec;
		}
	}
}

int pci_scan(struct pci *p, const struct pci_cfg_ops *ops, u16 seg, u8 bus_start, u8 bus_end,
	     unsigned flags)
{
	u8 queue[256];
	unsigned head = 0, tail = 0;

	if (bus_end < bus_start)
		return -EINVAL;
	p->ops = ops;
	memset(p->scanned, 0, sizeof(p->scanned));
	/* Breadth-first through bridges: no recursion, and each bus is queued at most once. */
	bitmap_set(p->scanned, bus_start);
	queue[tail++] = bus_start;
	for (;;) {
		while (head < tail)
			scan_bus(p, seg, queue[head++], bus_start, bus_end, queue, &tail);
		if (!(flags & PCI_SCAN_ALL_BUSES))
			break;
		/* Buses below other host bridges are not reachable from bus_start. */
		for (unsigned b = bus_start; b <= bus_end && head == tail; b++) {
			if (!bitmap_test(p->scanned, (u8)b)) {
				bitmap_set(p->scanned, (u8)b);
				queue[tail++] = (u8)b;
			}
		}
		if (head == tail)
			break;
	}
	return p->overflow ? -ENOSPC : (int)p->count;
}

/* --- lookup ---------------------------------------------------------------------------------- */

const struct pci_dev *pci_find_class(const struct pci *p, u8 class, u8 subclass, unsigned index)
{
	for (unsigned i = 0; i < p->count; i++) {
		const struct pci_dev *d = &p->devs[i];
		if (d->class == class && (subclass == PCI_ANY || d->subclass == subclass) &&
		    index-- == 0)
			return d;
	}
	return NULL;
}

const struct pci_dev *pci_find_bdf(const struct pci *p, u16 seg, u8 bus, u8 dev, u8 fn)
{
	for (unsigned i = 0; i < p->count; i++) {
		const struct pci_dev *d = &p->devs[i];
		if (d->seg == seg && d->bus == bus && d->dev == dev && d->fn == fn)
			return d;
	}
	return NULL;
}

const struct pci_dev *pci_find_id(const struct pci *p, u16 vendor, u16 device, unsigned index)
{
	for (unsigned i = 0; i < p->count; i++) {
		const struct pci_dev *d = &p->devs[i];
		if (d->vendor == vendor && d->device == device && index-- == 0)
			return d;
	}
	return NULL;
}

/* --- names and printing ---------------------------------------------------------------------- */

struct class_name {
	u8 class, subclass;	/* subclass PCI_ANY: name of the whole class */
	const char *name;
};

static const struct class_name class_names[] = {
	{ 0x00, 0x01, "VGA-compatible" },
	{ 0x00, PCI_ANY, "Unclassified" },
	{ 0x01, 0x00, "SCSI" },
	{ 0x01, 0x01, "IDE" },
	{ 0x01, 0x02, "Floppy" },
	{ 0x01, 0x04, "RAID" },
	{ 0x01, 0x05, "ATA" },
	{ 0x01, 0x06, "SATA" },
	{ 0x01, 0x07, "SAS" },
	{ 0x01, 0x08, "NVM" },
	{ 0x01, PCI_ANY, "Storage" },
	{ 0x02, 0x00, "Ethernet" },
	{ 0x02, PCI_ANY, "Network" },
	{ 0x03, 0x00, "VGA" },
	{ 0x03, 0x02, "3D controller" },
	{ 0x03, PCI_ANY, "Display" },
	{ 0x04, 0x01, "Audio" },
	{ 0x04, 0x03, "HD Audio" },
	{ 0x04, PCI_ANY, "Multimedia" },
	{ 0x05, PCI_ANY, "Memory" },
	{ 0x06, 0x00, "Host bridge" },
	{ 0x06, 0x01, "ISA bridge" },
	{ 0x06, 0x04, "PCI bridge" },
	{ 0x06, 0x07, "CardBus bridge" },
	{ 0x06, PCI_ANY, "Bridge" },
	{ 0x07, 0x00, "Serial" },
	{ 0x07, PCI_ANY, "Communication" },
	{ 0x08, 0x00, "PIC" },
	{ 0x08, 0x01, "DMA" },
	{ 0x08, 0x02, "Timer" },
	{ 0x08, 0x03, "RTC" },
	{ 0x08, 0x05, "SD host" },
	{ 0x08, 0x06, "IOMMU" },
	{ 0x08, PCI_ANY, "System peripheral" },
	{ 0x09, PCI_ANY, "Input" },
	{ 0x0b, PCI_ANY, "Processor" },
	{ 0x0c, 0x03, "USB" },
	{ 0x0c, 0x05, "SMBus" },
	{ 0x0c, PCI_ANY, "Serial bus" },
	{ 0x0d, PCI_ANY, "Wireless" },
	{ 0x10, PCI_ANY, "Encryption" },
	{ 0x11, PCI_ANY, "Signal processing" },
	{ 0x12, PCI_ANY, "Accelerator" },
	{ 0xff, PCI_ANY, "Unassigned" },
};

const char *pci_class_name(u8 class, u8 subclass)
{
	const char *fallback = "unknown";

	for (size_t i = 0; i < ARRAY_SIZE(class_names); i++) {
		const struct class_name *c = &class_names[i];
		if (c->class != class)
			continue;
		if (c->subclass == subclass)
			return c->name;
		if (c->subclass == PCI_ANY)
			fallback = c->name;
	}
	return fallback;
}

static int format_size(char *buf, size_t size, u64 v)
{
	if (v && v % GiB(1) == 0)
		return ksnprintf(buf, size, "%lluG", (v >> 30));
	if (v && v % MiB(1) == 0)
		return ksnprintf(buf, size, "%lluM", (v >> 20));
	if (v && v % KiB(1) == 0)
		return ksnprintf(buf, size, "%lluK", (v >> 10));
	return ksnprintf(buf, size, "%llu", v);
}

int pci_format_dev(const struct pci_dev *d, char *buf, size_t size)
{
	static const char *const bar_types[] = { "none", "io", "mem32", "mem64" };
	size_t n = 0;

#define PUT(...) do { if (n < size) n += ksnprintf(buf + n, size - n, __VA_ARGS__); } while (0)
	if (d->seg)
		PUT("%04x:", d->seg);
	PUT("%02x:%02x.%u %04x:%04x class %02x%02x (%s)", d->bus, d->dev, d->fn, d->vendor,
	    d->device, d->class, d->subclass, pci_class_name(d->class, d->subclass));
	for (int i = 0; i < d->nbars; i++) {
		const struct pci_bar *b = &d->bar[i];
		if (b->type == PCI_BAR_NONE)
			continue;
		PUT(" BAR%d %s%s %#llx/", i, bar_types[b->type], b->prefetch ? " pref" : "",
		    b->base);
		if (n < size)
			n += format_size(buf + n, size - n, b->size);
	}
	if (d->header_type == PCI_HEADER_BRIDGE)
		PUT(" bus %02x-%02x", d->secondary_bus, d->subordinate_bus);
	if (d->irq_pin >= 1 && d->irq_pin <= 4)
		PUT(" irq %u INT%c", d->irq_line, 'A' + d->irq_pin - 1);
	if (d->cap_msi || d->cap_msix || d->cap_pcie) {
		PUT(" caps");
		const char *sep = " ";
		if (d->cap_pcie) { PUT("%sPCIe", sep); sep = ","; }
		if (d->cap_msi) { PUT("%sMSI", sep); sep = ","; }
		if (d->cap_msix) PUT("%sMSI-X", sep);
	}
#undef PUT
	return (int)(n < size ? n : size - 1);
}

void pci_print(const struct pci *p)
{
	char line[256];

	pr_info("%u PCI functions (config access: %s)\n", p->count,
		p->ops && p->ops->name ? p->ops->name : "?");
	for (unsigned i = 0; i < p->count; i++) {
		pci_format_dev(&p->devs[i], line, sizeof(line));
		pr_info("%s\n", line);
	}
	if (p->overflow)
		pr_err("%u more functions not recorded (no memory for the PCI function table)\n",
		       p->overflow);
}
