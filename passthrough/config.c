/* NIC passthrough: the guest's PCI configuration mechanisms. Ports 0xCF8-0xCFF and the ECAM
 * window are trapped; an ECAM access is decoded from the instruction at the guest's RIP and
 * both go through the virtual config space (vdev/pci_virt.c). */
#define LOG_MODULE "nic"
#include <uhv/passthrough.h>
#include <uhv/vm.h>
#include <uhv/pci_virt.h>
#include <uhv/pci.h>
#include <uhv/acpi.h>
#include <uhv/vtd.h>
#include <uhv/guest.h>
#include <uhv/options.h>
#include <uhv/vmx_exit.h>
#include <uhv/vmx_trap.h>
#include <uhv/vmx_guest_mem.h>
#include <uhv/mmio_decode.h>
#include <uhv/gwalk.h>
#include <uhv/ept.h>
#include <uhv/mtrr.h>
#include <uhv/memmap.h>
#include <uhv/kmem.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/errno.h>
#include <uhv/format.h>
#include "passthrough_priv.h"

/* ---- configuration ports -------------------------------------------------------------------- */

int pt_cfg_port(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct passthrough *pt = ctx;
	int ret = pci_virt_port(&pt->pv, port, size, !in, val);

	if (ret == PCI_VIRT_RESET) {
		pr_info("the guest asked for a reset through port 0xcf9 (value %#x): uhv cannot "
			"reset a guest, so the run ends\n", *val & 0xff);
		vmx_stop(false, "guest requested a reset through 0xcf9");
	}
	return ret < 0 ? ret : 0;
}


/* ---- ECAM: the instruction at the guest's RIP ------------------------------------------------ */

static int read_gpa(void *ctx, u64 gpa, void *buf, size_t len)
{
	return guest_read(ctx, gpa, buf, len);
}

static enum mmio_cpu_mode guest_code_mode(void)
{
	u64 ar = vmread(VMCS_GUEST_CS_ACCESS_RIGHTS);

	/* real mode, or virtual-8086 mode (RFLAGS.VM, bit 17) */
	if (!(vmread(VMCS_GUEST_CR0) & CR0_PE) || (vmread(VMCS_GUEST_RFLAGS) & BIT(17)))
		return MMIO_MODE_16;
	if ((vmread(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (ar & VMX_AR_L))
		return MMIO_MODE_64;
	return (ar & VMX_AR_DB) ? MMIO_MODE_32 : MMIO_MODE_16;
}

/* Up to MMIO_INSN_MAX bytes at CS:RIP through the guest's own page tables; returns how many
 * could be read (the decoder says whether they are enough) or a negative errno. */
static int fetch_insn(struct vcpu *v, enum mmio_cpu_mode mode, u8 *buf)
{
	struct gwalk_ops ops = { .read_gpa = read_gpa, .ctx = &v->vm->guest };
	struct gwalk_mode m = {
		.cr0 = vmread(VMCS_GUEST_CR0), .cr3 = vmread(VMCS_GUEST_CR3),
		.cr4 = vmread(VMCS_GUEST_CR4), .efer = vmread(VMCS_GUEST_IA32_EFER),
		.maxphyaddr = (u8)vmx.phys_bits, .pdpe1gb = true,
	};
	u64 la = vmread(VMCS_GUEST_RIP);
	unsigned access = GWALK_FETCH | GWALK_NO_AD;
	int n = 0;

	if (mode != MMIO_MODE_64)
		la = (u32)(la + vmread(VMCS_GUEST_CS_BASE));
	for (unsigned i = 0; i < 4; i++)
		m.pdpte[i] = vmread(VMCS_GUEST_PDPTE0 + 2 * i);
	if (((vmread(VMCS_GUEST_SS_ACCESS_RIGHTS) >> VMX_AR_DPL_SHIFT) & 3) == 3)
		access |= GWALK_USER;
	while (n < MMIO_INSN_MAX) {
		struct gwalk_result r;
		int err = gwalk(&ops, &m, la + n, access, &r);
		if (err < 0)
			return n ? n : err;
		unsigned chunk = MIN((u64)(MMIO_INSN_MAX - n), PAGE_SIZE - ((la + n) & 0xfff));
		if (guest_read(&v->vm->guest, r.gpa, buf + n, chunk) < 0)
			return n ? n : -EFAULT;
		n += chunk;
	}
	return n;
}

static u64 gpr_get(struct vcpu *v, unsigned r)
{
	return r == GPR_RSP ? vmread(VMCS_GUEST_RSP) : v->gpr[r];
}

static void gpr_set(struct vcpu *v, unsigned r, u64 val)
{
	if (r == GPR_RSP)
		vmwrite(VMCS_GUEST_RSP, val);
	else
		v->gpr[r] = val;
}

static void report_insn(const char *why, const u8 *code, int n, u64 gpa)
{
	char hex[3 * MMIO_INSN_MAX + 1];
	int o = 0;

	hex[0] = 0;
	for (int i = 0; i < n && i < MMIO_INSN_MAX; i++)
		o += ksnprintf(hex + o, sizeof(hex) - o, "%02x ", code[i]);
	pr_err("ECAM access at %#llx from RIP %#llx: %s (instruction bytes: %s)\n", gpa,
	       vmread(VMCS_GUEST_RIP), why, n > 0 ? hex : "unreadable");
}

int pt_ecam_access(void *ctx, struct vcpu *v, u64 gpa, u64 q)
{
	struct passthrough *pt = &v->vm->pt;
	const struct pt_ecam_win *w = ctx;
	enum mmio_cpu_mode mode = guest_code_mode();
	struct mmio_insn in;
	u8 code[MMIO_INSN_MAX];
	int n = fetch_insn(v, mode, code);

	pt->ecam_exits++;
	if (n < 0) {
		report_insn("the instruction cannot be read through the guest's page tables", code,
			    0, gpa);
		return n;
	}
	int err = mmio_decode(code, (size_t)n, mode, &in);
	if (err < 0) {
		report_insn("not a MOV uhv can emulate", code, n, gpa);
		return err;
	}
	if (in.write != !!(q & EPT_VIOL_WRITE)) {
		report_insn("the decoded direction disagrees with the exit", code, n, gpa);
		return -EINVAL;
	}
	u64 off = gpa - w->first, data = 0;
	for (unsigned done = 0; done < in.size; done += 4) {
		unsigned piece = MIN(in.size - done, 4u);
		u32 val = 0;
		if (in.write) {
			val = (u32)(mmio_store_value(&in, gpr_get(v, in.reg)) >> (8 * done));
			pci_virt_ecam(&pt->pv, w->seg, w->bus_start, off + done, piece, true, &val);
		} else {
			/* accesses crossing a function read all-ones (pci_virt says -EINVAL) */
			pci_virt_ecam(&pt->pv, w->seg, w->bus_start, off + done, piece, false,
				      &val);
			data |= (u64)val << (8 * done);
		}
	}
	if (!in.write)
		gpr_set(v, in.reg, mmio_load_result(&in, gpr_get(v, in.reg), data));

	u64 rip = vmread(VMCS_GUEST_RIP) + in.len;
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_STATE);
	vmwrite(VMCS_GUEST_RIP, mode == MMIO_MODE_64 ? rip : (u32)rip);
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY_STATE,
			intr & ~(u64)(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	return 0;
}
