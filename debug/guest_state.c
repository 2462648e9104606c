/* The guest's state as the debugger sees it: control registers and RFLAGS through their read
 * shadows, and guest memory by physical address or through the guest's own page tables. Used
 * by both backends and by TF stepping. */
#include <uhv/vmx_exit.h>
#include <uhv/guest.h>
#include <uhv/gwalk.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/string.h>
#include "debug_priv.h"

u64 dbg_guest_cr0(void)
{
	u64 mask = vmread(VMCS_CR0_GUEST_HOST_MASK);

	return (vmread(VMCS_GUEST_CR0) & ~mask) | (vmread(VMCS_CR0_READ_SHADOW) & mask);
}

u64 dbg_guest_cr4(void)
{
	u64 mask = vmread(VMCS_CR4_GUEST_HOST_MASK);

	return (vmread(VMCS_GUEST_CR4) & ~mask) | (vmread(VMCS_CR4_READ_SHADOW) & mask);
}

/* RFLAGS as the guest should see it: without a TF uhv set for a step */
u64 dbg_guest_rflags(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 f = vmread(VMCS_GUEST_RFLAGS);

	if (dbg->step_tf && !dbg->tf_was_set)
		f &= ~(u64)RFLAGS_TF;
	return f;
}

static int read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	struct vm_debug *dbg = dbg_of_cpu();
	const void *p = guest_ptr(dbg->guest, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static const struct gwalk_ops walk_ops = { .read_gpa = read_gpa };

static void walk_mode(struct gwalk_mode *m)
{
	memset(m, 0, sizeof(*m));
	m->cr0 = dbg_guest_cr0();
	m->cr3 = vmread(VMCS_GUEST_CR3);
	m->cr4 = dbg_guest_cr4();
	m->efer = vmread(VMCS_GUEST_IA32_EFER);
	for (unsigned i = 0; i < 4; i++)
		m->pdpte[i] = vmread(VMCS_GUEST_PDPTE0 + 2 * i);
	m->maxphyaddr = (u8)MAX(32u, MIN(52u, vmx.phys_bits));
	m->pdpe1gb = cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_PDPE1GB;
}

/* Guest-physical RAM only (never MMIO: a read could have side effects). */
int dbg_gpa_rw(u64 gpa, void *buf, size_t len, bool write)
{
	struct vm_debug *dbg = dbg_of_cpu();
	size_t done = 0;

	while (done < len) {
		size_t n = MIN(len - done, (size_t)(PAGE_SIZE - ((gpa + done) & (PAGE_SIZE - 1))));
		u8 *p = guest_ptr(dbg->guest, gpa + done, n);
		if (!p)
			break;
		if (write)
			memcpy(p, (const u8 *)buf + done, n);
		else
			memcpy((u8 *)buf + done, p, n);
		done += n;
	}
	return done ? (int)done : -EFAULT;
}

/* Guest-virtual through the guest's current page tables; A/D bits are not
 * set, and read-only pages can be written (breakpoints go into code). */
int dbg_gva_rw(u64 gva, void *buf, size_t len, bool write)
{
	struct gwalk_mode mode;
	struct gwalk_result res;
	size_t done = 0;

	walk_mode(&mode);
	while (done < len) {
		u64 la = gva + done;
		size_t n = MIN(len - done, (size_t)(PAGE_SIZE - (la & (PAGE_SIZE - 1))));
		if (gwalk(&walk_ops, &mode, la, GWALK_NO_AD | GWALK_AC, &res) < 0)
			break;
		int got = dbg_gpa_rw(res.gpa, (u8 *)buf + done, n, write);
		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	return done ? (int)done : -EFAULT;
}
