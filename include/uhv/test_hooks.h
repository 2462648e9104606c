/* Test hooks: what the test suite needs from uhv and a real machine must never
 * offer (host-physical addresses of uhv handed to the guest, EPT violations
 * skipped, INIT to every vCPU on request, an always-intercepted I/O port,
 * exceptions raised in uhv on purpose). They exist only in the test variant,
 * build/uhv-test.elf, compiled with -DUHV_TEST_BUILD from the same sources
 * plus vmx/test_hooks.c and arch/panic_test.c. `make` also builds the
 * production image build/uhv.elf, which has none of them: there each function
 * below is an empty inline, UHV_HC_TEST_HOOK is an unknown hypercall
 * (-ENOSYS), port 0x510 is no special port and panic-test= is an unknown
 * option (docs/security.md, "Test hooks"). */
#ifndef UHV_TEST_HOOKS_H
#define UHV_TEST_HOOKS_H

#include <uhv/types.h>

struct vcpu;
struct uhv_options;

/* This image's file in the build tree, for hints such as the crash report's addr2line line. */
#ifdef UHV_TEST_BUILD
#define UHV_IMAGE_FILE	"build/uhv-test.elf"
#else
#define UHV_IMAGE_FILE	"build/uhv.elf"
#endif

#ifdef UHV_TEST_BUILD
/* UHV_HC_TEST_HOOK: hook = EBX, arg = ECX; the result goes to EAX. */
s64 test_hook(struct vcpu *v, u32 hook, u32 arg);
/* At guest shutdown: false (after saying so) when the guest or a device wrote
 * one of the hooks' targets in uhv's image. */
bool test_hook_targets_intact(void);
/* Port 0x510, the benchmark's cheap I/O exit: true when q (the exit
 * qualification) was an access to it, which is then done. */
bool test_hook_io(struct vcpu *v, u64 q);
/* Hook 2 armed: resume after the instruction that caused an EPT violation (or
 * a shadow-paging fault outside guest memory). idt = IDT-vectoring info. */
bool test_hook_ept_skip(struct vcpu *v, u32 idt);
/* panic-test=vmentry-*: break the VMCS before VMLAUNCH. */
void test_hook_break_vmentry(const struct uhv_options *o);
/* end-test=poweroff|reset: end the run now as the guest's power-off or reset would. */
void end_test(const struct uhv_options *o);
/* lowmem-reserve= (mm/kmem.c): before kmem_init, the range kmem_init marks firmware-reserved. */
void test_hook_lowmem_reserve(const struct uhv_options *o);
/* A parked CPU's HLT loop (vmx/vcpus.c), each time round: hook 33's machine check. */
void test_hook_parked(struct vcpu *v);
/* panic-test=de|ud|gp|pf: raise it now; before_aps: the point before the
 * other CPUs start (used with probe, which starts none). */
void panic_test(const struct uhv_options *o, bool before_aps);
/* vtd-test-fw-te (drivers/vtd_test_hooks.c): before uhv's VT-d setup, turn translation on in
 * every DMAR unit as firmware might leave it; between uhv's probe (takeover) and enable of the
 * units, make the e1000 fetch a descriptor from uhv's memory and say whether it got there. */
struct pci;
struct pci_cfg_ops;
void test_hook_vtd_firmware_te(const struct uhv_options *o, const void *dmar, size_t len);
void test_hook_vtd_takeover_window(const struct uhv_options *o, const struct pci *pci,
				   const struct pci_cfg_ops *cfg);
/* vtd-test-ir-preenable (drivers/vtd_test_hooks.c): before uhv's VT-d setup, turn interrupt
 * remapping on in every unit with ECAP.IR, as firmware might leave it: a throwaway table whose
 * entries 1-2 deliver vector 0x5a, compatibility format allowed (CFI). */
void test_hook_vtd_firmware_ir(const struct uhv_options *o, const void *dmar, size_t len);
#else
static inline bool test_hook_targets_intact(void) { return true; }
static inline bool test_hook_io(struct vcpu *v, u64 q) { return false; }
static inline bool test_hook_ept_skip(struct vcpu *v, u32 idt) { return false; }
static inline void test_hook_break_vmentry(const struct uhv_options *o) { }
static inline void test_hook_parked(struct vcpu *v) { }
static inline void end_test(const struct uhv_options *o) { }
static inline void test_hook_lowmem_reserve(const struct uhv_options *o) { }
static inline void panic_test(const struct uhv_options *o, bool before_aps) { }
struct pci;
struct pci_cfg_ops;
static inline void test_hook_vtd_firmware_te(const struct uhv_options *o, const void *dmar,
					     size_t len) { }
static inline void test_hook_vtd_firmware_ir(const struct uhv_options *o, const void *dmar,
					     size_t len) { }
static inline void test_hook_vtd_takeover_window(const struct uhv_options *o,
						 const struct pci *pci,
						 const struct pci_cfg_ops *cfg) { }
#endif

#endif
