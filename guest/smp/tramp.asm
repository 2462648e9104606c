; smptest: the code other CPUs run.
;
; Two real-mode trampolines, copied by the boot CPU to a page below 1 MiB whose
; number is the SIPI vector (a started CPU begins at CS = vector << 8, IP = 0):
;  - hostile_tramp: must never run (it is what a parked CPU would run). It
;    takes a slot in the mailbox of its page with LOCK XADD, writes
;    MARK | hypervisor bit << 15 | APIC ID into it and halts with interrupts
;    off.
;  - ap_tramp: the legitimate start. It counts its arrival in its page, loads
;    ap_gdt, enters 32-bit protected mode and jumps to ap_pm32 in the guest's
;    image (above 1 MiB), which takes a stack and calls ap_main().
; Both address their page through CS (DS = CS), so they run from any page.
; Offsets: smp.h (TRAMP_*), kept equal by the %defines below.

%define TRAMP_COUNT	0x800	; u32: CPUs that entered the page's trampoline
%define TRAMP_SLOTS	0x840	; u32[TRAMP_NR_SLOTS]: MARK | APIC ID
%define TRAMP_NR_SLOTS	64
%define HOSTILE_MARK	0x5a5a0000
%define AP_MAX		16	; smp.h AP_MAX
%define AP_STACK	4096

section .rodata
bits 16

global hostile_tramp, hostile_tramp_end
hostile_tramp:
	cli
	mov ax, cs
	mov ds, ax
	mov eax, 1
	cpuid
	shr ebx, 24			; CPUID.1:EBX[31:24]: initial APIC ID
	shr ecx, 31			; CPUID.1:ECX[31]: hypervisor present
	shl ecx, 15
	or ebx, ecx			; bit 15: ran under a hypervisor
	mov eax, 1
	lock xadd [TRAMP_COUNT], eax	; eax = this CPU's slot
	cmp eax, TRAMP_NR_SLOTS
	jae .halt
	or ebx, HOSTILE_MARK
	mov [eax * 4 + TRAMP_SLOTS], ebx
.halt:
	cli
	hlt
	jmp .halt
hostile_tramp_end:

global ap_tramp, ap_tramp_end
ap_tramp:
	cli
	mov ax, cs
	mov ds, ax
	lock inc dword [TRAMP_COUNT]
	o32 lgdt [ap_gdtr - ap_tramp]
	mov eax, cr0
	or al, 1			; PE; paging stays off
	mov cr0, eax
	jmp dword 0x08:ap_pm32		; absolute: the guest's image at 1 MiB
	align 8, db 0
ap_gdtr:
	dw ap_gdt_end - ap_gdt - 1
	dd ap_gdt			; absolute, relocated by the linker
ap_tramp_end:

align 8
ap_gdt:
	dq 0
	dq 0x00cf9b000000ffff		; 0x08: code, flat 4 GiB, 32-bit (as guest/lib)
	dq 0x00cf93000000ffff		; 0x10: data, flat 4 GiB
ap_gdt_end:

section .text
bits 32
extern ap_main
global ap_pm32
ap_pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	cld
	mov eax, 1
	lock xadd [ap_ticket], eax	; eax = this AP's ticket, 0...
	cmp eax, AP_MAX
	jae .halt
	mov esp, eax
	inc esp
	shl esp, 12			; (ticket + 1) * AP_STACK
	add esp, ap_stacks
	push eax
	call ap_main			; never returns
.halt:
	cli
	hlt
	jmp .halt

; Interrupt stubs of the APs' IDT (main.c builds it): an exception reports
; its vector and halts the AP; the test IPI and the spurious vector return.
extern ap_exception, ap_ipi
global ap_exc_table, ap_ipi_stub, ap_spurious_stub
%assign v 0
%rep 32
ap_exc_ %+ v:
	cli
	push dword v
	call ap_exception		; never returns
%assign v v + 1
%endrep
ap_ipi_stub:
	pushad
	cld
	call ap_ipi
	popad
	iretd
ap_spurious_stub:
	iretd

section .rodata
align 4
ap_exc_table:
%assign v 0
%rep 32
	dd ap_exc_ %+ v
%assign v v + 1
%endrep

section .bss
global ap_ticket
alignb 4
ap_ticket:	resd 1
alignb 16
ap_stacks:	resb AP_MAX * AP_STACK
