/* The MSI/MSI-X message policy (see <uhv/msi.h>, docs/interrupts.md): which messages of the
 * guest's NIC are interrupts the guest may have, and what the device is given for them. */
#include <uhv/msi.h>

static bool guest_cpu(const struct msi_cpus *c, u32 id)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->apic_id[i] == id)
			return true;
	return false;
}

/* The address half of msi_check. */
static const char *check_addr(const struct msi_msg *m, const struct msi_cpus *cpus,
			      struct msi_req *out)
{
	u32 lo = (u32)m->addr;

	if (m->addr >> 32)
		return "address above 4 GiB (not the interrupt window 0xfeexxxxx)";
	if ((lo & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE)
		return "address outside the interrupt window 0xfeexxxxx";
	if (lo & MSI_ADDR_IF_REMAP)
		return "remappable-format address (interrupt remapping entries are uhv's)";
	if (lo & MSI_ADDR_RESERVED)
		return "reserved address bits 11:5 set (extended destination ID)";
	out->dest = (lo & MSI_ADDR_DEST_MASK) >> MSI_ADDR_DEST_SHIFT;
	out->logical = lo & MSI_ADDR_DM_LOGICAL;
	if (out->logical) {
		if (!cpus->all)
			return "logical destination while uhv keeps CPUs the guest does not have";
		if (!out->dest)
			return "logical destination 0 (no CPU)";
		return NULL;
	}
	if (out->dest == 0xff)
		return "physical broadcast destination 0xff";
	if (!guest_cpu(cpus, out->dest))
		return "destination APIC ID is not one of the guest's CPUs";
	return NULL;
}

const char *msi_check(const struct msi_msg *m, const struct msi_cpus *cpus, struct msi_req *out)
{
	u32 dm = (m->data & MSI_DATA_DM_MASK) >> MSI_DATA_DM_SHIFT;
	const char *why;

	*out = (struct msi_req){ 0 };
	if (dm != MSI_DM_FIXED && dm != MSI_DM_LOWEST)
		return "delivery mode other than fixed or lowest priority (SMI, NMI, INIT, "
		       "ExtINT or reserved)";
	if (m->data & MSI_DATA_TRIGGER_LEVEL)
		return "level-triggered message";
	if (m->data & ~(MSI_DATA_VECTOR_MASK | MSI_DATA_DM_MASK | MSI_DATA_LEVEL))
		return "reserved data bits set";
	if ((m->data & MSI_DATA_VECTOR_MASK) < MSI_VECTOR_FIRST)
		return "illegal vector 0-15";
	why = check_addr(m, cpus, out);
	if (why)
		return why;
	out->vector = (u8)m->data;
	out->lowest = dm == MSI_DM_LOWEST;
	out->redirect = m->addr & MSI_ADDR_RH;
	/* RH with fixed delivery would let the chipset redirect among a logical set the
	 * message did not ask for lowest priority on: only together with lowest priority */
	if (out->redirect && !out->lowest)
		return "redirection hint without lowest-priority delivery";
	return NULL;
}

struct msi_msg msi_compat_msg(const struct msi_req *r)
{
	u32 addr = MSI_ADDR_BASE | ((r->dest << MSI_ADDR_DEST_SHIFT) & MSI_ADDR_DEST_MASK);

	if (r->logical)
		addr |= MSI_ADDR_DM_LOGICAL;
	if (r->redirect)
		addr |= MSI_ADDR_RH;
	return (struct msi_msg){
		.addr = addr,
		.data = r->vector | ((r->lowest ? MSI_DM_LOWEST : MSI_DM_FIXED) << MSI_DATA_DM_SHIFT),
	};
}

const char *msi_route(const struct msi_ops *ops, const char *what, unsigned idx,
		      unsigned handle, const struct msi_msg *guest, struct msi_msg *hw)
{
	struct msi_cpus cpus = { 0 };
	struct msi_req r;
	const char *why;

	if (ops->cpus)
		ops->cpus(ops->ctx, &cpus);
	why = msi_check(guest, &cpus, &r);
	if (!why) {
		if (!ops->remap)
			*hw = msi_compat_msg(&r);
		else if (ops->remap(ops->ctx, handle, &r, hw) < 0)
			why = "no interrupt-remapping entry could be written for it";
	}
	if (why && ops->refused)
		ops->refused(ops->ctx, what, idx, guest, why);
	return why;
}
