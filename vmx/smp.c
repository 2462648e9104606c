/* Application processors under VMX: placeholder until the VMX side lands
 * (the AP reports and halts in uhv). */
#define LOG_MODULE "smp"
#include <uhv/vmx_smp.h>
#include <uhv/log.h>

__noreturn void vmx_ap_main(struct percpu *pc)
{
	(void)pc;
	for (;;)
		asm volatile("cli; hlt");
}
