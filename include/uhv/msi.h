/* MSI and MSI-X messages the guest programs into its passed-through NIC (docs/interrupts.md):
 * the check that a message is an interrupt uhv lets the device send (fixed or lowest-priority
 * delivery, edge, to the guest's own CPUs), and the message the device really gets for it,
 * either the same request re-encoded in compatibility format or, with interrupt remapping, the
 * remappable format pointing at an IRTE that holds it. Pure: the hypervisor side is reached
 * through struct msi_ops, so host unit tests drive it.
 *
 * Compatibility format (SDM vol. 3 11.11): address 0xFEE in bits 31:20, destination ID 19:12,
 * bits 11:5 reserved (0), bit 4 0 (1 = remappable format, VT-d 5.1.5.2), redirection hint bit
 * 3, destination mode bit 2 (1 = logical); data: vector 7:0, delivery mode 10:8, level 14,
 * trigger mode 15 (1 = level). */
#ifndef UHV_MSI_H
#define UHV_MSI_H

#include <uhv/types.h>

#define MSI_ADDR_BASE		0xfee00000u
#define MSI_ADDR_BASE_MASK	0xfff00000u
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_DEST_MASK	0x000ff000u
#define MSI_ADDR_RESERVED	0x00000fe0u	/* 11:5: 0 (Linux's KVM extended destination) */
#define MSI_ADDR_IF_REMAP	BIT(4)		/* remappable format: an IRTE handle follows */
#define MSI_ADDR_RH		BIT(3)		/* redirection hint */
#define MSI_ADDR_DM_LOGICAL	BIT(2)
#define MSI_DATA_VECTOR_MASK	0xffu
#define MSI_DATA_DM_SHIFT	8
#define MSI_DATA_DM_MASK	(7u << MSI_DATA_DM_SHIFT)
#define MSI_DM_FIXED		0
#define MSI_DM_LOWEST		1
#define MSI_DATA_LEVEL		BIT(14)
#define MSI_DATA_TRIGGER_LEVEL	BIT(15)
#define MSI_VECTOR_FIRST	16		/* 0-15 are illegal vectors for the LAPIC */

/* What a message says as the device would send it. */
struct msi_msg {
	u64 addr;
	u32 data;
};

/* A message that passed msi_check: deliver vector to dest (an APIC ID, or a logical
 * destination when logical), by fixed or lowest-priority delivery. */
struct msi_req {
	u8 vector;
	bool lowest, logical;
	bool redirect;		/* redirection hint (only with lowest priority) */
	u32 dest;
};

/* The guest's CPUs as a destination may name them. */
struct msi_cpus {
	const u32 *apic_id;	/* APIC IDs (x2APIC IDs where the machine uses them) */
	unsigned n;
	/* the guest owns every CPU of the machine: a logical destination (matched against
	 * LDRs the guest programs in its own LAPICs) cannot reach a CPU of uhv's */
	bool all;
};

/* NULL when m is an interrupt the guest may have (*out says which), else why not, for the
 * refusal message: not in the interrupt window, remappable or reserved address bits, a 64-bit
 * address, redirection hint without lowest priority, delivery mode other than fixed/lowest,
 * level trigger, an illegal vector, a destination that is not one of the guest's CPUs or a
 * logical destination while uhv keeps CPUs of its own. */
const char *msi_check(const struct msi_msg *m, const struct msi_cpus *cpus, struct msi_req *out);

/* r in compatibility format, with every field the guest may not choose at 0. */
struct msi_msg msi_compat_msg(const struct msi_req *r);

/* The hypervisor side. handle names the message source (MSI_HANDLE_*): with interrupt
 * remapping it selects the IRTE. */
#define MSI_HANDLE_MSI		0		/* the MSI capability (one message) */
#define MSI_HANDLE_MSIX(i)	(1u + (i))	/* MSI-X table entry i */
struct msi_ops {
	/* the guest's CPUs (called for each check; cheap) */
	void (*cpus)(void *ctx, struct msi_cpus *c);
	/* NULL, or: write an IRTE for r and give the remappable-format message that selects
	 * it in *hw; < 0: no IRTE (the source stays masked, refused with "no IRTE") */
	int (*remap)(void *ctx, unsigned handle, const struct msi_req *r, struct msi_msg *hw);
	/* a refusal: count it (vm->denied) and say it once; what is "MSI" or "MSI-X entry" */
	void (*refused)(void *ctx, const char *what, unsigned idx, const struct msi_msg *m,
			const char *why);
	void *ctx;
};

/* msi_check, then the device's message for the request in *hw (remapped when ops->remap is
 * set, else msi_compat_msg). NULL on success; else the refusal, already passed to
 * ops->refused. */
const char *msi_route(const struct msi_ops *ops, const char *what, unsigned idx,
		      unsigned handle, const struct msi_msg *guest, struct msi_msg *hw);

#endif
