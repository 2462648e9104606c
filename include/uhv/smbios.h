/* Where the machine's SMBIOS entry point is (acpi/smbios.c). BIOS firmware puts it on a 16-byte
 * boundary in 0xF0000-0xFFFFF; UEFI firmware names it only in the EFI system table's
 * configuration tables (SMBIOS 3.x 5.2.1/5.2.2, UEFI 2.x 4.6). A guest uhv starts is not an EFI
 * program and looks in the F segment, so uhv must find it the firmware's way first.
 * Pure: memory is read through the caller's map callback (the host tests serve fake tables). */
#ifndef UHV_SMBIOS_H
#define UHV_SMBIOS_H

#include <uhv/types.h>
#include <uhv/acpi.h>

#define SMBIOS_EP2_LEN		0x1f	/* "_SM_" entry point (32-bit table address) */
#define SMBIOS_EP3_LEN		0x18	/* "_SM3_" entry point (64-bit table address) */
#define SMBIOS_EP_MAX		0x20

enum smbios_source { SMBIOS_NONE, SMBIOS_FSEG, SMBIOS_EFI };

struct smbios_ep {
	enum smbios_source source;
	paddr_t ep_pa;		/* the entry point */
	u8 ep_len;		/* its length (from the entry point itself) */
	bool v3;		/* "_SM3_" */
	paddr_t table_pa;	/* the structure table */
	u32 table_len;		/* its length (v3: the maximum size) */
};

/* Check the entry point at p (len readable bytes): anchor, length and checksum. Fills e (not
 * source, ep_pa) and returns 0, or -EINVAL. */
int smbios_check_ep(const u8 *p, size_t len, struct smbios_ep *e);

/* The EFI system table at systab (64-bit): the SMBIOS3 configuration table if listed, else the
 * SMBIOS one. Returns 0 with e filled (source SMBIOS_EFI), -ENOENT (no SMBIOS entry), -EINVAL
 * (not an EFI system table, or the entry point it names is bad: message printed). */
int smbios_find_efi(acpi_map_fn map, void *ctx, paddr_t systab, struct smbios_ep *e);

/* The first valid entry point on a 16-byte boundary in [lo, hi) ("_SM3_" or "_SM_"). 0 with e
 * filled (source SMBIOS_FSEG), or -ENOENT. */
int smbios_scan(acpi_map_fn map, void *ctx, paddr_t lo, paddr_t hi, struct smbios_ep *e);

/* Where in page (len bytes of the F segment) a copy of an entry point of need bytes can go: the
 * first 16-byte boundary with need bytes of 0x00 or of 0xff after it (nothing there: RAM no one
 * wrote, or no memory at all). Returns the offset, or -ENOSPC. */
int smbios_fseg_slot(const u8 *page, size_t len, size_t need);

#endif
