/* Decoding of the machine-check registers for uhv's #MC report (<uhv/mca.h>). Pure C, no
 * hardware access, unit-tested on the host (test/unit/test_mca.c). */
#include <uhv/mca.h>
#include <uhv/hw/mca.h>
#include <uhv/format.h>

struct flag {
	u64 bit;
	const char *name;
};

static int flags_text(u64 v, const struct flag *f, unsigned n, char *buf, size_t size)
{
	int len = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!(v & f[i].bit))
			continue;
		size_t at = (size_t)len < size ? (size_t)len : size;
		len += ksnprintf(buf + at, size - at, "%s%s", len ? " " : "", f[i].name);
	}
	if (!len)
		len = ksnprintf(buf, size, "none");
	return len;
}

int mca_mcg_status_text(u64 mcg_status, char *buf, size_t size)
{
	static const struct flag f[] = {
		{ MCG_STATUS_RIPV, "RIPV" }, { MCG_STATUS_EIPV, "EIPV" },
		{ MCG_STATUS_MCIP, "MCIP" }, { MCG_STATUS_LMCE_S, "LMCE_S" },
	};
	return flags_text(mcg_status, f, sizeof(f) / sizeof(f[0]), buf, size);
}

/* Simple error codes (SDM Vol. 3B Table 16-19) and the compound classes (Table 16-20), which
 * ignore the filter bit 12. */
const char *mca_code_class(unsigned code)
{
	static const char *const simple[] = {
		"no error", "unclassified error", "microcode ROM parity error",
		"external error (BINIT# from another processor)", "FRC error",
		"internal parity error", "SMM handler code access violation",
	};
	unsigned c = code & 0xffff & ~0x1000u;

	if (code < sizeof(simple) / sizeof(simple[0]))
		return simple[code];
	if (code == 0x0400)
		return "internal timer error";
	if (code == 0x0e0b)
		return "I/O error";
	if ((code & 0xfc00) == 0x0400)
		return "internal unclassified error";
	if ((c & 0xfffc) == 0x000c)
		return "generic cache hierarchy error";
	if ((c & 0xfff0) == 0x0010)
		return "TLB error";
	if ((c & 0xff80) == 0x0080)
		return "memory controller error";
	if ((c & 0xff00) == 0x0100)
		return "cache hierarchy error";
	if ((c & 0xf800) == 0x0800)
		return "bus and interconnect error";
	return "unknown error class";
}

int mca_bank_status_text(u64 status, bool ser_p, char *buf, size_t size)
{
	static const struct flag f[] = {
		{ MCI_STATUS_VAL, "VAL" }, { MCI_STATUS_OVER, "OVER" }, { MCI_STATUS_UC, "UC" },
		{ MCI_STATUS_EN, "EN" }, { MCI_STATUS_MISCV, "MISCV" },
		{ MCI_STATUS_ADDRV, "ADDRV" }, { MCI_STATUS_PCC, "PCC" },
		{ MCI_STATUS_S, "S" }, { MCI_STATUS_AR, "AR" },
	};
	u64 shown = ser_p ? status : status & ~(MCI_STATUS_S | MCI_STATUS_AR);
	int len = flags_text(shown, f, sizeof(f) / sizeof(f[0]), buf, size);
	size_t at = (size_t)len < size ? (size_t)len : size;

	return len + ksnprintf(buf + at, size - at, ", %s (code %#06x, model %#06x)",
			       mca_code_class(MCI_STATUS_MCA_CODE(status)),
			       MCI_STATUS_MCA_CODE(status), MCI_STATUS_MODEL_CODE(status));
}
