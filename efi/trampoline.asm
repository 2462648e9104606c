; uhv.efi's last step: from the firmware's 64-bit mode to the machine state a
; multiboot2 kernel is entered in (multiboot2 specification 3.3, i386): 32-bit
; protected mode, paging off, CS a 32-bit flat code segment, DS/ES/FS/GS/SS
; flat data, EAX = 0x36d76289, EBX = physical address of the information.
;
; efi/exit.c copies tramp_start..tramp_end to a page below 4 GiB (the code runs
; on after paging goes off, where only 32-bit addresses exist; UEFI maps memory
; 1:1, so the copy's linear and physical addresses agree) and calls it as
;   void tramp(u32 entry /* RDI */, u32 mbi /* RSI */)
; after ExitBootServices. It is position independent: RIP-relative only.

bits 64
MB2_BOOT_MAGIC	equ 0x36d76289
CR0_PG		equ 1 << 31
CR4_PCIDE	equ 1 << 17
MSR_EFER	equ 0xc0000080
EFER_LME	equ 1 << 8
SEL_CODE32	equ 0x08
SEL_DATA32	equ 0x10

section .text
global tramp_start, tramp_end
tramp_start:
	cli
	; CR0.PG cannot be cleared while CR4.PCIDE is set (SDM MOV CR0 #GP)
	mov rax, cr4
	and rax, ~CR4_PCIDE
	mov cr4, rax
	; the GDT below, through a descriptor built on the stack (no self-modification)
	lea rax, [rel gdt]
	sub rsp, 16
	mov word [rsp], gdt_end - gdt - 1
	mov [rsp + 2], rax
	lgdt [rsp]
	add rsp, 16
	; to compatibility mode: a far return to the 32-bit code segment
	lea rax, [rel pm32]
	push SEL_CODE32
	push rax
	o64 retf

bits 32
pm32:
	mov eax, SEL_DATA32
	mov ds, eax
	mov es, eax
	mov fs, eax
	mov gs, eax
	mov ss, eax
	mov eax, cr0			; paging off: IA-32e mode ends (LMA = 0)
	and eax, ~CR0_PG
	mov cr0, eax
	mov ecx, MSR_EFER		; long mode off
	rdmsr
	and eax, ~EFER_LME
	wrmsr
	xor eax, eax			; no PAE/PGE/LA57/...: the kernel sets what it wants
	mov cr4, eax
	mov eax, MB2_BOOT_MAGIC
	mov ebx, esi
	jmp edi

align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff		; 0x08: 32-bit code, base 0, limit 4 GiB
	dq 0x00cf92000000ffff		; 0x10: data, base 0, limit 4 GiB
gdt_end:
tramp_end:
section .note.GNU-stack noalloc noexec nowrite progbits
