; Application processor start-up (arch/ap_start.c, docs/smp.md).
;
; ap_tramp_start..ap_tramp_end is never run in place: the boot CPU copies it to
; a free page below 1 MiB and sends each AP a SIPI with that page's number as
; vector, so the AP starts here in real mode at CS = page << 8, IP = 0. The
; code is position independent; what depends on where it runs (the GDT base,
; far-jump targets) and what the AP needs (page tables, EFER, CR0, stack,
; struct percpu) is in ap_tramp_data, patched by the boot CPU.
;
;   real mode -> 32-bit protected mode (trampoline GDT) -> PAE, CR3 = a
;   temporary PML4 (uhv's upper half + the trampoline page identity-mapped),
;   EFER.LME/NXE, CR0 as on the boot CPU -> 64-bit mode at the identity address
;   -> ap_start64 in the image (upper half) -> smp_ap_entry(percpu) in C, which
;   loads the AP's own GDT/TSS, the IDT, GS base and uhv's page tables.

CR4_PAE		equ 1 << 5
CR4_PGE		equ 1 << 7
MSR_EFER	equ 0xc0000080
SEL_CODE64	equ 0x08
SEL_DATA	equ 0x10
SEL_CODE32	equ 0x18

%define OFF(x) ((x) - ap_tramp_start)

section .rodata
align 16
global ap_tramp_start, ap_tramp_end, ap_tramp_data, ap_tramp_data_end
ap_tramp_start:
bits 16
	cli
	cld
	mov ax, cs
	mov ds, ax
	mov dword [OFF(tr_alive)], 1	; for the boot CPU's report: the SIPI arrived
	xor ebx, ebx
	mov bx, ax
	shl ebx, 4			; EBX = physical address of this page
	o32 lgdt [OFF(tr_gdtr)]
	mov eax, cr0
	or eax, 1			; PE
	mov cr0, eax
	jmp dword far [OFF(tr_pm32)]

bits 32
ap_pm32:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, CR4_PAE | CR4_PGE
	mov cr4, eax
	mov eax, [ebx + OFF(tr_cr3)]
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, [ebx + OFF(tr_efer)]	; LME, NXE as on the boot CPU
	wrmsr
	mov eax, [ebx + OFF(tr_cr0)]	; PG, PE, WP, NE, ... (CD/NW clear)
	mov cr0, eax
	jmp far [ebx + OFF(tr_lm64)]

bits 64
ap_lm64:
	mov ebx, ebx			; the upper halves are undefined after the switch
	mov rsp, [rbx + OFF(tr_stack)]
	mov rdi, [rbx + OFF(tr_percpu)]
	mov rax, [rbx + OFF(tr_entry)]
	jmp rax

; Mirrors struct ap_tramp_data in arch/ap_start.c (offsets checked there).
align 16
ap_tramp_data:
tr_gdt:		dq 0
		dq 0x00209a0000000000	; 0x08: 64-bit code
		dq 0x00cf92000000ffff	; 0x10: flat data
		dq 0x00cf9a000000ffff	; 0x18: flat 32-bit code
		dw 0, 0, 0		; pad: the GDTR base below is 4-byte aligned
tr_gdtr:	dw 4 * 8 - 1
		dd 0			; 0x28: base = page + OFF(tr_gdt), patched
		dd 0
tr_pm32:	dd 0			; 0x30: page + OFF(ap_pm32), patched
		dd SEL_CODE32
tr_lm64:	dd 0			; 0x38: page + OFF(ap_lm64), patched
		dd SEL_CODE64
tr_cr3:		dq 0			; 0x40: the temporary PML4 (below 4 GiB)
tr_efer:	dq 0			; 0x48: EFER bits to set
tr_cr0:		dq 0			; 0x50
tr_stack:	dq 0			; 0x58: this AP's stack top
tr_percpu:	dq 0			; 0x60: this AP's struct percpu
tr_entry:	dq ap_start64		; 0x68
tr_alive:	dd 0			; 0x70: set by the AP in real mode
		dd 0
ap_tramp_data_end:
ap_tramp_end:

; Offsets the boot CPU patches, relative to the start of the page.
global ap_tramp_pm32_off, ap_tramp_lm64_off, ap_tramp_gdt_off
ap_tramp_pm32_off:	dd OFF(ap_pm32)
ap_tramp_lm64_off:	dd OFF(ap_lm64)
ap_tramp_gdt_off:	dd OFF(tr_gdt)

section .text
extern smp_ap_entry
; On the AP's own stack, RDI = its struct percpu, still on the temporary PML4.
ap_start64:
	xor ebp, ebp			; terminates stack traces
	call smp_ap_entry		; never returns
.hang:
	cli
	hlt
	jmp .hang
