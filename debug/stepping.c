/* Single steps and the exits that stop the guest for a debugger: arming a step (monitor trap
 * flag, or RFLAGS.TF with #DB intercepted where there is no MTF), hiding uhv's TF from the
 * guest, the #BP/#DB intercepts in the exception bitmap, and the #BP, #DB and MTF exit
 * handlers. docs/debugging.md has the design. */
#define LOG_MODULE "debug"
#include <uhv/vmx_exit.h>
#include <uhv/shadow_vmx.h>
#include <uhv/gdbstub.h>
#include <uhv/cpu.h>
#include <uhv/log.h>
#include "debug_priv.h"

#define VEC_DB		1
#define VEC_BP		3
#define DR6_BS		BIT(14)
#define DR6_BD		BIT(13)
#define DR6_B0_3	0xfULL

DEFINE_DR(6)

static bool stub_has_sw_breakpoints(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	if (!dbg->stub_attached)
		return false;
	for (unsigned i = 0; i < GDB_SW_BP_MAX; i++)
		if (dbg->stub.sw[i].used)
			return true;
	return false;
}

/* Only #BP and #DB are ours in the exception bitmap (mem=shadow owns #PF). */
void dbg_update_intercepts(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u32 bitmap = (u32)vmread(VMCS_EXCEPTION_BITMAP) & ~(u32)(BIT(VEC_BP) | BIT(VEC_DB));

	if (stub_has_sw_breakpoints())
		bitmap |= BIT(VEC_BP);
	if (dbg->hw_active || dbg->step_tf)
		bitmap |= BIT(VEC_DB);
	vmwrite(VMCS_EXCEPTION_BITMAP, bitmap);
}

void dbg_arm_step(enum step_owner who)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 rflags = vmread(VMCS_GUEST_RFLAGS);

	dbg->stepping = who;
	dbg->step_rip = vmread(VMCS_GUEST_RIP);
	pr_debug("step from rip %#llx by %s\n", dbg->step_rip, dbg->mtf ? "MTF" : "TF");
	if (dbg->mtf) {
		vmwrite(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS,
			vmread(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS) |
			CPU_BASED_MONITOR_TRAP_FLAG);
		return;
	}
	/* RFLAGS.TF: a single-step #DB after the instruction, intercepted */
	dbg->step_tf = true;
	dbg->tf_was_set = rflags & RFLAGS_TF;
	vmwrite(VMCS_GUEST_RFLAGS, rflags | RFLAGS_TF);
}

/* Hide the TF uhv set from the guest: clear it again, and take it out of
 * what a stepped PUSHF stored. */
static void finish_tf_step(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u8 insn[16];
	int n;
	unsigned i = 0;
	bool lm = vmread(VMCS_GUEST_IA32_EFER) & EFER_LMA;

	dbg->step_tf = false;
	if (dbg->tf_was_set)
		return;
	vmwrite(VMCS_GUEST_RFLAGS, vmread(VMCS_GUEST_RFLAGS) & ~(u64)RFLAGS_TF);
	n = dbg_gva_rw(vmread(VMCS_GUEST_CS_BASE) + dbg->step_rip, insn, sizeof(insn), false);
	if (n <= 0)
		return;
	/* legacy prefixes, then REX in 64-bit mode */
	while (i < (unsigned)n && (insn[i] == 0x66 || insn[i] == 0x67 || insn[i] == 0xf2 ||
				   insn[i] == 0xf3 || insn[i] == 0x2e || insn[i] == 0x36 ||
				   insn[i] == 0x3e || insn[i] == 0x26 || insn[i] == 0x64 ||
				   insn[i] == 0x65 || insn[i] == 0xf0))
		i++;
	if (lm && i < (unsigned)n && (insn[i] & 0xf0) == 0x40)
		i++;
	if (i < (unsigned)n && insn[i] == 0x9c) {	/* PUSHF: TF is bit 0 of byte 1 */
		u64 sp = vmread(VMCS_GUEST_SS_BASE) + vmread(VMCS_GUEST_RSP) + 1;
		u8 b;
		if (!lm)
			sp &= 0xffffffffULL;
		if (dbg_gva_rw(sp, &b, 1, false) == 1) {
			b &= (u8)~1;
			dbg_gva_rw(sp, &b, 1, true);
		}
	}
}

/* An execute breakpoint at the resume address would fire again at once. */
void dbg_set_rf_if_needed(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	u64 rip = vmread(VMCS_GUEST_RIP);

	if (!dbg->hw_active)
		return;
	for (unsigned i = 0; i < 4; i++) {
		bool exec = ((dbg->gdb_dr7 >> (16 + 4 * i)) & 3) == 0;
		if ((dbg->gdb_dr7 & (3ULL << (2 * i))) && exec && dbg->gdb_dr[i] == rip)
			vmwrite(VMCS_GUEST_RFLAGS, vmread(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
	}
}

/* ---- exits ---------------------------------------------------------------------------------- */

static void step_done(void)
{
	struct vm_debug *dbg = dbg_of_cpu();
	enum step_owner who = dbg->stepping;

	dbg->stepping = STEP_NONE;
	if (who == STEP_MONITOR) {
		dbg_stop_monitor("step");
	} else if (who == STEP_GDB) {
		struct gdb_stop st = { .reason = GDB_STOP_STEP };
		dbg_stop_gdb(&st);
	} else {
		dbg_update_intercepts();
	}
}

void vmx_handle_mtf(struct vcpu *v)
{
	struct vm_debug *dbg = &v->vm->dbg;
	dbg->v = v;
	pr_debug("MTF exit at rip %#llx\n", vmread(VMCS_GUEST_RIP));
	vmwrite(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS,
		vmread(VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROLS) &
		~(u64)CPU_BASED_MONITOR_TRAP_FLAG);
	step_done();
}

static void reinject(u32 info)
{
	vmx_reinject_event(info, (u32)vmread(VMCS_VM_EXIT_INTERRUPTION_ERROR_CODE),
			   (u32)vmread(VMCS_VM_EXIT_INSTRUCTION_LEN));
}

void vmx_handle_exception(struct vcpu *v)
{
	u32 info = (u32)vmread(VMCS_VM_EXIT_INTERRUPTION_INFO);
	unsigned vec = info & INTR_INFO_VECTOR_MASK;
	struct vm_debug *dbg;
	u64 q;

	/* #PF (mem=shadow, the frequent one) first: it is no business of the debugger's */
	if (vec != VEC_BP && vec != VEC_DB) {
		shadow_vmx_handle_exception(v, info);	/* stops on anything but #PF */
		return;
	}
	dbg = &v->vm->dbg;
	dbg->v = v;
	if (vec == VEC_BP) {
		u64 rip = vmread(VMCS_GUEST_RIP);
		if (dbg->stub_attached && gdb_is_breakpoint(&dbg->stub, rip)) {
			struct gdb_stop st = { .reason = GDB_STOP_INT3, .rip = rip };
			dbg_stop_gdb(&st);
			return;
		}
		reinject(info);	/* the guest's own int3 */
		return;
	}
	q = vmread(VMCS_EXIT_QUALIFICATION);
	if (dbg->step_tf && (q & DR6_BS)) {
		finish_tf_step();
		if (!(q & DR6_B0_3) || !dbg->hw_active) {
			step_done();
			return;
		}
	}
	if (dbg->stub_attached && dbg->hw_active && (q & DR6_B0_3)) {
		struct gdb_stop st = { .reason = GDB_STOP_DEBUG, .dr6 = q };
		dbg->stepping = STEP_NONE;
		dbg_stop_gdb(&st);
		return;
	}
	/* the guest's own #DB: DR6 as the CPU would have set it, then deliver */
	write_dr6((read_dr6() & ~(DR6_B0_3 | DR6_BD | DR6_BS)) |
		  (q & (DR6_B0_3 | DR6_BD | DR6_BS)));
	reinject(info);
}

