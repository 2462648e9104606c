/* Human-readable names for VMX numbers, for exit logs and VM-entry failure
 * reports. Texts follow the SDM (Vol. 3D Appendix C exit reasons, Vol. 3C
 * 31.4 VM-instruction errors). Pure. */
#include <uhv/hw/vmx.h>

static const char *const exit_reasons[] = {
	[EXIT_REASON_EXCEPTION_NMI] = "exception or NMI",
	[EXIT_REASON_EXTERNAL_INTERRUPT] = "external interrupt",
	[EXIT_REASON_TRIPLE_FAULT] = "triple fault",
	[EXIT_REASON_INIT_SIGNAL] = "INIT signal",
	[EXIT_REASON_SIPI] = "start-up IPI (SIPI)",
	[EXIT_REASON_IO_SMI] = "I/O system-management interrupt",
	[EXIT_REASON_OTHER_SMI] = "other SMI",
	[EXIT_REASON_INTERRUPT_WINDOW] = "interrupt window",
	[EXIT_REASON_NMI_WINDOW] = "NMI window",
	[EXIT_REASON_TASK_SWITCH] = "task switch",
	[EXIT_REASON_CPUID] = "CPUID",
	[EXIT_REASON_GETSEC] = "GETSEC",
	[EXIT_REASON_HLT] = "HLT",
	[EXIT_REASON_INVD] = "INVD",
	[EXIT_REASON_INVLPG] = "INVLPG",
	[EXIT_REASON_RDPMC] = "RDPMC",
	[EXIT_REASON_RDTSC] = "RDTSC",
	[EXIT_REASON_RSM] = "RSM",
	[EXIT_REASON_VMCALL] = "VMCALL",
	[EXIT_REASON_VMCLEAR] = "VMCLEAR",
	[EXIT_REASON_VMLAUNCH] = "VMLAUNCH",
	[EXIT_REASON_VMPTRLD] = "VMPTRLD",
	[EXIT_REASON_VMPTRST] = "VMPTRST",
	[EXIT_REASON_VMREAD] = "VMREAD",
	[EXIT_REASON_VMRESUME] = "VMRESUME",
	[EXIT_REASON_VMWRITE] = "VMWRITE",
	[EXIT_REASON_VMXOFF] = "VMXOFF",
	[EXIT_REASON_VMXON] = "VMXON",
	[EXIT_REASON_CR_ACCESS] = "control-register access",
	[EXIT_REASON_MOV_DR] = "MOV DR",
	[EXIT_REASON_IO_INSTRUCTION] = "I/O instruction",
	[EXIT_REASON_RDMSR] = "RDMSR",
	[EXIT_REASON_WRMSR] = "WRMSR",
	[EXIT_REASON_INVALID_GUEST_STATE] = "VM-entry failure due to invalid guest state",
	[EXIT_REASON_MSR_LOADING] = "VM-entry failure due to MSR loading",
	[EXIT_REASON_MWAIT] = "MWAIT",
	[EXIT_REASON_MONITOR_TRAP_FLAG] = "monitor trap flag",
	[EXIT_REASON_MONITOR] = "MONITOR",
	[EXIT_REASON_PAUSE] = "PAUSE",
	[EXIT_REASON_MACHINE_CHECK] = "VM-entry failure due to machine-check event",
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = "TPR below threshold",
	[EXIT_REASON_APIC_ACCESS] = "APIC access",
	[EXIT_REASON_VIRTUALIZED_EOI] = "virtualized EOI",
	[EXIT_REASON_GDTR_IDTR] = "access to GDTR or IDTR",
	[EXIT_REASON_LDTR_TR] = "access to LDTR or TR",
	[EXIT_REASON_EPT_VIOLATION] = "EPT violation",
	[EXIT_REASON_EPT_MISCONFIG] = "EPT misconfiguration",
	[EXIT_REASON_INVEPT] = "INVEPT",
	[EXIT_REASON_RDTSCP] = "RDTSCP",
	[EXIT_REASON_PREEMPTION_TIMER] = "VMX-preemption timer expired",
	[EXIT_REASON_INVVPID] = "INVVPID",
	[EXIT_REASON_WBINVD] = "WBINVD or WBNOINVD",
	[EXIT_REASON_XSETBV] = "XSETBV",
	[EXIT_REASON_APIC_WRITE] = "APIC write",
	[EXIT_REASON_RDRAND] = "RDRAND",
	[EXIT_REASON_INVPCID] = "INVPCID",
	[EXIT_REASON_VMFUNC] = "VMFUNC",
	[EXIT_REASON_ENCLS] = "ENCLS",
	[EXIT_REASON_RDSEED] = "RDSEED",
	[EXIT_REASON_PML_FULL] = "page-modification log full",
	[EXIT_REASON_XSAVES] = "XSAVES",
	[EXIT_REASON_XRSTORS] = "XRSTORS",
	[EXIT_REASON_PCONFIG] = "PCONFIG",
	[EXIT_REASON_SPP_EVENT] = "SPP-related event",
	[EXIT_REASON_UMWAIT] = "UMWAIT",
	[EXIT_REASON_TPAUSE] = "TPAUSE",
	[EXIT_REASON_LOADIWKEY] = "LOADIWKEY",
	[EXIT_REASON_ENCLV] = "ENCLV",
	[EXIT_REASON_ENQCMD_PASID_FAIL] = "ENQCMD PASID translation failure",
	[EXIT_REASON_ENQCMDS_PASID_FAIL] = "ENQCMDS PASID translation failure",
	[EXIT_REASON_BUS_LOCK] = "bus lock",
	[EXIT_REASON_INSTRUCTION_TIMEOUT] = "instruction timeout",
	[EXIT_REASON_SEAMCALL] = "SEAMCALL",
	[EXIT_REASON_TDCALL] = "TDCALL",
	[EXIT_REASON_RDMSRLIST] = "RDMSRLIST",
	[EXIT_REASON_WRMSRLIST] = "WRMSRLIST",
};

const char *vmx_exit_reason_name(u32 reason)
{
	u32 basic = EXIT_REASON_BASIC(reason);

	if (basic < ARRAY_SIZE(exit_reasons) && exit_reasons[basic])
		return exit_reasons[basic];
	return "unknown";
}

static const char *const instr_errors[] = {
	[VMXERR_VMCALL_IN_VMX_ROOT] = "VMCALL executed in VMX root operation",
	[VMXERR_VMCLEAR_INVALID_ADDR] = "VMCLEAR with invalid physical address",
	[VMXERR_VMCLEAR_VMXON_POINTER] = "VMCLEAR with VMXON pointer",
	[VMXERR_VMLAUNCH_NONCLEAR_VMCS] = "VMLAUNCH with non-clear VMCS",
	[VMXERR_VMRESUME_NONLAUNCHED_VMCS] = "VMRESUME with non-launched VMCS",
	[VMXERR_VMRESUME_AFTER_VMXOFF] = "VMRESUME after VMXOFF (VMXOFF and VMXON between "
					 "VMLAUNCH and VMRESUME)",
	[VMXERR_ENTRY_INVALID_CONTROL_FIELD] = "VM entry with invalid control field(s)",
	[VMXERR_ENTRY_INVALID_HOST_STATE_FIELD] = "VM entry with invalid host-state field(s)",
	[VMXERR_VMPTRLD_INVALID_ADDR] = "VMPTRLD with invalid physical address",
	[VMXERR_VMPTRLD_VMXON_POINTER] = "VMPTRLD with VMXON pointer",
	[VMXERR_VMPTRLD_INCORRECT_REVISION] = "VMPTRLD with incorrect VMCS revision identifier",
	[VMXERR_UNSUPPORTED_VMCS_COMPONENT] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[VMXERR_VMWRITE_READ_ONLY_COMPONENT] = "VMWRITE to read-only VMCS component",
	[VMXERR_VMXON_IN_VMX_ROOT] = "VMXON executed in VMX root operation",
	[VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS] = "VM entry with invalid executive-VMCS pointer",
	[VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS] = "VM entry with non-launched executive VMCS",
	[VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON] = "VM entry with executive-VMCS pointer not "
						  "VMXON pointer",
	[VMXERR_VMCALL_NONCLEAR_VMCS] = "VMCALL with non-clear VMCS",
	[VMXERR_VMCALL_INVALID_EXIT_CONTROLS] = "VMCALL with invalid VM-exit control fields",
	[VMXERR_VMCALL_INCORRECT_MSEG_REVISION] = "VMCALL with incorrect MSEG revision identifier",
	[VMXERR_VMXOFF_DUAL_MONITOR] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[VMXERR_VMCALL_INVALID_SMM_MONITOR] = "VMCALL with invalid SMM-monitor features",
	[VMXERR_ENTRY_INVALID_EXECUTIVE_CONTROLS] = "VM entry with invalid VM-execution control "
						    "fields in executive VMCS",
	[VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS] = "VM entry with events blocked by MOV SS",
	[VMXERR_INVALID_INVEPT_INVVPID_OPERAND] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instr_error_text(u32 error)
{
	if (error < ARRAY_SIZE(instr_errors) && instr_errors[error])
		return instr_errors[error];
	return "unknown error";
}

const char *vmx_event_type_name(u32 type)
{
	static const char *const names[8] = {
		[INTR_TYPE_EXT_INTR] = "external interrupt",
		[1] = "reserved",
		[INTR_TYPE_NMI] = "NMI",
		[INTR_TYPE_HARD_EXCEPTION] = "hardware exception",
		[INTR_TYPE_SOFT_INTR] = "software interrupt",
		[INTR_TYPE_PRIV_SW_EXCEPTION] = "privileged software exception",
		[INTR_TYPE_SOFT_EXCEPTION] = "software exception",
		[INTR_TYPE_OTHER_EVENT] = "other event",
	};
	return type < 8 ? names[type] : "invalid";
}

const char *vmx_exception_name(u32 vector)
{
	static const char *const names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
		"#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#??",
		"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#??", "#??",
		"#??", "#??", "#??", "#??", "#??", "#??", "#??", "#??",
	};
	return vector < 32 ? names[vector] : "#??";
}
