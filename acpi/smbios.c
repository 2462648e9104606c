/* Finding the SMBIOS entry point: in the EFI configuration tables (UEFI machines) or the F
 * segment (BIOS machines). See <uhv/smbios.h>. */
#define LOG_MODULE "smbios"
#include <uhv/smbios.h>
#include <uhv/errno.h>
#include <uhv/log.h>
#include <uhv/string.h>
#include <uhv/unaligned.h>

/* EFI_SYSTEM_TABLE (UEFI 2.x 4.3) for x86-64: the header, then pointers and UINTNs. */
#define EFI_SYSTAB_SIGNATURE	0x5453595320494249ULL	/* "IBI SYST" */
#define EFI_SYSTAB_NR_TABLES	104	/* NumberOfTableEntries */
#define EFI_SYSTAB_TABLES	112	/* ConfigurationTable */
#define EFI_SYSTAB_MIN_LEN	120
#define EFI_CONFIG_ENTRY_LEN	24	/* EFI_GUID, then VOID * */
#define EFI_CONFIG_MAX		1024	/* more entries than this is not a system table */

/* SMBIOS_TABLE_GUID and SMBIOS3_TABLE_GUID as they lie in memory (the first three fields
 * little-endian). */
static const u8 guid_smbios[16] = { 0x31, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
				    0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d };
static const u8 guid_smbios3[16] = { 0x44, 0x15, 0xfd, 0xf2, 0x94, 0x97, 0x2c, 0x4a,
				     0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 };

int smbios_check_ep(const u8 *p, size_t len, struct smbios_ep *e)
{
	if (len >= SMBIOS_EP3_LEN && !memcmp(p, "_SM3_", 5)) {
		u8 l = p[6];
		if (l < SMBIOS_EP3_LEN || l > len || acpi_checksum(p, l))
			return -EINVAL;
		e->v3 = true;
		e->ep_len = l;
		e->table_len = (u32)get_le(p + 0x0c, 4);
		e->table_pa = get_le(p + 0x10, 8);
		return 0;
	}
	if (len >= SMBIOS_EP2_LEN && !memcmp(p, "_SM_", 4)) {
		u8 l = p[5];
		/* 0x1e for SMBIOS 2.1, which got its own length wrong (SMBIOS 3.x 5.2.1 note) */
		if (l < 0x1e || l > len || acpi_checksum(p, l) || memcmp(p + 0x10, "_DMI_", 5))
			return -EINVAL;
		e->v3 = false;
		e->ep_len = l;
		e->table_len = (u32)get_le(p + 0x16, 2);
		e->table_pa = get_le(p + 0x18, 4);
		return 0;
	}
	return -EINVAL;
}

static int check_at(acpi_map_fn map, void *ctx, paddr_t pa, struct smbios_ep *e)
{
	const u8 *p = map(ctx, pa, SMBIOS_EP_MAX);

	if (!p || smbios_check_ep(p, SMBIOS_EP_MAX, e) < 0)
		return -EINVAL;
	e->ep_pa = pa;
	return 0;
}

int smbios_find_efi(acpi_map_fn map, void *ctx, paddr_t systab, struct smbios_ep *e)
{
	const u8 *st = systab ? map(ctx, systab, EFI_SYSTAB_MIN_LEN) : NULL;

	if (!st || get_le(st, 8) != EFI_SYSTAB_SIGNATURE) {
		pr_err("EFI system table at %#llx has no 'IBI SYST' signature; the boot loader "
		       "passed a bad address\n", systab);
		return -EINVAL;
	}
	u64 n = get_le(st + EFI_SYSTAB_NR_TABLES, 8), tables = get_le(st + EFI_SYSTAB_TABLES, 8);
	const u8 *ct = n && n <= EFI_CONFIG_MAX ? map(ctx, tables, n * EFI_CONFIG_ENTRY_LEN) : NULL;
	paddr_t v2 = 0, v3 = 0;

	for (u64 i = 0; ct && i < n; i++) {
		const u8 *ent = ct + i * EFI_CONFIG_ENTRY_LEN;
		if (!memcmp(ent, guid_smbios3, 16))
			v3 = get_le(ent + 16, 8);
		else if (!memcmp(ent, guid_smbios, 16))
			v2 = get_le(ent + 16, 8);
	}
	if (!v2 && !v3)
		return -ENOENT;
	/* prefer the 3.x entry point; the 2.x one as the fallback if the first is bad */
	paddr_t first = v3 ? v3 : v2, second = v3 ? v2 : 0;
	if (check_at(map, ctx, first, e) < 0 && (!second || check_at(map, ctx, second, e) < 0)) {
		pr_err("the EFI configuration table names an SMBIOS entry point at %#llx with a bad "
		       "anchor or checksum; the guest will not find SMBIOS\n", first);
		return -EINVAL;
	}
	e->source = SMBIOS_EFI;
	return 0;
}

int smbios_scan(acpi_map_fn map, void *ctx, paddr_t lo, paddr_t hi, struct smbios_ep *e)
{
	const u8 *p = hi > lo ? map(ctx, lo, hi - lo) : NULL;

	for (u64 o = 0; p && lo + o + SMBIOS_EP_MAX <= hi; o += 16)
		if (smbios_check_ep(p + o, SMBIOS_EP_MAX, e) == 0) {
			e->ep_pa = lo + o;
			e->source = SMBIOS_FSEG;
			return 0;
		}
	return -ENOENT;
}

static bool all(const u8 *p, size_t n, u8 v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

int smbios_fseg_slot(const u8 *page, size_t len, size_t need)
{
	for (size_t o = 0; o + need <= len; o += 16)
		if (all(page + o, need, 0) || all(page + o, need, 0xff))
			return (int)o;
	return -ENOSPC;
}
