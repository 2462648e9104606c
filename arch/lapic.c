/* The local APIC for uhv's own use: its ID and the INIT, SIPI and NMI IPIs that start and stop
 * CPUs (see <uhv/lapic.h>). The guest owns the APIC, so the mode is read from IA32_APIC_BASE at
 * every call and nothing the guest programmed is left changed. */
#define LOG_MODULE "lapic"
#include <uhv/lapic.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/kmem.h>
#include <uhv/log.h>
#include <uhv/mmio.h>
#include <uhv/spinlock.h>
#include <uhv/timer.h>

#define ICR_IDLE_TIMEOUT_US	10000	/* a send takes well under a microsecond */

/* xAPIC pages mapped so far: the base is per CPU and the guest may move it. Entries are only
 * added (under the lock), so lookups need no lock, which keeps the panic path lock-free. */
#define XAPIC_MAPS	4
static struct spinlock xapic_lock = SPINLOCK_INIT;
static struct {
	volatile paddr_t pa;
	volatile u8 *volatile va;
} xapic_maps[XAPIC_MAPS];

static volatile u8 *xapic_regs(void)
{
	paddr_t pa = rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ADDR;
	volatile u8 *va = NULL;

	for (unsigned i = 0; i < XAPIC_MAPS; i++)
		if (xapic_maps[i].va && xapic_maps[i].pa == pa)
			return xapic_maps[i].va;
	spin_lock(&xapic_lock);
	for (unsigned i = 0; i < XAPIC_MAPS && !va; i++) {
		if (xapic_maps[i].va && xapic_maps[i].pa != pa)
			continue;
		if (!xapic_maps[i].va) {
			xapic_maps[i].pa = pa;
			xapic_maps[i].va = mmio_map(pa, PAGE_SIZE);
		}
		va = xapic_maps[i].va;
	}
	if (!va)	/* the guest keeps moving it: map without remembering */
		va = mmio_map(pa, PAGE_SIZE);
	spin_unlock(&xapic_lock);
	return va;
}

enum lapic_mode lapic_mode(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	if (!(base & APIC_BASE_EN))
		return LAPIC_DISABLED;
	return base & APIC_BASE_EXTD ? LAPIC_X2APIC : LAPIC_XAPIC;
}

/* ---- the mode firmware left ---- */

static enum lapic_mode boot_mode = LAPIC_XAPIC;
static bool x2apic_locked, disable_status_msr, lock_simulated;

bool lapic_x2apic_capable(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC;
}

bool lapic_x2apic_locked(void)
{
	return x2apic_locked;
}

bool lapic_xapic_disable_status_present(void)
{
	return disable_status_msr || lock_simulated;
}

#ifdef UHV_TEST_BUILD
void lapic_test_simulate_lock(void)
{
	lock_simulated = true;
}
#endif

static bool hw_x2apic_locked(void)
{
	if (cpuid(0, 0).eax < 7 || !(cpuid(7, 0).edx & CPUID_7_EDX_ARCH_CAPABILITIES) ||
	    !(rdmsr(MSR_IA32_ARCH_CAPABILITIES) & ARCH_CAP_XAPIC_DISABLE_STATUS))
		return false;
	disable_status_msr = true;
	return rdmsr(MSR_IA32_XAPIC_DISABLE_STATUS) & XAPIC_DISABLE_STATUS_LEGACY_XAPIC_DISABLED;
}

void lapic_boot_mode(void)
{
	boot_mode = lapic_mode();
	x2apic_locked = hw_x2apic_locked() || (lock_simulated && boot_mode == LAPIC_X2APIC);
	if (boot_mode == LAPIC_X2APIC)
		pr_info("the boot CPU's local APIC is in x2APIC mode (left so by firmware%s): uhv "
			"and the guest keep it, APIC IDs up to 2^32-1\n",
			x2apic_locked ? ", locked: x2APIC cannot be left until reset" : ", not locked");
	else if (boot_mode == LAPIC_DISABLED)
		pr_warn("the boot CPU's local APIC is disabled (IA32_APIC_BASE.EN = 0): uhv cannot "
			"start or stop other CPUs; enable the APIC in the firmware setup\n");
}

void lapic_ap_follow_boot_cpu(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	enum lapic_mode m = lapic_mode();

	if (m == boot_mode || boot_mode == LAPIC_DISABLED)
		return;
	if (m == LAPIC_XAPIC && boot_mode == LAPIC_X2APIC) {
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);	/* xAPIC -> x2APIC: allowed */
		return;
	}
	/* x2APIC (or disabled) here, xAPIC on the boot CPU: the way back goes through disabled
	 * (SDM Vol. 3A 11.12.5), which a lock forbids; leave it and say so */
	pr_warn("this CPU's local APIC is %s, the boot CPU's in xAPIC mode: the firmware set "
		"them up differently; left as it is\n",
		m == LAPIC_X2APIC ? "in x2APIC mode" : "disabled");
}

static u32 rd(volatile u8 *regs, u32 off)
{
	return mmio_read32(regs + off);
}

static void wr(volatile u8 *regs, u32 off, u32 v)
{
	mmio_write32(regs + off, v);
}

int lapic_init(void)
{
	/* in x2APIC mode too: a guest that is not locked may go back to xAPIC (Linux without
	 * interrupt remapping does), and uhv's sends must then find the page mapped */
	if (lapic_mode() == LAPIC_DISABLED)
		return 0;
	return xapic_regs() ? 0 : -ENOMEM;
}

static bool icr_idle(void *ctx)
{
	return !(rd(ctx, LAPIC_ICR_LO) & ICR_DELIVERY_PENDING);
}

static int send(u32 apic_id, u32 icr_lo, const char *what)
{
	switch (lapic_mode()) {
	case LAPIC_DISABLED:
		return -ENODEV;
	case LAPIC_X2APIC:
		/* one MSR write, no delivery status to wait for (SDM Vol. 3A 11.12.9); the
		 * write is not serializing, so earlier stores (the trampoline's data) are
		 * fenced first */
		mfence();
		wrmsr(LAPIC_X2APIC_ICR, ((u64)apic_id << 32) | icr_lo);
		return 0;
	case LAPIC_XAPIC:
		break;
	}
	if (apic_id > 0xff)
		return -EINVAL;
	volatile u8 *regs = xapic_regs();
	if (!regs)
		return -ENOMEM;
	if (wait_until(icr_idle, (void *)regs, ICR_IDLE_TIMEOUT_US) < 0) {
		pr_err("%s IPI to APIC ID %u not sent: an earlier IPI is still pending (ICR "
		       "%#x:%#x)\n", what, apic_id, rd(regs, LAPIC_ICR_HI), rd(regs, LAPIC_ICR_LO));
		return -ETIMEDOUT;
	}
	u32 hi = rd(regs, LAPIC_ICR_HI);
	wr(regs, LAPIC_ICR_HI, apic_id << 24);
	wr(regs, LAPIC_ICR_LO, icr_lo);	/* this write sends */
	int ret = wait_until(icr_idle, (void *)regs, ICR_IDLE_TIMEOUT_US);
	wr(regs, LAPIC_ICR_HI, hi);
	if (ret < 0)
		pr_err("%s IPI to APIC ID %u: delivery still pending after %u us (ICR low %#x)\n",
		       what, apic_id, ICR_IDLE_TIMEOUT_US, rd(regs, LAPIC_ICR_LO));
	return ret;
}

int lapic_send_init(u32 apic_id)
{
	return send(apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT, "INIT");
}

int lapic_send_sipi(u32 apic_id, u8 vector)
{
	return send(apic_id, ICR_DM_STARTUP | ICR_LEVEL_ASSERT | ICR_VECTOR(vector), "SIPI");
}

int lapic_send_nmi(u32 apic_id)
{
	return send(apic_id, ICR_DM_NMI | ICR_LEVEL_ASSERT, "NMI");
}

bool lapic_irr_pending(void)
{
	enum lapic_mode m = lapic_mode();
	volatile u8 *regs = m == LAPIC_XAPIC ? xapic_regs() : NULL;

	if (m == LAPIC_DISABLED || (m == LAPIC_XAPIC && !regs))
		return false;
	for (u32 i = 0; i < LAPIC_IRR_REGS; i++) {
		u32 off = LAPIC_IRR + i * 0x10;
		if (m == LAPIC_X2APIC ? rdmsr(LAPIC_X2APIC_MSR(off)) : rd(regs, off))
			return true;
	}
	return false;
}
