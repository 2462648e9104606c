/* The uhv hypercall ABI (VMCALL), shared by the hypervisor and guests.
 *
 * A guest executes VMCALL (0f 01 c1) at CPL 0 with the function number in
 * EAX/RAX and arguments in EBX, ECX, EDX, ESI (zero-extended in 64-bit mode).
 * The result comes back in EAX (negative errno on failure); other registers
 * are preserved unless a function says otherwise. VMCALL at CPL > 0 gets #UD.
 * Addresses are guest-physical. Self-standing: test guests include it. */
#ifndef UHV_HYPERCALL_H
#define UHV_HYPERCALL_H

#define UHV_HC_VERSION		0	/* -> EAX = UHV_HC_ABI_VERSION, EBX = 'uhv\0' */
#define UHV_HC_CONSOLE_WRITE	1	/* EBX = gpa, ECX = length (<= 4096) -> bytes written */
#define UHV_HC_SHUTDOWN		2	/* EBX = 0 pass / nonzero fail -> ends the run (no return) */
#define UHV_HC_EXIT_COUNT	3	/* EBX = exit reason, or ~0 for all -> EAX = exits of that reason (low 32 bits) */
#define UHV_HC_TEST_HOOK	4	/* EBX = hook number: test-only actions, see vmx/hypercall.c */

/* Test hooks (EBX of UHV_HC_TEST_HOOK; vmx/hypercall.c has the details). */
#define UHV_HOOK_UHV_ADDR	1	/* -> EAX 0, EBX:ECX = a host-physical address in uhv's image */
#define UHV_HOOK_EPT_SKIP	2	/* ECX = instruction length: resume after EPT violations (0 = off) */
#define UHV_HOOK_EPT_COUNT	3	/* -> EAX = EPT violations so far */
#define UHV_HOOK_DMA_TARGET	4	/* -> EAX = size (8 KiB), EBX:ECX = host-physical address of a
					 *    patterned area in uhv's image, EDX = its checksum now */
#define UHV_HOOK_VTD_FAULTS	5	/* -> EAX = VT-d faults uhv's periodic poll has recorded since
					 *    boot, -ENODEV without DMA remapping */
#define UHV_HOOK_EPT_FLUSH	6	/* -> EAX = other CPUs that did INVEPT on request when uhv
					 *    flushed the guest's EPT everywhere, or -ETIMEDOUT */
#define UHV_HOOK_PARK_NMI	32	/* -> EAX = parked CPUs that counted two NMIs sent to them and
					 *    halted again after each (issue 17, item 3) */
#define UHV_HOOK_PARK_MC	33	/* ECX = CPU index, 0 = the first parked one: it raises #MC
					 *    (int $18) in VMX root, which ends the run -> EAX 0, or
					 *    -ENOENT when there is no such parked CPU */

#define UHV_HC_ABI_VERSION	0x00010000	/* 1.0 */
#define UHV_HC_SIGNATURE	0x00766875	/* "uhv\0" little endian */

/* CPUID leaf 0x40000000: EAX = highest hypervisor leaf, EBX:ECX:EDX = "uhvuhvuhvuhv" */
#define UHV_CPUID_LEAF		0x40000000

#endif
