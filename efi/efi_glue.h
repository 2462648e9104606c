/* uhv.efi's EFI-side functions (efi/main.c, efi/files.c, efi/exit.c): the parts
 * that call the firmware. The pure parts are in efi/loader.h. */
#ifndef UHV_EFI_GLUE_H
#define UHV_EFI_GLUE_H

#include <efi.h>
#include <efilib.h>
#include "loader.h"

EFI_STATUS files_init(EFI_LOADED_IMAGE *li);
EFI_STATUS file_load(const char *path, const char *what, EFI_PHYSICAL_ADDRESS *addr, UINTN *size);
void file_free(EFI_PHYSICAL_ADDRESS addr, UINTN size);

/* Take the final memory map, leave boot services, build the multiboot2
 * information and enter uhv at entry (physical, 32-bit). Returns only on
 * failure, with a message printed. */
EFI_STATUS exit_and_enter(EFI_HANDLE image, struct mbi_input *in, u32 entry);

#endif
