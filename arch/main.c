/* kmain: the boot flow after the NASM entry, top to bottom. */
#define LOG_MODULE "uhv"
#include <uhv/types.h>
#include <uhv/log.h>
#include <uhv/uart.h>
#include <uhv/platform.h>
#include <uhv/kmem.h>
#include <uhv/trap.h>
#include <uhv/timer.h>

#define MB2_BOOT_MAGIC 0x36d76289

__noreturn void kmain(u32 magic, u64 mbi_pa, u64 load_base)
{
	uart_init(0x3f8, 115200);
	log_raw("\nuhv microhypervisor - built " __DATE__ " " __TIME__ "\n");
	gdt_init();
	idt_init();
	platform_set(platform_detect());
	pr_info("loaded at %#llx, multiboot2 info at %#llx, platform %s\n",
		(unsigned long long)load_base, (unsigned long long)mbi_pa, platform_name(platform_get()));
	if (magic != MB2_BOOT_MAGIC) {
		pr_err("not started by a multiboot2 loader (EAX=%#x, expected %#x); boot uhv with GRUB's multiboot2 command\n",
		       magic, MB2_BOOT_MAGIC);
		platform_exit(false, "bad boot magic");
	}
	timer_init();
	platform_exit(true, "boot complete");
}
