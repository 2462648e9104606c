/* The local APIC for uhv's own use (arch/lapic.c): its ID and the IPIs that start and stop CPUs.
 *
 * The guest owns the APIC of every CPU it runs on and may switch it between xAPIC (MMIO) and
 * x2APIC (MSRs 0x800+) at any time, so every call looks at IA32_APIC_BASE to see which mode is
 * active now. An xAPIC ICR send waits for the delivery status to go idle before and after
 * (bounded) and puts ICR high back as it was: the guest may be half-way through its own IPI
 * (ICR high written, ICR low not yet) when a VM exit brings uhv here. */
#ifndef UHV_LAPIC_H
#define UHV_LAPIC_H

#include <uhv/types.h>

/* xAPIC register offsets (SDM Vol. 3A 11.4.1, table 11-1); x2APIC MSR = 0x800 + offset / 16 */
#define LAPIC_ID	0x020	/* local APIC ID (xAPIC: bits 31:24) */
#define LAPIC_VERSION	0x030	/* version */
#define LAPIC_ICR_LO	0x300	/* interrupt command, low half */
#define LAPIC_IRR	0x200	/* interrupt request register: 8 x 32 bits, 16 bytes apart */
#define LAPIC_IRR_REGS	8
#define LAPIC_ICR_HI	0x310	/* interrupt command, high half (xAPIC: destination 31:24) */

#define LAPIC_X2APIC_MSR(off)	(0x800 + ((off) >> 4))
#define MSR_X2APIC_FIRST	0x800	/* the x2APIC register range (SDM Vol. 3A 11.12.1) */
#define MSR_X2APIC_LAST		0x8ff
#define LAPIC_X2APIC_ICR	0x830	/* the whole 64-bit ICR, destination in 63:32 */

/* IA32_APIC_BASE */
#define APIC_BASE_BSP	BIT(8)
#define APIC_BASE_EXTD	BIT(10)	/* x2APIC mode */
#define APIC_BASE_EN	BIT(11)	/* APIC globally enabled */
#define APIC_BASE_ADDR	0x000ffffffffff000ULL

/* The x2APIC lock of recent CPUs (SDM Vol. 4, "IA32_XAPIC_DISABLE_STATUS"): present when
 * CPUID.7.0:EDX[29] (IA32_ARCH_CAPABILITIES) and ARCH_CAPABILITIES bit 21 are set; bit 0 set
 * means firmware locked the APIC in x2APIC mode and any write clearing APIC_BASE.EXTD #GPs. */
#define CPUID_1_ECX_X2APIC		BIT(21)
#define CPUID_7_EDX_ARCH_CAPABILITIES	BIT(29)
#define MSR_IA32_ARCH_CAPABILITIES	0x10a
#define ARCH_CAP_XAPIC_DISABLE_STATUS	BIT(21)
#define MSR_IA32_XAPIC_DISABLE_STATUS	0x0bd
#define XAPIC_DISABLE_STATUS_LEGACY_XAPIC_DISABLED	BIT(0)

/* ICR low */
#define ICR_VECTOR(v)		((u32)(v) & 0xff)
#define ICR_DM_NMI		(4u << 8)	/* delivery mode */
#define ICR_DM_INIT		(5u << 8)
#define ICR_DM_STARTUP		(6u << 8)
#define ICR_DELIVERY_PENDING	(1u << 12)	/* xAPIC only: send pending */
#define ICR_LEVEL_ASSERT	(1u << 14)

enum lapic_mode { LAPIC_DISABLED, LAPIC_XAPIC, LAPIC_X2APIC };

/* The mode IA32_APIC_BASE says is active now. */
enum lapic_mode lapic_mode(void);
/* Is this CPU's local APIC in x2APIC mode now (IA32_APIC_BASE EN and EXTD)? uhv keeps the mode
 * firmware left (every CPU the same), so the boot CPU's answer holds for all CPUs until the
 * guest changes it; VT-d interrupt remapping needs EIM when it is true. */
static inline bool lapic_x2apic_mode(void)
{
	return lapic_mode() == LAPIC_X2APIC;
}
/* Does this CPU implement x2APIC mode (CPUID.1:ECX[21])? */
bool lapic_x2apic_capable(void);
/* Is the x2APIC lock set (IA32_XAPIC_DISABLE_STATUS bit 0, or test-x2apic=lock in the test
 * build)? Read once by lapic_boot_mode(); then neither uhv nor the guest may leave x2APIC. */
bool lapic_x2apic_locked(void);
/* Does the guest see IA32_XAPIC_DISABLE_STATUS (the CPU has it, or the test build simulates
 * the lock)? Its value is then lapic_x2apic_locked(). */
bool lapic_xapic_disable_status_present(void);
/* Boot CPU, before anything uses the APIC: note the mode firmware left and the lock, and say
 * so when it is not the plain xAPIC default. uhv keeps that mode for itself and the guest. */
void lapic_boot_mode(void);
/* An application processor as it starts: put its APIC in the boot CPU's mode if firmware left
 * it in another one (the guest must find every CPU alike: Linux refuses mixed modes). */
void lapic_ap_follow_boot_cpu(void);
#ifdef UHV_TEST_BUILD
/* test-x2apic=lock: behave as if IA32_XAPIC_DISABLE_STATUS said locked (emulators lack it). */
void lapic_test_simulate_lock(void);
#endif
/* Map the xAPIC page now (boot CPU, before other CPUs run; in x2APIC mode too, for a guest that
 * goes back to xAPIC) so that later sends, on any CPU and on the panic path, need no page-table
 * change. Returns 0 or -ENOMEM. */
int lapic_init(void);
/* IPIs to one CPU by (x2)APIC ID. 0, -ENODEV (APIC disabled), -EINVAL (ID above 255 in xAPIC
 * mode), -ETIMEDOUT (delivery status stayed busy; said so), -ENOMEM (no mapping). */
int lapic_send_init(u32 apic_id);
int lapic_send_sipi(u32 apic_id, u8 vector);
int lapic_send_nmi(u32 apic_id);
/* Does this CPU's local APIC hold a requested interrupt (any IRR bit)? The guest owns the APIC;
 * uhv runs with RFLAGS.IF clear, so an interrupt for the guest waits there. false when the APIC
 * is disabled (its interrupts then come through the INTR pin, which uhv cannot see). */
bool lapic_irr_pending(void);

#endif
