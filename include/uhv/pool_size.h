/* uhvmem='s default: the size of uhv's pool when the command line does not give one, derived
 * from measured peaks with a stated margin (mm/pool_size.c, docs/architecture.md "Memory map",
 * README options table). Every share is a named constant with the run it was measured on, so a
 * change that makes uhv use more (a new shadow MMU, larger tables) shows up as a test failure
 * (test/system/70-linux-guest.sh compares the shadow share and the default with a shadow-mode
 * Linux boot's own peaks) rather than as a pool that runs out on a user's machine. */
#ifndef UHV_POOL_SIZE_H
#define UHV_POOL_SIZE_H

#include <uhv/types.h>

/* The pool's peak, boot CPU only, without the shadow MMU's tables: the heaviest boot measured,
 * Debian's Linux in the nested tier (uhv's EPT 340 KiB, VT-d 336 KiB, other 96 KiB, boot CPU's
 * VMXON and VMCS 8 KiB: 780 KiB, 71-linux-nested). A Linux guest under EPT in Bochs peaks at
 * 124 KiB (70-linux-guest), the PCI table of 1051 functions takes 192 KiB (35-limits-firmware). */
#define POOL_BOOT_PEAK		KiB(780)
/* The shadow MMU's tables at their peak (mem=shadow): Debian's Linux with the test initramfs,
 * booted to userspace, pinging and powering off (70-linux-guest, Bochs): 1920, 1908 and 1936
 * KiB in three runs, with 16 cached roots (17266 CR3 loads, 30224 #PF exits), at fb20f5f's
 * shadow MMU. The guest's timing decides which tables are alive together, so the share is
 * rounded up to 2 MiB for run-to-run variation.
 * Its own share because the shadow MMU is being redesigned (issue 18): its cache of roots and
 * how it frees tables decide this figure, and the test that guards it says so when it grows. */
#define POOL_SHADOW_SHARE	KiB(2048)
/* The measured peaks times this: room for guests and machines heavier than those measured
 * (more PCI functions, RMRR domains, more fringes of 4 KiB pages in the EPT). */
#define POOL_MARGIN		4
/* Per GiB of RAM: one page-directory page per GiB for the EPT and one for the VT-d domain
 * (2 MiB pages), 8 KiB, times POOL_MARGIN; machines with more RAM have more of it to map. */
#define POOL_PER_GIB		KiB(32)
/* The application processors' per-CPU memory is not in the default: it is added once the MADT
 * is read (kmem_pool_grow, arch/main.c), from smp_pool_need(). */

struct pool_default {
	u64 boot, shadow, ram;	/* the shares, margin applied, in bytes */
	u64 total;		/* their sum, rounded up to 2 MiB (the pool's alignment) */
};

/* The default pool for a machine with ram bytes of available RAM; d (may be NULL) gets the
 * shares for the line that explains the figure. */
u64 pool_default_size(u64 ram, struct pool_default *d);

#endif
