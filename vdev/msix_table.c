/* The MSI-X table emulation (see <uhv/msix_table.h>): the guest's view of each entry, and the
 * device's entry kept masked unless the guest's is live and acceptable. */
#include <uhv/msix_table.h>
#include <uhv/string.h>
#include <uhv/errno.h>

static void hw_write(struct msix_table *t, unsigned i, u32 reg, u32 val)
{
	t->hw->write32(t->hw->ctx, i * MSIX_ENTRY_SIZE + reg, val);
}

static void hw_mask(struct msix_table *t, unsigned i, bool masked)
{
	struct msix_entry *e = &t->e[i];

	if (e->hw_masked == masked)
		return;
	hw_write(t, i, MSIX_ENTRY_CTRL, masked ? MSIX_CTRL_MASKBIT : 0);
	e->hw_masked = masked;
}

void msix_table_init(struct msix_table *t, unsigned nvec, const struct msix_hw_ops *hw,
		     const struct msi_ops *msi)
{
	memset(t, 0, sizeof(*t));
	t->nvec = msix_table_visible(nvec);
	t->hw = hw;
	t->msi = msi;
	/* every entry of the device, also those the guest does not see: firmware or a boot
	 * loader may have left live ones */
	for (unsigned i = 0; i < nvec; i++)
		hw_write(t, i, MSIX_ENTRY_CTRL, MSIX_CTRL_MASKBIT);
	for (unsigned i = 0; i < t->nvec; i++) {
		t->e[i].ctrl = MSIX_CTRL_MASKBIT;
		t->e[i].hw_masked = true;
	}
}

/* Bring the device's entry i in line with the guest's. */
static void entry_sync(struct msix_table *t, unsigned i)
{
	struct msix_entry *e = &t->e[i];
	struct msi_msg guest = { (u64)e->addr_hi << 32 | e->addr_lo, e->data }, hw;

	if (e->ctrl & MSIX_CTRL_MASKBIT) {
		hw_mask(t, i, true);
		return;
	}
	if (msi_route(t->msi, "MSI-X entry", i, MSI_HANDLE_MSIX(i), &guest, &hw)) {
		hw_mask(t, i, true);
		t->refused++;
		return;
	}
	/* with remapping only the IRTE changes as a rule, and the device's message stays:
	 * the entry need not be masked for that (the IRTE update is atomic) */
	if (!e->hw_valid || e->hw.addr != hw.addr || e->hw.data != hw.data) {
		hw_mask(t, i, true);
		hw_write(t, i, MSIX_ENTRY_ADDR_LO, (u32)hw.addr);
		hw_write(t, i, MSIX_ENTRY_ADDR_HI, (u32)(hw.addr >> 32));
		hw_write(t, i, MSIX_ENTRY_DATA, hw.data);
		e->hw = hw;
		e->hw_valid = true;
		t->programmed++;
	}
	hw_mask(t, i, false);
}

static u32 *entry_reg(struct msix_entry *e, u32 reg)
{
	switch (reg) {
	case MSIX_ENTRY_ADDR_LO: return &e->addr_lo;
	case MSIX_ENTRY_ADDR_HI: return &e->addr_hi;
	case MSIX_ENTRY_DATA: return &e->data;
	default: return &e->ctrl;
	}
}

static void dword_write(struct msix_table *t, u32 off, u32 val)
{
	unsigned i = off / MSIX_ENTRY_SIZE;
	u32 reg = off % MSIX_ENTRY_SIZE;

	if (i >= t->nvec)
		return;
	/* address bits 1:0 are 0 (dword aligned); of vector control only the mask bit is
	 * implemented (the TPH steering tag needs the TPH capability, hidden) */
	if (reg == MSIX_ENTRY_ADDR_LO)
		val &= ~3u;
	else if (reg == MSIX_ENTRY_CTRL)
		val &= MSIX_CTRL_MASKBIT;
	*entry_reg(&t->e[i], reg) = val;
	entry_sync(t, i);
}

static u32 dword_read(struct msix_table *t, u32 off)
{
	unsigned i = off / MSIX_ENTRY_SIZE;

	return i < t->nvec ? *entry_reg(&t->e[i], off % MSIX_ENTRY_SIZE) : 0;
}

int msix_table_access(struct msix_table *t, u32 off, unsigned size, bool write, u64 *val)
{
	bool ok = (size == 4 || size == 8) && !(off & (size - 1));

	if (!ok && write) {
		t->bad_accesses++;
		return -EINVAL;
	}
	if (write) {
		/* a qword is the lower dword first: address low before high, data before the
		 * vector control that may unmask the entry */
		for (unsigned d = 0; d < size; d += 4)
			dword_write(t, off + d, (u32)(*val >> (8 * d)));
		return 0;
	}
	u64 v = 0;
	for (unsigned b = 0; b < size; b++) {
		u32 o = off + b;
		v |= (u64)((dword_read(t, o & ~3u) >> (8 * (o & 3))) & 0xff) << (8 * b);
	}
	*val = v;
	if (!ok)
		t->bad_accesses++;
	return 0;
}
