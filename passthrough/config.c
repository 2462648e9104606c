/* NIC passthrough: the guest's PCI configuration mechanisms. Ports 0xCF8-0xCFF and the ECAM
 * window are trapped; an ECAM access is decoded from the instruction at the guest's RIP and
 * both go through the virtual config space (vdev/pci_virt.c). */
#define LOG_MODULE "nic"
#include <uhv/platform.h>
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
#include <uhv/mmio_emul.h>
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
		platform_end_request(PLATFORM_END_RESET);
		vmx_stop(false, "guest requested a reset through 0xcf9");
	}
	return ret < 0 ? ret : 0;
}


/* ---- ECAM: the instruction at the guest's RIP (vmx/mmio_emul.c) ---------------------------- */

/* An access of 8 bytes is two dwords; accesses crossing a function read all-ones (pci_virt says
 * -EINVAL). */
static int ecam_rw(void *ctx, struct vcpu *v, u64 gpa, unsigned size, bool write, u64 *val)
{
	struct passthrough *pt = &v->vm->pt;
	const struct pt_ecam_win *w = ctx;
	u64 off = gpa - w->first, data = 0;

	for (unsigned done = 0; done < size; done += 4) {
		unsigned piece = MIN(size - done, 4u);
		u32 x = write ? (u32)(*val >> (8 * done)) : 0;

		pci_virt_ecam(&pt->pv, w->seg, w->bus_start, off + done, piece, write, &x);
		data |= (u64)x << (8 * done);
	}
	if (!write)
		*val = data;
	return 0;
}

int pt_ecam_access(void *ctx, struct vcpu *v, u64 gpa, u64 q)
{
	v->vm->pt.ecam_exits++;
	return mmio_emulate(v, gpa, q, "ECAM", ecam_rw, ctx);
}
