/* console= beyond the legacy ports (those are in options.c): pci, [SSSS:]BB:DD.F, mmio,0xADDR,
 * mmio32,0xADDR and spcr, each with an optional ,BAUD; and the PCI address syntax that nic=
 * shares. Pure: the host unit test (test/unit/test_uart16550.c) checks it. */
#include <uhv/options.h>
#include <uhv/cmdline.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include <uhv/string.h>

#define UART_CLOCK_BAUD 115200

static size_t find_char(const char *s, size_t len, char c)
{
	size_t i = 0;
	while (i < len && s[i] != c)
		i++;
	return i;
}

int options_parse_bdf(const char *val, size_t len, u16 *seg_out, u8 *bus_out, u8 *dev_out,
		      u8 *fn_out)
{
	u64 seg = 0, bus, dev, fn;

	if (!val)
		return -EINVAL;
	size_t dot = find_char(val, len, '.');
	if (dot == len || cmdline_parse_hex(val + dot + 1, len - dot - 1, 7, &fn))
		return -EINVAL;
	/* [SSSS:]BB:DD before the dot */
	size_t c1 = find_char(val, dot, ':');
	if (c1 == dot)
		return -EINVAL;
	size_t c2 = c1 + 1 + find_char(val + c1 + 1, dot - c1 - 1, ':');
	if (c2 < dot) {
		if (cmdline_parse_hex(val, c1, 0xffff, &seg) ||
		    cmdline_parse_hex(val + c1 + 1, c2 - c1 - 1, 0xff, &bus) ||
		    cmdline_parse_hex(val + c2 + 1, dot - c2 - 1, 0x1f, &dev))
			return -EINVAL;
	} else if (cmdline_parse_hex(val, c1, 0xff, &bus) ||
		   cmdline_parse_hex(val + c1 + 1, dot - c1 - 1, 0x1f, &dev)) {
		return -EINVAL;
	}
	*seg_out = (u16)seg;
	*bus_out = (u8)bus;
	*dev_out = (u8)dev;
	*fn_out = (u8)fn;
	return 0;
}

/* ",BAUD" after the device, or nothing (0: keep the firmware's speed) */
static int parse_baud(const char *s, size_t len, u32 *baud)
{
	u64 b;

	*baud = 0;
	if (!len)
		return 0;
	if (s[0] != ',' || cmdline_parse_u64(s + 1, len - 1, &b) || b == 0 ||
	    b > UART_CLOCK_BAUD || UART_CLOCK_BAUD % b)
		return -EINVAL;
	*baud = (u32)b;
	return 0;
}

/* mmio,0xADDR / mmio32,0xADDR: the address must be hex, nonzero and 4-byte aligned for dword
 * registers. */
static int parse_mmio(const char *val, size_t len, bool wide, struct uhv_options *o)
{
	size_t start = wide ? 7 : 5;	/* after "mmio32," / "mmio," */
	size_t end = start + find_char(val + start, len - start, ',');
	u64 addr;
	u32 baud;

	if (end - start < 3 || val[start] != '0' || (val[start + 1] | 0x20) != 'x' ||
	    cmdline_parse_u64(val + start, end - start, &addr) || !addr ||
	    (wide && (addr & 3)) || parse_baud(val + end, len - end, &baud))
		return -EINVAL;
	o->console_kind = wide ? UHV_CONSOLE_MMIO32 : UHV_CONSOLE_MMIO;
	o->console_addr = addr;
	o->console_baud = baud;
	return 0;
}

static bool starts_with(const char *val, size_t len, const char *word)
{
	size_t n = 0;

	while (word[n])
		n++;
	return len >= n && !memcmp(val, word, n);
}

int options_parse_console(const char *val, size_t len, struct uhv_options *o)
{
	size_t comma;
	u32 baud;

	if (!val)
		return -EINVAL;
	comma = find_char(val, len, ',');
	if (starts_with(val, len, "mmio32,"))
		return parse_mmio(val, len, true, o);
	if (starts_with(val, len, "mmio,"))
		return parse_mmio(val, len, false, o);
	if (parse_baud(val + comma, len - comma, &baud) < 0)
		return -EINVAL;
	if (cmdline_val_is(val, comma, "pci") || cmdline_val_is(val, comma, "spcr")) {
		o->console_kind = val[0] == 'p' ? UHV_CONSOLE_PCI : UHV_CONSOLE_SPCR;
		o->console_baud = baud;
		return 0;
	}
	if (options_parse_bdf(val, comma, &o->console_seg, &o->console_bus, &o->console_dev,
			      &o->console_fn) < 0)
		return -EINVAL;
	o->console_kind = UHV_CONSOLE_PCI_BDF;
	o->console_baud = baud;
	return 0;
}

const char *options_console_name(const struct uhv_options *o, char *buf, size_t cap)
{
	char baud[16] = "";

	if (o->console_baud)
		ksnprintf(baud, sizeof(baud), ",%u", o->console_baud);
	switch (o->console_kind) {
	case UHV_CONSOLE_PCI:
		ksnprintf(buf, cap, "pci%s", baud);
		break;
	case UHV_CONSOLE_SPCR:
		ksnprintf(buf, cap, "spcr%s", baud);
		break;
	case UHV_CONSOLE_PCI_BDF:
		ksnprintf(buf, cap, "%04x:%02x:%02x.%x%s", o->console_seg, o->console_bus,
			  o->console_dev, o->console_fn, baud);
		break;
	case UHV_CONSOLE_MMIO:
	case UHV_CONSOLE_MMIO32:
		ksnprintf(buf, cap, "%s,%#llx%s", o->console_kind == UHV_CONSOLE_MMIO ? "mmio" :
			  "mmio32", o->console_addr, baud);
		break;
	default:
		ksnprintf(buf, cap, "0x%x,%u", o->console_port, o->console_baud);
		break;
	}
	return buf;
}
