; The VM entry/exit path. The VMCS host RSP points at struct vcpu, whose
; first 128 bytes hold the guest's general registers in the SDM's order
; (RAX, RCX, RDX, RBX, RSP (unused: the VMCS has it), RBP, RSI, RDI, R8-R15);
; the exit path's stack lies directly below it. Nothing else is saved here:
; uhv uses no FPU/SSE state, so the guest's stays in the registers, and the
; VMCS switches the rest (see docs/vmx.md).
bits 64
default rel

%define GPR(n) (8 * (n))
%define VCPU_NMI_PENDING 128	; struct vcpu.nmi_pending (checked in vmx/event.c)

section .text

extern vmx_exit_dispatch
extern vmx_entry_failed
extern vmx_deliver_pending_nmi

%macro LOAD_GUEST_GPRS 0
	mov rax, [rsp + GPR(0)]
	mov rcx, [rsp + GPR(1)]
	mov rdx, [rsp + GPR(2)]
	mov rbx, [rsp + GPR(3)]
	mov rbp, [rsp + GPR(5)]
	mov rsi, [rsp + GPR(6)]
	mov rdi, [rsp + GPR(7)]
	mov r8,  [rsp + GPR(8)]
	mov r9,  [rsp + GPR(9)]
	mov r10, [rsp + GPR(10)]
	mov r11, [rsp + GPR(11)]
	mov r12, [rsp + GPR(12)]
	mov r13, [rsp + GPR(13)]
	mov r14, [rsp + GPR(14)]
	mov r15, [rsp + GPR(15)]
%endmacro

; A guest NMI that came while uhv ran (vcpu.nmi_pending, set by the host NMI handler) goes to
; the guest at this entry: checked after the last C code, and an NMI between the check and the
; entry instruction moves its return address back to the check (vmx_nmi_rewind). Two
; instructions when none is pending; NMI_DELIVER %1 (out of the hot path) hands it on.
%macro CHECK_NMI 1
global %1_check
%1_check:
	cmp dword [rsp + VCPU_NMI_PENDING], 0
	jne %1_deliver
	LOAD_GUEST_GPRS
global %1_insn
%1_insn:
%endmacro

%macro NMI_DELIVER 1
%1_deliver:
	mov rdi, rsp
	call vmx_deliver_pending_nmi
	jmp %1_check
%endmacro

; void vmx_launch(struct vcpu *v): never returns. The first entry; every
; later one is the VMRESUME below.
global vmx_launch
vmx_launch:
	mov rsp, rdi
	CHECK_NMI vmx_launch
	vmlaunch
	; VMfailInvalid / VMfailValid: RFLAGS says which
	pushfq
	pop rsi
	xor edx, edx			; VMLAUNCH
	jmp entry_failed

; VMCS host RIP. RSP = the vCPU, everything else is the guest's.
global vmx_exit_entry
vmx_exit_entry:
	mov [rsp + GPR(0)], rax
	mov [rsp + GPR(1)], rcx
	mov [rsp + GPR(2)], rdx
	mov [rsp + GPR(3)], rbx
	mov [rsp + GPR(5)], rbp
	mov [rsp + GPR(6)], rsi
	mov [rsp + GPR(7)], rdi
	mov [rsp + GPR(8)], r8
	mov [rsp + GPR(9)], r9
	mov [rsp + GPR(10)], r10
	mov [rsp + GPR(11)], r11
	mov [rsp + GPR(12)], r12
	mov [rsp + GPR(13)], r13
	mov [rsp + GPR(14)], r14
	mov [rsp + GPR(15)], r15
	xor ebp, ebp			; stack traces in uhv stop here
	mov rdi, rsp
	call vmx_exit_dispatch		; returns when the guest is to continue
	CHECK_NMI vmx_resume
	vmresume
	; falls through only when VMRESUME itself failed
	pushfq
	pop rsi
	mov edx, 1			; VMRESUME
entry_failed:
	mov rdi, rsp
	call vmx_entry_failed		; does not return
	ud2

	NMI_DELIVER vmx_launch
	NMI_DELIVER vmx_resume
