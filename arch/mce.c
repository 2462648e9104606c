/* Machine checks (<uhv/mca.h>): CR4.MCE on every CPU, and the #MC report.
 *
 * Without CR4.MCE a machine check shuts the CPU down (SDM Vol. 3B 16.5: "if CR4.MCE is clear,
 * the processor enters shutdown"); on a machine whose firmware broadcasts machine checks, one
 * CPU left so takes the whole platform down without a word. With it, every CPU that runs uhv's
 * code (the boot CPU from early in kmain, each AP from its first C line: it copies the boot
 * CPU's CR4, and the VMCS host CR4 is the CPU's own) enters the #MC handler below on its own
 * IST stack. uhv does not recover: it reports what the banks hold and ends the run (a CPU
 * that also takes the machine check meanwhile says so in one line and stops). */
#define LOG_MODULE "uhv"
#include <uhv/mca.h>
#include <uhv/hw/mca.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include <uhv/percpu.h>
#include <uhv/platform.h>
#include <uhv/smp.h>
#include <uhv/trap.h>

u64 mce_enable_here(void)
{
	u64 cr4 = read_cr4();

	if ((cpuid(1, 0).edx & CPUID_1_EDX_MCE) && !(cr4 & CR4_MCE)) {
		cr4 |= CR4_MCE;
		write_cr4(cr4);
	}
	return cr4;
}

/* Bank i, printed when it holds an error. true if it did. */
static bool report_bank(unsigned i, bool ser_p)
{
	u64 status = rdmsr(MCA_BANK_STATUS(i));
	char text[160];

	if (!(status & MCI_STATUS_VAL))
		return false;
	mca_bank_status_text(status, ser_p, text, sizeof(text));
	log_raw("  bank %u: IA32_MC%u_STATUS %#llx: %s\n", i, i, status, text);
	if (status & MCI_STATUS_ADDRV)
		log_raw("    IA32_MC%u_ADDR %#llx\n", i, rdmsr(MCA_BANK_ADDR(i)));
	if (status & MCI_STATUS_MISCV)
		log_raw("    IA32_MC%u_MISC %#llx\n", i, rdmsr(MCA_BANK_MISC(i)));
	return true;
}

static void report_banks(void)
{
	char text[64];

	if (!(cpuid(1, 0).edx & CPUID_1_EDX_MCA)) {
		log_raw("  no machine-check architecture (CPUID.1:EDX.MCA = 0): no banks to read\n");
		return;
	}
	u64 cap = rdmsr(MSR_IA32_MCG_CAP), st = rdmsr(MSR_IA32_MCG_STATUS);
	unsigned n = MCG_CAP_COUNT(cap), held = 0;

	if (n > MCA_MAX_BANKS)
		n = MCA_MAX_BANKS;
	mca_mcg_status_text(st, text, sizeof(text));
	log_raw("  IA32_MCG_CAP %#llx (%u banks), IA32_MCG_STATUS %#llx (%s)%s\n", cap,
		MCG_CAP_COUNT(cap), st, text,
		st & MCG_STATUS_RIPV ? "" : ": the interrupted code cannot be resumed");
	for (unsigned i = 0; i < n; i++)
		held += report_bank(i, cap & MCG_CAP_SER_P);
	if (held)
		log_raw("  %u of %u banks hold an error\n", held, n);
	else
		log_raw("  none of the %u banks holds an error (the #MC did not come from the "
			"hardware's error reporting, or another CPU's handler read them)\n", n);
}

__noreturn void mce_handle(struct trap_frame *f)
{
	const struct percpu *pc = smp_this_cpu_checked();

	log_raw("\nuhv: MACHINE CHECK (#MC, vector 18) on CPU %u (APIC ID %u) at RIP %#llx "
		"(CS %#llx RFLAGS %#llx)\n", pc ? pc->cpu : 0, pc ? pc->apic_id : 0, f->rip, f->cs,
		f->rflags);
	report_banks();
	stack_trace(f->rbp, f->rip);
	log_raw("uhv: the hardware reported an error it could not correct; uhv does not "
		"recover from it: stopping every CPU. Check the machine (memory, CPU, firmware "
		"event log) before the next run\n");
	smp_stop_others();
	platform_exit(false, "machine check");
}
