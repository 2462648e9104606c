/* Private to loader/: the state of one Linux load, passed from the placement steps
 * (linux.c) to the boot data and boot CPU steps (linux_setup.c). */
#ifndef UHV_LOADER_LINUX_PRIV_H
#define UHV_LOADER_LINUX_PRIV_H

#include <uhv/linux_boot.h>

#define FOUR_GIB		GiB(4)
#define LINUX_CMDLINE_MAX	4095U	/* beyond any kernel's cmdline_size (x86: 2047) */

struct linux_load {
	struct guest *g;
	const struct loader_module *mods;	/* mods[0] the bzImage, then initrd pieces */
	unsigned n;
	const struct linux_image *k;
	struct loader_busy *busy;
	char *cmdline;			/* a copy: the module string may be overwritten */
	u64 cmdline_len;
	const struct linux_e820_entry *e820;
	int nr_e820;
	bool entry64;			/* 64-bit entry (else the 32-bit one) */
	u64 load, rt, rt_end;		/* kernel load address, runtime range */
	u64 initrd, initrd_size;	/* 0, 0 without initrd */
	bool in_place;			/* the initrd module was used where it was */
	u64 data, data_size;		/* the boot data block */
	u64 cmdline_gpa;
};

/* 4. boot data (boot_params, command line, GDT, page tables, stack) placed and
 * filled: 0, or -ENOMEM after a message. */
int linux_setup_boot_data(struct linux_load *l, u64 rsdp_gpa);

/* 5. g->boot, g->cmdline and g->kind for the chosen entry. */
void linux_setup_cpu(const struct linux_load *l);

/* The summary lines, and *layout if layout is not NULL. */
void linux_report(const struct linux_load *l, struct linux_layout *layout);

#endif
