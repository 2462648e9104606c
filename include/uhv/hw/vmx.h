/* Intel VMX architectural constants: exit reasons and the exit-reason field
 * (SDM Vol. 3D Appendix C, Vol. 3C 25.9.1), VM-entry failure qualifications,
 * VM-instruction error numbers (31.4), interruption information (25.8.3,
 * 25.9.2), guest interruptibility and activity state and segment access rights
 * (25.4), exit qualifications (28.2.1), the EPTP format (Table 25-9), and the
 * names vmx/vmx_names.c gives them.
 *
 * It includes the rest of VMX, so that <uhv/hw/vmx.h> is the one include:
 * <uhv/hw/vmx_msr.h> has the capability MSRs, INVEPT/INVVPID types and the
 * VM-execution, exit and entry control bits; <uhv/hw/vmcs_fields.h> the VMCS
 * field encodings. Only constants here: decoding lives in <uhv/vmx_caps.h>. */
#ifndef UHV_VMX_H
#define UHV_VMX_H

#include <uhv/types.h>
#include <uhv/hw/vmx_msr.h>
#include <uhv/hw/vmcs_fields.h>

/* ---- Exit reasons (Appendix C); the exit-reason field's bits 15:0 ---- */
#define EXIT_REASON_EXCEPTION_NMI		0
#define EXIT_REASON_EXTERNAL_INTERRUPT		1
#define EXIT_REASON_TRIPLE_FAULT		2
#define EXIT_REASON_INIT_SIGNAL			3
#define EXIT_REASON_SIPI			4
#define EXIT_REASON_IO_SMI			5
#define EXIT_REASON_OTHER_SMI			6
#define EXIT_REASON_INTERRUPT_WINDOW		7
#define EXIT_REASON_NMI_WINDOW			8
#define EXIT_REASON_TASK_SWITCH			9
#define EXIT_REASON_CPUID			10
#define EXIT_REASON_GETSEC			11
#define EXIT_REASON_HLT				12
#define EXIT_REASON_INVD			13
#define EXIT_REASON_INVLPG			14
#define EXIT_REASON_RDPMC			15
#define EXIT_REASON_RDTSC			16
#define EXIT_REASON_RSM				17
#define EXIT_REASON_VMCALL			18
#define EXIT_REASON_VMCLEAR			19
#define EXIT_REASON_VMLAUNCH			20
#define EXIT_REASON_VMPTRLD			21
#define EXIT_REASON_VMPTRST			22
#define EXIT_REASON_VMREAD			23
#define EXIT_REASON_VMRESUME			24
#define EXIT_REASON_VMWRITE			25
#define EXIT_REASON_VMXOFF			26
#define EXIT_REASON_VMXON			27
#define EXIT_REASON_CR_ACCESS			28
#define EXIT_REASON_MOV_DR			29
#define EXIT_REASON_IO_INSTRUCTION		30
#define EXIT_REASON_RDMSR			31
#define EXIT_REASON_WRMSR			32
#define EXIT_REASON_INVALID_GUEST_STATE		33
#define EXIT_REASON_MSR_LOADING			34
#define EXIT_REASON_MWAIT			36
#define EXIT_REASON_MONITOR_TRAP_FLAG		37
#define EXIT_REASON_MONITOR			39
#define EXIT_REASON_PAUSE			40
#define EXIT_REASON_MACHINE_CHECK		41
#define EXIT_REASON_TPR_BELOW_THRESHOLD		43
#define EXIT_REASON_APIC_ACCESS			44
#define EXIT_REASON_VIRTUALIZED_EOI		45
#define EXIT_REASON_GDTR_IDTR			46
#define EXIT_REASON_LDTR_TR			47
#define EXIT_REASON_EPT_VIOLATION		48
#define EXIT_REASON_EPT_MISCONFIG		49
#define EXIT_REASON_INVEPT			50
#define EXIT_REASON_RDTSCP			51
#define EXIT_REASON_PREEMPTION_TIMER		52
#define EXIT_REASON_INVVPID			53
#define EXIT_REASON_WBINVD			54
#define EXIT_REASON_XSETBV			55
#define EXIT_REASON_APIC_WRITE			56
#define EXIT_REASON_RDRAND			57
#define EXIT_REASON_INVPCID			58
#define EXIT_REASON_VMFUNC			59
#define EXIT_REASON_ENCLS			60
#define EXIT_REASON_RDSEED			61
#define EXIT_REASON_PML_FULL			62
#define EXIT_REASON_XSAVES			63
#define EXIT_REASON_XRSTORS			64
#define EXIT_REASON_PCONFIG			65
#define EXIT_REASON_SPP_EVENT			66
#define EXIT_REASON_UMWAIT			67
#define EXIT_REASON_TPAUSE			68
#define EXIT_REASON_LOADIWKEY			69
#define EXIT_REASON_ENCLV			70
#define EXIT_REASON_ENQCMD_PASID_FAIL		72
#define EXIT_REASON_ENQCMDS_PASID_FAIL		73
#define EXIT_REASON_BUS_LOCK			74
#define EXIT_REASON_INSTRUCTION_TIMEOUT		75
#define EXIT_REASON_SEAMCALL			76
#define EXIT_REASON_TDCALL			77
#define EXIT_REASON_RDMSRLIST			78
#define EXIT_REASON_WRMSRLIST			79

/* Exit-reason field (25.9.1) */
#define EXIT_REASON_BASIC(r)			((r) & 0xffff)
#define EXIT_REASON_ENCLAVE_MODE		BIT(27)
#define EXIT_REASON_PENDING_MTF			BIT(28)
#define EXIT_REASON_FROM_VMX_ROOT		BIT(29)
#define EXIT_REASON_VM_ENTRY_FAILURE		BIT(31)

/* Exit qualification for VM-entry failures 33/34 (invalid guest state) */
#define ENTRY_FAIL_QUAL_DEFAULT			0
#define ENTRY_FAIL_QUAL_PDPTE			2
#define ENTRY_FAIL_QUAL_NMI_INJECTION		3
#define ENTRY_FAIL_QUAL_VMCS_LINK_POINTER	4

/* ---- VM-instruction error numbers (31.4), VMCS_VM_INSTRUCTION_ERROR ---- */
#define VMXERR_VMCALL_IN_VMX_ROOT		1
#define VMXERR_VMCLEAR_INVALID_ADDR		2
#define VMXERR_VMCLEAR_VMXON_POINTER		3
#define VMXERR_VMLAUNCH_NONCLEAR_VMCS		4
#define VMXERR_VMRESUME_NONLAUNCHED_VMCS	5
#define VMXERR_VMRESUME_AFTER_VMXOFF		6
#define VMXERR_ENTRY_INVALID_CONTROL_FIELD	7
#define VMXERR_ENTRY_INVALID_HOST_STATE_FIELD	8
#define VMXERR_VMPTRLD_INVALID_ADDR		9
#define VMXERR_VMPTRLD_VMXON_POINTER		10
#define VMXERR_VMPTRLD_INCORRECT_REVISION	11
#define VMXERR_UNSUPPORTED_VMCS_COMPONENT	12
#define VMXERR_VMWRITE_READ_ONLY_COMPONENT	13
#define VMXERR_VMXON_IN_VMX_ROOT		15
#define VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS	16
#define VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS	17
#define VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON	18
#define VMXERR_VMCALL_NONCLEAR_VMCS		19
#define VMXERR_VMCALL_INVALID_EXIT_CONTROLS	20
#define VMXERR_VMCALL_INCORRECT_MSEG_REVISION	22
#define VMXERR_VMXOFF_DUAL_MONITOR		23
#define VMXERR_VMCALL_INVALID_SMM_MONITOR	24
#define VMXERR_ENTRY_INVALID_EXECUTIVE_CONTROLS	25
#define VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS	26
#define VMXERR_INVALID_INVEPT_INVVPID_OPERAND	28

/* ---- Interruption information (VM-entry 25.8.3, VM-exit 25.9.2, IDT vectoring) ---- */
#define INTR_INFO_VECTOR_MASK			0xffU		/* bits 7:0 */
#define INTR_INFO_TYPE_SHIFT			8		/* bits 10:8 */
#define INTR_INFO_TYPE_MASK			(7U << INTR_INFO_TYPE_SHIFT)
#define INTR_INFO_TYPE(info)			(((info) >> INTR_INFO_TYPE_SHIFT) & 7)
#define INTR_INFO_DELIVER_ERROR_CODE		BIT(11)
#define INTR_INFO_NMI_UNBLOCKING_IRET		BIT(12)		/* exit / vectoring info only */
#define INTR_INFO_VALID				BIT(31)

#define INTR_TYPE_EXT_INTR			0	/* external interrupt */
#define INTR_TYPE_NMI				2
#define INTR_TYPE_HARD_EXCEPTION		3
#define INTR_TYPE_SOFT_INTR			4	/* INT n */
#define INTR_TYPE_PRIV_SW_EXCEPTION		5	/* INT1 (ICEBP) */
#define INTR_TYPE_SOFT_EXCEPTION		6	/* INT3, INTO */
#define INTR_TYPE_OTHER_EVENT			7	/* MTF pending on entry */

/* Guest interruptibility state (Table 25-3) */
#define GUEST_INTR_STATE_STI			BIT(0)
#define GUEST_INTR_STATE_MOV_SS			BIT(1)
#define GUEST_INTR_STATE_SMI			BIT(2)
#define GUEST_INTR_STATE_NMI			BIT(3)
#define GUEST_INTR_STATE_ENCLAVE		BIT(4)

/* Guest activity state */
#define GUEST_ACTIVITY_ACTIVE			0
#define GUEST_ACTIVITY_HLT			1
#define GUEST_ACTIVITY_SHUTDOWN			2
#define GUEST_ACTIVITY_WAIT_SIPI		3

/* Segment access rights in the VMCS (25.4.1): descriptor bits 15:8 and 23:20
 * as bits 7:0 and 15:12, plus "unusable" */
#define VMX_AR_TYPE_MASK			0xfU
#define VMX_AR_S				BIT(4)
#define VMX_AR_DPL_SHIFT			5
#define VMX_AR_P				BIT(7)
#define VMX_AR_AVL				BIT(12)
#define VMX_AR_L				BIT(13)
#define VMX_AR_DB				BIT(14)
#define VMX_AR_G				BIT(15)
#define VMX_AR_UNUSABLE				BIT(16)

/* ---- Exit qualifications (28.2.1) ---- */

/* Control-register accesses (Table 28-3) */
#define CR_QUAL_CR_NUM(q)			((q) & 0xf)		/* bits 3:0 */
#define CR_QUAL_ACCESS_TYPE(q)			(((q) >> 4) & 3)	/* bits 5:4 */
#define CR_ACCESS_MOV_TO_CR			0
#define CR_ACCESS_MOV_FROM_CR			1
#define CR_ACCESS_CLTS				2
#define CR_ACCESS_LMSW				3
#define CR_QUAL_LMSW_MEMORY			BIT(6)			/* LMSW operand in memory */
/* bits 11:8, 0 = RAX .. 15 = R15 */
#define CR_QUAL_GPR(q)				(((q) >> 8) & 0xf)
#define CR_QUAL_LMSW_DATA(q)			(((q) >> 16) & 0xffff)	/* bits 31:16 */

/* MOV DR (Table 28-4) */
#define DR_QUAL_DR_NUM(q)			((q) & 7)
#define DR_QUAL_FROM_DR				BIT(4) /* 0: MOV to DR, 1: MOV from DR */
#define DR_QUAL_GPR(q)				(((q) >> 8) & 0xf)

/* I/O instructions (Table 28-5) */
/* bits 2:0: access size - 1 (1, 2, 4) */
#define IO_QUAL_SIZE(q)				(((q) & 7) + 1)
#define IO_QUAL_IN				BIT(3)			/* 0: OUT, 1: IN */
#define IO_QUAL_STRING				BIT(4)
#define IO_QUAL_REP				BIT(5)
#define IO_QUAL_IMMEDIATE			BIT(6) /* 0: port in DX, 1: immediate */
#define IO_QUAL_PORT(q)				(((q) >> 16) & 0xffff)	/* bits 31:16 */

/* EPT violations (Table 28-7) */
#define EPT_VIOL_READ				BIT(0)	/* the access was a data read */
#define EPT_VIOL_WRITE				BIT(1)	/* ... a data write */
#define EPT_VIOL_FETCH				BIT(2)	/* ... an instruction fetch */
/* the GPA was readable (AND of bit 0 of the entries) */
#define EPT_VIOL_READABLE			BIT(3)
#define EPT_VIOL_WRITABLE			BIT(4)
#define EPT_VIOL_EXECUTABLE			BIT(5)
#define EPT_VIOL_USER_EXECUTABLE		BIT(6)	/* mode-based execute control only */
#define EPT_VIOL_GLA_VALID			BIT(7)	/* guest-linear address field is valid */
/* access to the translation, not a guest paging structure */
#define EPT_VIOL_GLA_TRANSLATED			BIT(8)
#define EPT_VIOL_USER_MODE_LINEAR		BIT(9)	/* advanced exit info only (9-11) */
#define EPT_VIOL_RW_LINEAR			BIT(10)
#define EPT_VIOL_NX_LINEAR			BIT(11)
#define EPT_VIOL_NMI_UNBLOCKING_IRET		BIT(12)
#define EPT_VIOL_SHADOW_STACK			BIT(13)
#define EPT_VIOL_SUPERVISOR_SHADOW_STACK	BIT(14)
#define EPT_VIOL_GUEST_PAGING_VERIFY		BIT(15)
#define EPT_VIOL_ASYNC				BIT(16)

/* EPTP (Table 25-9) */
#define EPTP_MEMTYPE_MASK			0x7ULL		/* bits 2:0: UC 0 or WB 6 */
#define EPTP_WALK_LENGTH_SHIFT			3		/* bits 5:3: page-walk length - 1 */
#define EPTP_AD_ENABLE				BIT(6)
#define EPTP_SUPERVISOR_SHADOW_STACK		BIT(7)
#define EPTP_ADDR_MASK				0x000ffffffffff000ULL

/* ---- Names for logs (vmx/vmx_names.c) ---- */
/* "CPUID", "EPT violation", ...; reason may be the whole exit-reason field
 * (bits 15:0 are used). "unknown" for numbers the SDM does not define. */
const char *vmx_exit_reason_name(u32 reason);
/* SDM 31.4 text for a VM-instruction error number; "unknown error" otherwise. */
const char *vmx_instr_error_text(u32 error);
/* "external interrupt", "NMI", "hardware exception", ... for INTR_TYPE_*. */
const char *vmx_event_type_name(u32 type);
/* "#DE", "#PF", ... for exception vectors 0-31; "#??" for reserved ones. */
const char *vmx_exception_name(u32 vector);

#endif
