/* uhv.efi's file access: the volume and folder uhv.efi was started from
 * (LoadedImage->DeviceHandle and FilePath), and whole files read with the Simple
 * File System protocol into pages below 4 GiB (multiboot2 module addresses are
 * 32-bit). */
#include "efi_glue.h"

/* The folder of uhv.efi's own file path, e.g. "\EFI\BOOT" (empty: the root). */
static CHAR16 own_dir[CFG_PATH_MAX];
static EFI_FILE_HANDLE root;

EFI_STATUS files_init(EFI_LOADED_IMAGE *li)
{
	root = LibOpenRoot(li->DeviceHandle);
	if (!root) {
		Print(L"uhv.efi: cannot open the volume uhv.efi was started from (no Simple "
		      L"File System on its device)\n");
		return EFI_NOT_FOUND;
	}
	CHAR16 *p = DevicePathToStr(li->FilePath);
	UINTN n = 0, last = 0;
	for (; p && p[n] && n + 1 < CFG_PATH_MAX; n++) {
		own_dir[n] = p[n] == L'/' ? L'\\' : p[n];
		if (own_dir[n] == L'\\')
			last = n;
	}
	own_dir[last] = 0;
	if (p)
		FreePool(p);
	return EFI_SUCCESS;
}

/* path as written in uhv.cfg -> the volume path: folder-relative unless it starts with / or \ */
static void volume_path(const char *path, CHAR16 *out, UINTN cap)
{
	UINTN n = 0;
	if (path[0] != '/' && path[0] != '\\') {
		for (UINTN i = 0; own_dir[i] && n + 2 < cap; i++)
			out[n++] = own_dir[i];
		out[n++] = L'\\';
	}
	for (UINTN i = 0; path[i] && n + 1 < cap; i++)
		out[n++] = path[i] == '/' ? L'\\' : (CHAR16)(u8)path[i];
	out[n] = 0;
}

/* Read path into fresh pages below 4 GiB (page aligned, as uhv's header asks of
 * modules). *addr and *size get where and how big; messages name the file. */
EFI_STATUS file_load(const char *path, const char *what, EFI_PHYSICAL_ADDRESS *addr, UINTN *size)
{
	CHAR16 name[CFG_PATH_MAX * 2];
	EFI_FILE_HANDLE fh;

	volume_path(path, name, ARRAY_SIZE(name));
	EFI_STATUS st = uefi_call_wrapper(root->Open, 5, root, &fh, name, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		Print(L"uhv.efi: cannot open %a %s (%r): check the name in uhv.cfg; relative "
		      L"names are taken from %s\\\n", what, name, st,
		      own_dir[0] ? own_dir : L"the volume's root ");
		return st;
	}
	EFI_FILE_INFO *info = LibFileInfo(fh);
	if (!info) {
		uefi_call_wrapper(fh->Close, 1, fh);
		Print(L"uhv.efi: cannot read the size of %a %s\n", what, name);
		return EFI_DEVICE_ERROR;
	}
	UINTN len = info->FileSize;
	FreePool(info);
	if (len == 0 || len > 0xc0000000ULL) {
		uefi_call_wrapper(fh->Close, 1, fh);
		Print(L"uhv.efi: %a %s is %s\n", what, name, len ? L"larger than 3 GiB" : L"empty");
		return EFI_LOAD_ERROR;
	}
	*addr = 0xffffffff;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData,
			       EFI_SIZE_TO_PAGES(len), addr);
	if (EFI_ERROR(st)) {
		uefi_call_wrapper(fh->Close, 1, fh);
		Print(L"uhv.efi: no room below 4 GiB for %a %s (%ld KiB): %r\n", what, name,
		      len / 1024, st);
		return st;
	}
	UINTN got = len;
	st = uefi_call_wrapper(fh->Read, 3, fh, &got, (void *)(UINTN)*addr);
	uefi_call_wrapper(fh->Close, 1, fh);
	if (EFI_ERROR(st) || got != len) {
		Print(L"uhv.efi: reading %a %s failed (%r, %ld of %ld bytes)\n", what, name, st,
		      got, len);
		uefi_call_wrapper(BS->FreePages, 2, *addr, EFI_SIZE_TO_PAGES(len));
		return EFI_ERROR(st) ? st : EFI_DEVICE_ERROR;
	}
	*size = len;
	return EFI_SUCCESS;
}

void file_free(EFI_PHYSICAL_ADDRESS addr, UINTN size)
{
	uefi_call_wrapper(BS->FreePages, 2, addr, EFI_SIZE_TO_PAGES(size));
}
