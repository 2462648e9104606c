/* Leaving UEFI: the final memory map, ExitBootServices (retried with a fresh
 * map while it answers EFI_INVALID_PARAMETER, i.e. the map changed since
 * GetMemoryMap), the multiboot2 information built into memory reserved
 * beforehand (no allocation after the first ExitBootServices call), and the jump
 * through efi/trampoline.asm. */
#include "efi_glue.h"

#define EXIT_TRIES	8
#define MAP_SLACK_DESCS	64	/* the map grows by our own allocations and by firmware events */

extern const u8 tramp_start[], tramp_end[];
typedef void (*tramp_fn)(u32 entry, u32 mbi);

static EFI_STATUS alloc_low(EFI_MEMORY_TYPE type, UINTN bytes, EFI_PHYSICAL_ADDRESS *a)
{
	*a = 0xffffffff;
	return uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, type,
				 EFI_SIZE_TO_PAGES(bytes), a);
}

EFI_STATUS exit_and_enter(EFI_HANDLE image, struct mbi_input *in, u32 entry)
{
	UINTN size = 0, key, dsize;
	UINT32 dver;
	EFI_PHYSICAL_ADDRESS tramp, mbi;
	void *map;

	EFI_STATUS st = alloc_low(EfiLoaderCode, (UINTN)(tramp_end - tramp_start), &tramp);
	if (EFI_ERROR(st)) {
		Print(L"uhv.efi: no page below 4 GiB for the mode switch: %r\n", st);
		return st;
	}
	__builtin_memcpy((void *)(UINTN)tramp, tramp_start, (UINTN)(tramp_end - tramp_start));

	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &key, &dsize, &dver);
	if (st != EFI_BUFFER_TOO_SMALL || dsize < sizeof(EFI_MEMORY_DESCRIPTOR)) {
		Print(L"uhv.efi: GetMemoryMap: %r\n", st);
		return EFI_ERROR(st) ? st : EFI_DEVICE_ERROR;
	}
	UINTN cap = size + MAP_SLACK_DESCS * dsize;
	map = AllocatePool(cap);
	in->efi_mmap_size = cap;
	in->efi_desc_size = (u32)dsize;
	UINTN bound = mbi_size_bound(in);
	st = map ? alloc_low(EfiLoaderData, bound, &mbi) : EFI_OUT_OF_RESOURCES;
	if (EFI_ERROR(st)) {
		Print(L"uhv.efi: no memory for the memory map and boot information\n");
		return EFI_OUT_OF_RESOURCES;
	}

	for (int tries = 0;; tries++) {
		size = cap;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, map, &key, &dsize, &dver);
		if (EFI_ERROR(st)) {
			Print(L"uhv.efi: GetMemoryMap: %r\n", st);
			return st;
		}
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (st == EFI_SUCCESS)
			break;
		if (st != EFI_INVALID_PARAMETER || tries + 1 >= EXIT_TRIES) {
			Print(L"uhv.efi: ExitBootServices: %r (after %d tries)\n", st, tries + 1);
			return st;
		}
	}

	/* Boot services are gone: no console, no allocation from here on. */
	in->efi_mmap = map;
	in->efi_mmap_size = size;
	in->efi_desc_version = dver;
	if (mbi_build(in, (u8 *)(UINTN)mbi, EFI_SIZE_TO_PAGES(bound) * EFI_PAGE_SIZE) == 0)
		for (;;)	/* cannot happen: bound covers the largest map that fits cap */
			__asm__ volatile("cli; hlt");
	((tramp_fn)(UINTN)tramp)(entry, (u32)mbi);
	for (;;)
		__asm__ volatile("cli; hlt");
}
