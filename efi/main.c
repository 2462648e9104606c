/* uhv.efi: boot uhv.elf from UEFI without GRUB (docs/uefi.md). Reads uhv.cfg
 * (efi/cfg.c) from its own folder or its load options, loads uhv.elf where its
 * multiboot2 header allows (efi/image.c) and the modules (efi/files.c), collects
 * what GRUB would pass (ACPI RSDPs, system table, GOP framebuffer), then leaves
 * boot services and enters uhv (efi/exit.c). Any failure is printed on the
 * firmware console and uhv.efi returns an error status, so the boot manager
 * goes on with its next entry. */
#include "efi_glue.h"

#define LOADER_NAME	"uhv.efi"
#define ERROR_PAUSE_US	3000000	/* time to read a failure before the boot manager clears the screen */

static struct efi_cfg cfg;
static char cfg_text[8192];
static struct mbi_module modules[CFG_MAX_MODULES];
static struct mbi_fb fb;
static char err[CFG_ERR_MAX];

/* The config: the load options if they hold text, else uhv.cfg next to uhv.efi. */
static EFI_STATUS read_config(EFI_LOADED_IMAGE *li)
{
	const char *from = "the load options";
	size_t len = cfg_from_load_options(li->LoadOptions, li->LoadOptionsSize, cfg_text,
					   sizeof(cfg_text));
	if (len == 0) {
		EFI_PHYSICAL_ADDRESS a;
		UINTN size;
		EFI_STATUS st = file_load("uhv.cfg", "the configuration", &a, &size);
		if (EFI_ERROR(st)) {
			Print(L"uhv.efi: uhv.efi needs uhv.cfg in its folder (or its lines as load "
			      L"options), with a line 'uhv uhv.elf [OPTIONS]' and one 'module "
			      L"FILE [STRING]' per module (docs/uefi.md)\n");
			return st;
		}
		len = MIN((size_t)size, sizeof(cfg_text));
		__builtin_memcpy(cfg_text, (void *)(UINTN)a, len);
		file_free(a, size);
		if (size > sizeof(cfg_text)) {
			Print(L"uhv.efi: uhv.cfg is larger than %d bytes\n", (int)sizeof(cfg_text));
			return EFI_LOAD_ERROR;
		}
		from = "uhv.cfg";
	}
	if (cfg_parse(cfg_text, len, &cfg, err, sizeof(err)) < 0) {
		Print(L"uhv.efi: %a: %a\n", from, err);
		return EFI_LOAD_ERROR;
	}
	Print(L"uhv.efi: %a: %a %a, %d module(s)\n", from, cfg.uhv.path, cfg.uhv.args,
	      (int)cfg.nr_modules);
	return EFI_SUCCESS;
}

/* Conventional memory from the current map, for img_place. */
static u32 free_ranges(struct mem_free *out, u32 cap)
{
	UINTN n, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &dsize, &dver);
	u32 k = 0;
	for (UINTN i = 0; map && i < n && k < cap; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((u8 *)map + i * dsize);
		if (d->Type == EfiConventionalMemory)
			out[k++] = (struct mem_free){ d->PhysicalStart,
						      d->NumberOfPages << EFI_PAGE_SHIFT };
	}
	if (map)
		FreePool(map);
	return k;
}

/* uhv.elf: parse, place, copy its segments. *entry and *base get the results. */
static EFI_STATUS load_uhv(u32 *entry, u32 *base)
{
	static struct img_info img;
	static struct mem_free freemem[512];
	EFI_PHYSICAL_ADDRESS file, at;
	UINTN size;
	u64 b;

	EFI_STATUS st = file_load(cfg.uhv.path, "uhv's image", &file, &size);
	if (EFI_ERROR(st))
		return st;
	if (img_parse((const u8 *)(UINTN)file, size, &img, err, sizeof(err)) < 0) {
		Print(L"uhv.efi: %a: %a\n", cfg.uhv.path, err);
		return EFI_LOAD_ERROR;
	}
	u64 len = img.link_end - img.link_base;
	if (img_place(&img, freemem, free_ranges(freemem, ARRAY_SIZE(freemem)), &b) < 0) {
		Print(L"uhv.efi: no free memory for %a (%ld KiB) where its multiboot2 header "
		      L"allows it\n", cfg.uhv.path, len / 1024);
		return EFI_OUT_OF_RESOURCES;
	}
	at = b;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData,
			       EFI_SIZE_TO_PAGES(len), &at);
	if (EFI_ERROR(st)) {
		Print(L"uhv.efi: cannot allocate 0x%lx bytes at 0x%lx for %a: %r\n", len, b,
		      cfg.uhv.path, st);
		return st;
	}
	__builtin_memset((void *)(UINTN)b, 0, len);
	for (u32 i = 0; i < img.nr_segs; i++) {
		const struct img_seg *s = &img.segs[i];
		__builtin_memcpy((void *)(UINTN)(b + s->paddr - img.link_base),
				 (const u8 *)(UINTN)file + s->offset, s->filesz);
	}
	file_free(file, size);
	*entry = (u32)(img.entry - img.link_base + b);
	*base = (u32)b;
	Print(L"uhv.efi: %a at 0x%lx (%ld KiB), entry 0x%x\n", cfg.uhv.path, b, len / 1024, *entry);
	return EFI_SUCCESS;
}

static EFI_STATUS load_modules(void)
{
	for (u32 i = 0; i < cfg.nr_modules; i++) {
		EFI_PHYSICAL_ADDRESS a;
		UINTN size;
		EFI_STATUS st = file_load(cfg.modules[i].path, i ? "module" : "the guest kernel",
					  &a, &size);
		if (EFI_ERROR(st))
			return st;
		modules[i] = (struct mbi_module){ (u32)a, (u32)(a + size), cfg.modules[i].args };
		Print(L"uhv.efi: module %d: %a at 0x%lx (%ld KiB)\n", (int)i, cfg.modules[i].path, a,
		      size / 1024);
	}
	return EFI_SUCCESS;
}

/* Mask of n bits at pos -> pos and size, as GRUB describes the GOP pixel format. */
static void mask_field(u32 mask, u8 *pos, u8 *size)
{
	*pos = *size = 0;
	if (!mask)
		return;
	while (!(mask & 1)) {
		mask >>= 1;
		(*pos)++;
	}
	while (mask & 1) {
		mask >>= 1;
		(*size)++;
	}
}

/* The GOP's current mode as the multiboot2 framebuffer tag (type 8, RGB). */
static const struct mbi_fb *gop_framebuffer(void)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
	if (EFI_ERROR(LibLocateProtocol(&GraphicsOutputProtocol, (void **)&gop)) || !gop ||
	    !gop->Mode || !gop->Mode->Info)
		return NULL;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
	u32 r, g, b, x;
	switch (mi->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		r = 0xff, g = 0xff00, b = 0xff0000, x = 0xff000000;
		break;
	case PixelBlueGreenRedReserved8BitPerColor:
		r = 0xff0000, g = 0xff00, b = 0xff, x = 0xff000000;
		break;
	case PixelBitMask:
		r = mi->PixelInformation.RedMask, g = mi->PixelInformation.GreenMask;
		b = mi->PixelInformation.BlueMask, x = mi->PixelInformation.ReservedMask;
		break;
	default:
		return NULL;	/* PixelBltOnly: no linear framebuffer */
	}
	u32 all = r | g | b | x, bpp = 0;
	while (all) {
		bpp++;
		all >>= 1;
	}
	bpp = bpp <= 16 ? (bpp <= 8 ? 8 : 16) : (bpp <= 24 ? 24 : 32);
	fb = (struct mbi_fb){ .addr = gop->Mode->FrameBufferBase,
			      .pitch = mi->PixelsPerScanLine * (bpp / 8),
			      .width = mi->HorizontalResolution,
			      .height = mi->VerticalResolution, .bpp = (u8)bpp };
	mask_field(r, &fb.red_pos, &fb.red_size);
	mask_field(g, &fb.green_pos, &fb.green_size);
	mask_field(b, &fb.blue_pos, &fb.blue_size);
	return &fb;
}

/* The RSDPs the firmware lists in its configuration table. */
static void find_rsdp(struct mbi_input *in)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		const u8 *p = t->VendorTable;
		if (!CompareGuid(&t->VendorGuid, &AcpiTableGuid))
			in->rsdp_v1 = p;
		if (!CompareGuid(&t->VendorGuid, &acpi20) && p[15] >= 2) {
			u32 len = p[20] | p[21] << 8 | p[22] << 16 | (u32)p[23] << 24;
			in->rsdp_v2 = p;
			in->rsdp_v2_len = len >= 36 && len <= 256 ? len : 36;
		}
	}
}

static EFI_STATUS run(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	EFI_STATUS st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
					  (void **)&li);
	if (EFI_ERROR(st)) {
		Print(L"uhv.efi: no Loaded Image protocol on its own handle: %r\n", st);
		return st;
	}
	st = files_init(li);
	if (!EFI_ERROR(st))
		st = read_config(li);
	u32 entry, base;
	if (!EFI_ERROR(st))
		st = load_uhv(&entry, &base);
	if (!EFI_ERROR(st))
		st = load_modules();
	if (EFI_ERROR(st))
		return st;

	static struct mbi_input in;
	in = (struct mbi_input){
		.cmdline = cfg.uhv.args, .loader_name = LOADER_NAME,
		.nr_modules = cfg.nr_modules, .modules = modules,
		.efi_systab = (u64)(UINTN)ST, .fb = gop_framebuffer(),
		.load_base_valid = true, .load_base = base,
	};
	find_rsdp(&in);
	Print(L"uhv.efi: leaving boot services, entering uhv\n");
	return exit_and_enter(image, &in, entry);
}

/* Called by GNU-EFI's crt0 (_start), which relocates the image and passes the
 * firmware's arguments in the System V registers: no EFIAPI here. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	InitializeLib(image, systab);
	EFI_STATUS st = run(image);
	Print(L"uhv.efi: not booting uhv (%r); back to the firmware's boot manager\n", st);
	uefi_call_wrapper(BS->Stall, 1, ERROR_PAUSE_US);
	return st;
}
